import DoorstepCore
import Foundation

/// The due list, visits and their checklists.
public final class VisitService: @unchecked Sendable {
    private let core: CoreQueue
    private let writes: WriteCounter
    private let lock = NSLock()
    private var templates: [String: DoorstepCore.Template] = [:]

    init(_ core: CoreQueue, writes: WriteCounter) {
        self.core = core
        self.writes = writes
    }

    /// The due list of this phone's areas (every area for a phone enrolled everywhere), in
    /// the core's order: life first, then vulnerable, overdue and never visited. 500 is the
    /// most the core gives at once.
    public func dueList(limit: Int = 500) async throws -> [DueItem] {
        try await core.run("dueList") { d in
            let ids = try myAreaIds(d)
            if ids.isEmpty { return [] }
            return try d.dueList(query: DueQuery(areaIds: ids, limit: UInt32(limit))).map { e in
                DueItem(
                    rank: Int(e.rank), tier: DueTier(e.tier), householdId: e.householdId,
                    residentId: e.residentId, name: e.residentName, address: e.address,
                    tags: e.tags.map(Tag.init), lastContactAtMs: e.lastContactAtMs,
                    reasons: e.reasons.map(DueReason.init))
            }
        }
    }

    /// Starts a visit of a resident (or a whole household); the core picks the checklist.
    public func start(householdId: String, residentId: String?) async throws -> VisitForm {
        let f = try await core.run("startVisit") { d in
            try self.form(d, d.startVisit(
                subject: Subject(householdId: residentId == nil ? householdId : nil, residentId: residentId),
                templateId: nil))
        }
        writes.wrote()
        return f
    }

    /// Stores one answer (nil clears it); the core refuses a bad one with `.invalid`.
    public func answer(visitId: String, questionId: String, _ answer: Answer?) async throws -> VisitForm {
        let f = try await core.run("answer") { d in
            try self.form(d, d.answer(visitId: visitId, questionId: questionId, value: answer?.ffi))
        }
        writes.wrote()
        return f
    }

    /// A visit being filled in, as it was left (drafts survive a restart).
    public func form(visitId: String) async throws -> VisitForm {
        try await core.run("visitState") { d in try self.form(d, d.visitState(visitId: visitId)) }
    }

    /// Visits started and not finished on this phone.
    public func drafts() async throws -> [VisitForm] {
        try await core.run("visitDrafts") { d in try d.visitDrafts().map { try self.form(d, $0) } }
    }

    public func discard(visitId: String) async throws {
        try await core.run("discardVisit") { try $0.discardVisit(visitId: visitId) }
        writes.wrote()
    }

    /// Finishes a visit; the result lists the needs the core raised from its answers.
    public func finish(visitId: String, outcome: VisitOutcome, note: String?) async throws -> FinishedVisit {
        let f = try await core.run("finishVisit") { d in
            let f = try d.finishVisit(
                visitId: visitId,
                finish: FinishVisit(outcome: outcome.ffi, note: note, followUpAtMs: nil, followUpNote: nil))
            return FinishedVisit(visitId: f.visit.id, needs: f.needs.map(NeedInfo.init), followUpAtMs: f.followUp?.dueAtMs)
        }
        writes.wrote()
        return f
    }

    /// Finished visits of a household and its residents, newest first.
    public func history(householdId: String) async throws -> [VisitSummary] {
        try await core.run("visitHistory") { d in
            var seen = Set<String>()
            var out: [VisitSummary] = []
            for s in try subjects(d, householdId) {
                for v in try d.visitHistory(subject: s) where seen.insert(v.id).inserted {
                    out.append(VisitSummary(
                        id: v.id, residentId: v.residentId, outcome: VisitOutcome(v.outcome), note: v.note,
                        finishedAtMs: v.finishedAtMs, worker: v.worker))
                }
            }
            return out.sorted { $0.finishedAtMs > $1.finishedAtMs }
        }
    }

    private func form(_ d: Doorstep, _ st: VisitState) throws -> VisitForm {
        let key = "\(st.templateId)@\(st.templateVersion)"
        lock.lock()
        let cached = templates[key]
        lock.unlock()
        let t = try cached ?? d.getTemplate(id: st.templateId, version: st.templateVersion)
        lock.lock()
        templates[key] = t
        lock.unlock()
        return VisitForm(st, template: t)
    }
}

/// Ids of the areas this phone is enrolled for; every top-level area when enrolled
/// everywhere.
func myAreaIds(_ d: Doorstep) throws -> [String] {
    let paths = try d.enrolment()?.areas ?? []
    let all = try d.areas()
    if paths.isEmpty { return all.filter { $0.parentId == nil }.map(\.id) }
    return all.filter { paths.contains($0.path) }.map(\.id)
}

/// The household itself and each resident: the core lists each subject's records apart.
func subjects(_ d: Doorstep, _ householdId: String) throws -> [Subject] {
    [Subject(householdId: householdId, residentId: nil)]
        + (try d.residentsOf(householdId: householdId)).map { Subject(householdId: nil, residentId: $0.id) }
}
