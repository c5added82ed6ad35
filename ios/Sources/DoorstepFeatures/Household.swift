import DoorstepKit
import Foundation
import Observation

/// A resident being added (no `residentId`) or edited; text fields as typed.
public struct ResidentEdit: Equatable {
    public var residentId: String?
    public var name: String
    public var sex: Sex
    public var birthYear: String
    public var phone: String
    public var tags: [Tag]
    public var notes: String

    public init(residentId: String?, name: String, sex: Sex, birthYear: String, phone: String, tags: [Tag], notes: String) {
        self.residentId = residentId
        self.name = name
        self.sex = sex
        self.birthYear = birthYear
        self.phone = phone
        self.tags = tags
        self.notes = notes
    }
}

public struct HouseholdState: Equatable {
    public var household: HouseholdInfo?
    public var residents: [ResidentInfo]
    public var needs: [NeedInfo]
    public var visits: [VisitSummary]
    public var followUps: [FollowUpInfo]
    public var drafts: [VisitForm]
    public var edit: ResidentEdit?
    public var busy: Bool
    public var failure: DoorstepFailure?
}

public enum HouseholdAction {
    /// Starts (or resumes the draft of) a visit of a resident, or of the household with nil.
    case startVisit(residentId: String?)
    case resumeVisit(visitId: String)
    case openNeed(needId: String)
    /// Opens the resident form: an existing resident's, or an empty one with nil.
    case edit(residentId: String?)
    case editChanged(ResidentEdit)
    case toggleTag(Tag)
    case saveResident
    case cancelEdit
    case reload
}

/// A household: residents with tags, needs, visit history, follow-ups; add or edit a
/// resident.
@MainActor @Observable
public final class HouseholdViewModel: ViewModel {
    public private(set) var state = HouseholdState(
        household: nil, residents: [], needs: [], visits: [], followUps: [], drafts: [], edit: nil,
        busy: false, failure: nil)
    @ObservationIgnored private let householdId: String
    @ObservationIgnored private let registry: RegistryService
    @ObservationIgnored private let visits: VisitService
    @ObservationIgnored private let needs: NeedService
    @ObservationIgnored private let onVisit: @MainActor (String) -> Void
    @ObservationIgnored private let onNeed: @MainActor (String) -> Void

    public init(
        householdId: String, registry: RegistryService, visits: VisitService, needs: NeedService,
        onVisit: @escaping @MainActor (String) -> Void, onNeed: @escaping @MainActor (String) -> Void
    ) {
        self.householdId = householdId
        self.registry = registry
        self.visits = visits
        self.needs = needs
        self.onVisit = onVisit
        self.onNeed = onNeed
        load()
    }

    private func failed(_ f: DoorstepFailure) {
        state.busy = false
        state.failure = f
    }

    @discardableResult
    private func load() -> Task<Void, Never> {
        perform({ [weak self] in self?.failed($0) }) { [weak self, householdId, registry, visits, needs] in
            let h = try await registry.household(householdId)
            let rs = try await registry.residents(of: householdId)
            let ns = try await needs.ofHousehold(householdId)
            let vs = try await visits.history(householdId: householdId)
            let fs = try await needs.followUps(householdId: householdId).filter { !$0.done && !$0.cancelled }
            let ds = try await visits.drafts().filter { $0.householdId == householdId }
            guard let self else { return }
            self.state.household = h
            self.state.residents = rs
            self.state.needs = ns
            self.state.visits = vs
            self.state.followUps = fs
            self.state.drafts = ds
            self.state.failure = nil
        }
    }

    @discardableResult
    public func send(_ action: HouseholdAction) -> Task<Void, Never> {
        switch action {
        case .startVisit(let residentId):
            // A draft for the same person is resumed, not started twice.
            if let draft = state.drafts.first(where: { $0.residentId == residentId }) {
                onVisit(draft.visitId)
                break
            }
            state.busy = true
            return perform({ [weak self] in self?.failed($0) }) { [weak self, householdId, visits] in
                let form = try await visits.start(householdId: householdId, residentId: residentId)
                self?.state.busy = false
                self?.onVisit(form.visitId)
            }
        case .resumeVisit(let id):
            onVisit(id)
        case .openNeed(let id):
            onNeed(id)
        case .edit(let residentId):
            if let r = state.residents.first(where: { $0.id == residentId }) {
                state.edit = ResidentEdit(
                    residentId: r.id, name: r.name, sex: r.sex, birthYear: r.birthYear.map(String.init) ?? "",
                    phone: r.phone ?? "", tags: r.tags, notes: r.notes ?? "")
            } else {
                state.edit = ResidentEdit(
                    residentId: nil, name: "", sex: .unknown, birthYear: "", phone: "", tags: [], notes: "")
            }
            state.failure = nil
        case .editChanged(let e):
            state.edit = e
            state.failure = nil
        case .toggleTag(let tag):
            guard var e = state.edit else { break }
            if let i = e.tags.firstIndex(of: tag) { e.tags.remove(at: i) } else { e.tags.append(tag) }
            state.edit = e
        case .cancelEdit:
            state.edit = nil
            state.failure = nil
        case .saveResident:
            guard let e = state.edit else { break }
            // Digits reach the core as a year; anything else is the core's to refuse.
            let year = e.birthYear.trimmedOrNil.map { Int($0) ?? -1 }
            let input = ResidentInput(
                name: e.name.trimmingCharacters(in: .whitespacesAndNewlines), sex: e.sex, birthYear: year,
                phone: e.phone.trimmedOrNil, tags: e.tags, notes: e.notes.trimmedOrNil)
            state.busy = true
            return perform({ [weak self] in self?.failed($0) }) { [weak self, householdId, registry] in
                if let id = e.residentId {
                    _ = try await registry.editResident(id, input)
                } else {
                    _ = try await registry.addResident(to: householdId, input)
                }
                guard let self else { return }
                self.state.edit = nil
                self.state.busy = false
                await self.load().value
            }
        case .reload:
            return load()
        }
        return Task {}
    }
}
