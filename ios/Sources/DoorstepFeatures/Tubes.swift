import DoorstepKit
import Foundation
import Observation

public struct TubesState: Equatable {
    public var site: String
    public var lane: String
    /// The site's tubes, open first, then the newest.
    public var tubes: [TubeInfo]
    /// The tube being filled.
    public var current: TubeInfo?
    /// A tube code typed by hand.
    public var code: String
    /// How many residents a new tube takes (1 to 20; 10 is the usual pool).
    public var capacity: Int
    /// The last scan into the current tube.
    public var lastScan: TubeScanResult?
    /// The tube whose recall list is open, and the list.
    public var recallOf: TubeInfo?
    public var recall: [RecallEntry]
    public var busy: Bool
    public var failure: DoorstepFailure?

    /// Tubes that came back positive: each has a recall list.
    public var positive: [TubeInfo] { tubes.filter { $0.result == .positive } }
}

public enum TubesAction {
    case codeChanged(String)
    case capacityChanged(Int)
    /// Opens (or resumes) the tube with the typed code.
    case open
    /// A code the camera read: with no tube being filled it is the tube's code, else a
    /// resident's pass for the tube.
    case scanned(String)
    /// A pass scanned at a bedridden resident's home, into the current tube.
    case scannedAtHome(text: String, householdId: String)
    case seal
    /// Picks up an open tube again.
    case resume(tubeId: String)
    case showRecall(tubeId: String)
    case closeRecall
    case refresh
}

/// Pooled tubes at the marshal's site: open one, scan residents into it up to its
/// capacity (shown as it fills), seal it; the recall list of a positive tube when its
/// result arrives by sync.
@MainActor @Observable
public final class TubesViewModel: ViewModel {
    public private(set) var state: TubesState
    @ObservationIgnored private let checkin: CheckinService
    @ObservationIgnored nonisolated(unsafe) private var listening: Task<Void, Never>?
    /// The first read; tests await it.
    @ObservationIgnored public private(set) var loaded: Task<Void, Never>?

    public init(site: String, lane: String, checkin: CheckinService, sync: SyncService) {
        self.checkin = checkin
        state = TubesState(
            site: site, lane: lane, tubes: [], current: nil, code: "", capacity: 10, lastScan: nil, recallOf: nil, recall: [],
            busy: false, failure: nil)
        // Results arrive by sync.
        let runs = sync.states()
        listening = Task { [weak self] in
            for await run in runs {
                guard case .finished = run else { continue }
                await self?.load().value
            }
        }
        loaded = load()
    }

    deinit {
        listening?.cancel()
    }

    private func failed(_ f: DoorstepFailure) {
        state.busy = false
        state.failure = f
    }

    @discardableResult
    private func load() -> Task<Void, Never> {
        perform({ [weak self] in self?.failed($0) }) { [weak self, checkin] in
            guard let self else { return }
            let tubes = try await checkin.tubes(site: self.state.site)
            self.state.tubes = tubes
            if let c = self.state.current { self.state.current = tubes.first { $0.id == c.id } ?? c }
        }
    }

    private func open(_ code: String) -> Task<Void, Never> {
        state.busy = true
        state.failure = nil
        let (site, capacity) = (state.site, state.capacity)
        return perform({ [weak self] in self?.failed($0) }) { [weak self, checkin] in
            let t = try await checkin.openTube(code: code, site: site, capacity: capacity)
            guard let self else { return }
            self.state.current = t
            self.state.code = ""
            self.state.lastScan = nil
            self.state.busy = false
            await self.load().value
        }
    }

    private func into(_ tube: TubeInfo, _ scan: @escaping @MainActor () async throws -> TubeScanResult) -> Task<Void, Never> {
        state.busy = true
        state.failure = nil
        return perform({ [weak self] in self?.failed($0) }) { [weak self] in
            let r = try await scan()
            guard let self else { return }
            self.state.lastScan = r
            self.state.current = r.tube
            self.state.busy = false
        }
    }

    @discardableResult
    public func send(_ action: TubesAction) -> Task<Void, Never> {
        switch action {
        case .codeChanged(let t):
            state.code = t
            state.failure = nil
        case .capacityChanged(let n):
            state.capacity = n
        case .open:
            guard !state.busy, let code = state.code.trimmedOrNil else { break }
            return open(code)
        case .scanned(let text):
            guard !state.busy else { break }
            guard let tube = state.current, tube.status == .open else { return open(text) }
            let lane = state.lane
            return into(tube) { [checkin] in try await checkin.tubeScan(tubeId: tube.id, text: text, lane: lane) }
        case .scannedAtHome(let text, let householdId):
            guard !state.busy, let tube = state.current, tube.status == .open else { break }
            return into(tube) { [checkin] in
                try await checkin.tubeScanAtHome(tubeId: tube.id, text: text, householdId: householdId)
            }
        case .seal:
            guard !state.busy, let tube = state.current else { break }
            state.busy = true
            return perform({ [weak self] in self?.failed($0) }) { [weak self, checkin] in
                _ = try await checkin.seal(tubeId: tube.id)
                guard let self else { return }
                self.state.current = nil
                self.state.lastScan = nil
                self.state.busy = false
                await self.load().value
            }
        case .resume(let id):
            if let t = state.tubes.first(where: { $0.id == id && $0.status == .open }) {
                state.current = t
                state.lastScan = nil
            }
        case .showRecall(let id):
            guard let t = state.tubes.first(where: { $0.id == id }) else { break }
            return perform({ [weak self] in self?.failed($0) }) { [weak self, checkin] in
                let list = try await checkin.recall(tubeId: id)
                self?.state.recallOf = t
                self?.state.recall = list
            }
        case .closeRecall:
            state.recallOf = nil
            state.recall = []
        case .refresh:
            return load()
        }
        return Task {}
    }
}
