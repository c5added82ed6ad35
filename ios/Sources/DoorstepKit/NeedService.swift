import DoorstepCore
import Foundation

/// Needs, referrals and follow-ups.
public final class NeedService: @unchecked Sendable {
    private let core: CoreQueue
    private let writes: WriteCounter

    init(_ core: CoreQueue, writes: WriteCounter) {
        self.core = core
        self.writes = writes
    }

    public func need(_ id: String) async throws -> NeedInfo {
        try await core.run("getNeed") { NeedInfo(try $0.getNeed(id: id)) }
    }

    /// Needs of a household and its residents (every state), newest first.
    public func ofHousehold(_ householdId: String) async throws -> [NeedInfo] {
        try await core.run("needsOf") { d in
            var seen = Set<String>()
            var out: [NeedInfo] = []
            for s in try subjects(d, householdId) {
                for n in try d.needsOf(subject: s) where seen.insert(n.id).inserted { out.append(NeedInfo(n)) }
            }
            return out.sorted { $0.raisedAtMs > $1.raisedAtMs }
        }
    }

    public func history(needId: String) async throws -> [NeedChange] {
        try await core.run("needHistory") { d in
            try d.needHistory(needId: needId).map {
                NeedChange(
                    from: $0.fromStatus.map(NeedStatus.init), to: NeedStatus($0.toStatus), note: $0.note,
                    atMs: $0.atMs, by: $0.byUser)
            }
        }
    }

    /// Moves a need to `status` with `note`; the core refuses a move its rules forbid.
    public func setStatus(needId: String, _ status: NeedStatus, note: String?) async throws -> NeedInfo {
        let n = try await core.run("setNeedStatus") {
            NeedInfo(try $0.setNeedStatus(needId: needId, status: status.ffi, note: note))
        }
        writes.wrote()
        return n
    }

    /// Refers a need; the core asks for a name where the target needs one (another station).
    public func refer(needId: String, to target: ReferralTarget, name: String?, note: String?) async throws -> ReferralInfo {
        let r = try await core.run("referNeed") {
            ReferralInfo(try $0.referNeed(
                needId: needId,
                input: NewReferral(target: target.ffi, targetId: nil, targetName: name, note: note)))
        }
        writes.wrote()
        return r
    }

    public func referrals(needId: String) async throws -> [ReferralInfo] {
        try await core.run("referrals") { d in
            try d.referrals(query: ReferralQuery(target: nil, targetId: nil, status: nil, areaId: nil))
                .filter { $0.needId == needId }.map(ReferralInfo.init)
        }
    }

    /// Plans a visit back for a need at `dueAtMs`.
    public func followUp(needId: String, dueAtMs: Int64, note: String?) async throws -> FollowUpInfo {
        let f = try await core.run("scheduleFollowUp") { d in
            let n = try d.getNeed(id: needId)
            return FollowUpInfo(try d.scheduleFollowUp(input: NewFollowUp(
                subject: Subject(householdId: n.residentId == nil ? n.householdId : nil, residentId: n.residentId),
                dueAtMs: dueAtMs, note: note, visitId: n.visitId, needId: needId)))
        }
        writes.wrote()
        return f
    }

    /// Follow-ups of a household and of each of its residents, soonest first.
    public func followUps(householdId: String) async throws -> [FollowUpInfo] {
        try await core.run("followUps") { d in
            var seen = Set<String>()
            var out: [FollowUpInfo] = []
            for s in try subjects(d, householdId) {
                for f in try d.followUps(subject: s) where seen.insert(f.id).inserted { out.append(FollowUpInfo(f)) }
            }
            return out.sorted { $0.dueAtMs < $1.dueAtMs }
        }
    }
}
