import DoorstepCore
import Foundation

/// The marshal's calls: scans, the site's day, tubes and recalls. Passes are checked on the
/// phone against the synced trust list and revocations, so all of it works offline.
public final class CheckinService: @unchecked Sendable {
    private let core: CoreQueue
    private let writes: WriteCounter

    init(_ core: CoreQueue, writes: WriteCounter) {
        self.core = core
        self.writes = writes
    }

    /// Verifies a scanned text at a lane of a site, records it, and gives the outcome.
    public func scan(_ text: String, site: String, lane: String) async throws -> ScanOutcome {
        let o = try await core.run("scan") { ScanOutcome(try $0.scan(text: text, site: site, lane: lane)) }
        writes.wrote()
        return o
    }

    /// Reads the QR code in an image (a photo of a pass, a screenshot sent by chat).
    public func decode(image: Data) async throws -> String {
        try await core.run("decodeQrImage") { try $0.decodeQrImage(image: image) }
    }

    /// Today's scans at a site: how many, and how many were let in.
    public func today(site: String) async throws -> SiteDay {
        try await core.run("checkIns") { d in
            let day = try d.checkinDay()
            let all = try d.checkIns(site: site, day: day)
            return SiteDay(day: day, scans: all.count, admitted: all.filter { ScanOutcome($0.outcome).isAdmitted }.count)
        }
    }

    /// This phone's queue prefix ("A" gives A-001).
    public func queuePrefix() async throws -> String {
        try await core.run("queuePrefix") { try $0.queuePrefix() }
    }

    /// Sets the queue prefix (1 to 3 letters or digits); returns it as the core keeps it.
    public func setQueuePrefix(_ prefix: String) async throws -> String {
        try await core.run("setQueuePrefix") { try $0.setQueuePrefix(prefix: prefix) }
    }

    /// Opens a pooled tube by its code (or resumes it when it is open already).
    public func openTube(code: String, site: String, capacity: Int?) async throws -> TubeInfo {
        let t = try await core.run("openTube") {
            TubeInfo(try $0.openTube(code: code, site: site, capacity: capacity.map(UInt32.init)))
        }
        writes.wrote()
        return t
    }

    /// Scans a resident's pass into an open tube at a lane.
    public func tubeScan(tubeId: String, text: String, lane: String) async throws -> TubeScanResult {
        let r = try await core.run("tubeScan") { d in
            let s = try d.tubeScan(tubeId: tubeId, text: text, lane: lane)
            return TubeScanResult(outcome: ScanOutcome(s.outcome), added: s.added, tube: TubeInfo(s.tube))
        }
        writes.wrote()
        return r
    }

    /// Scans a bedridden resident's pass into an open tube at their home.
    public func tubeScanAtHome(tubeId: String, text: String, householdId: String) async throws -> TubeScanResult {
        let r = try await core.run("tubeScanAtHome") { d in
            let s = try d.tubeScanAtHome(tubeId: tubeId, text: text, householdId: householdId)
            return TubeScanResult(outcome: ScanOutcome(s.outcome), added: s.added, tube: TubeInfo(s.tube))
        }
        writes.wrote()
        return r
    }

    /// Seals a tube: it takes nobody more.
    public func seal(tubeId: String) async throws -> TubeInfo {
        let t = try await core.run("sealTube") { TubeInfo(try $0.sealTube(tubeId: tubeId)) }
        writes.wrote()
        return t
    }

    /// A site's tubes, open ones first, then the most recent.
    public func tubes(site: String, limit: Int = 50) async throws -> [TubeInfo] {
        try await core.run("tubes") { try $0.tubes(site: site, limit: UInt32(limit)).map(TubeInfo.init) }
    }

    /// Who to recall from a positive tube.
    public func recall(tubeId: String) async throws -> [RecallEntry] {
        try await core.run("tubeRecall") { d in
            try d.tubeRecall(tubeId: tubeId).map { r in
                RecallEntry(
                    name: r.resident?.name,
                    address: r.household.map { h in [h.address, h.unit].compactMap { $0 }.joined(separator: " ") },
                    phone: r.resident?.phone ?? r.household?.phone,
                    sampledAtMs: r.sampledAtMs, queueNo: r.queueNo)
            }
        }
    }
}
