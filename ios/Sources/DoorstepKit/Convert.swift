import DoorstepCore
import Foundation

// Conversions between the generated types and the app's. Only the services use them.

typealias FfiTag = DoorstepCore.Tag

extension Enrolment {
    init(_ e: DoorstepCore.Enrolment) {
        self.init(server: e.server, user: e.user, role: Role(e.role), areas: e.areas)
    }
}

extension Role {
    init(_ r: DoorstepCore.Role) {
        switch r {
        case .socialWorker: self = .socialWorker
        case .marshal: self = .marshal
        case .runner: self = .runner
        case .stationAdmin: self = .stationAdmin
        }
    }
}

extension Tag {
    init(_ t: FfiTag) {
        switch t {
        case .elderlyAlone: self = .elderlyAlone
        case .disability: self = .disability
        case .childInHardship: self = .childInHardship
        case .stranded: self = .stranded
        case .frontlineFamily: self = .frontlineFamily
        case .pregnant: self = .pregnant
        case .chronicIllness: self = .chronicIllness
        case .lowIncome: self = .lowIncome
        case .custom(let name): self = .custom(name)
        }
    }

    var ffi: FfiTag {
        switch self {
        case .elderlyAlone: return .elderlyAlone
        case .disability: return .disability
        case .childInHardship: return .childInHardship
        case .stranded: return .stranded
        case .frontlineFamily: return .frontlineFamily
        case .pregnant: return .pregnant
        case .chronicIllness: return .chronicIllness
        case .lowIncome: return .lowIncome
        case .custom(let name): return .custom(name: name)
        }
    }
}

extension Sex {
    init(_ s: DoorstepCore.Sex) {
        switch s {
        case .female: self = .female
        case .male: self = .male
        case .unknown: self = .unknown
        }
    }

    var ffi: DoorstepCore.Sex {
        switch self {
        case .female: return .female
        case .male: return .male
        case .unknown: return .unknown
        }
    }
}

extension NeedCategory {
    init(_ c: DoorstepCore.NeedCategory) {
        switch c {
        case .foodStaples: self = .foodStaples
        case .cookingOil: self = .cookingOil
        case .vegetables: self = .vegetables
        case .dailyNecessities: self = .dailyNecessities
        case .medicine: self = .medicine
        case .urgentMedical: self = .urgentMedical
        case .treatment: self = .treatment
        case .psychological: self = .psychological
        case .noCaregiver: self = .noCaregiver
        case .shelter: self = .shelter
        case .reliefApplication: self = .reliefApplication
        case .other: self = .other
        }
    }
}

extension Urgency {
    init(_ u: DoorstepCore.Urgency) {
        switch u {
        case .low: self = .low
        case .normal: self = .normal
        case .high: self = .high
        case .critical: self = .critical
        }
    }
}

extension NeedStatus {
    init(_ s: DoorstepCore.NeedStatus) {
        switch s {
        case .open: self = .open
        case .inProgress: self = .inProgress
        case .resolved: self = .resolved
        case .referred: self = .referred
        case .cannotResolve: self = .cannotResolve
        }
    }

    var ffi: DoorstepCore.NeedStatus {
        switch self {
        case .open: return .open
        case .inProgress: return .inProgress
        case .resolved: return .resolved
        case .referred: return .referred
        case .cannotResolve: return .cannotResolve
        }
    }
}

extension ReferralTarget {
    init(_ t: DoorstepCore.ReferralTarget) {
        switch t {
        case .station: self = .station
        case .hospital: self = .hospital
        case .psychologicalSupport: self = .psychologicalSupport
        case .civilAffairs: self = .civilAffairs
        case .suppliesTeam: self = .suppliesTeam
        }
    }

    var ffi: DoorstepCore.ReferralTarget {
        switch self {
        case .station: return .station
        case .hospital: return .hospital
        case .psychologicalSupport: return .psychologicalSupport
        case .civilAffairs: return .civilAffairs
        case .suppliesTeam: return .suppliesTeam
        }
    }
}

extension ReferralStatus {
    init(_ s: DoorstepCore.ReferralStatus) {
        switch s {
        case .sent: self = .sent
        case .accepted: self = .accepted
        case .done: self = .done
        case .declined: self = .declined
        }
    }
}

extension VisitOutcome {
    init(_ o: DoorstepCore.VisitOutcome) {
        switch o {
        case .met: self = .met
        case .nobodyHome: self = .nobodyHome
        case .refused: self = .refused
        case .moved: self = .moved
        case .needsFollowUp: self = .needsFollowUp
        }
    }

    var ffi: DoorstepCore.VisitOutcome {
        switch self {
        case .met: return .met
        case .nobodyHome: return .nobodyHome
        case .refused: return .refused
        case .moved: return .moved
        case .needsFollowUp: return .needsFollowUp
        }
    }
}

extension ResidentInfo {
    init(_ r: DoorstepCore.Resident) {
        self.init(
            id: r.id, householdId: r.householdId, name: r.name, sex: Sex(r.sex),
            birthYear: r.birthYear.map(Int.init), phone: r.phone, tags: r.tags.map(Tag.init),
            notes: r.notes)
    }
}

extension NeedInfo {
    init(_ n: DoorstepCore.Need) {
        self.init(
            id: n.id, householdId: n.householdId, residentId: n.residentId,
            category: NeedCategory(n.category), urgency: Urgency(n.urgency), details: n.details,
            drug: n.drug, runsOutAtMs: n.runsOutAtMs, status: NeedStatus(n.status),
            raisedAtMs: n.raisedAtMs)
    }
}

extension ReferralInfo {
    init(_ r: DoorstepCore.Referral) {
        self.init(
            id: r.id, needId: r.needId, target: ReferralTarget(r.target), targetName: r.targetName,
            note: r.note, status: ReferralStatus(r.status), createdAtMs: r.createdAtMs)
    }
}

extension FollowUpInfo {
    init(_ f: DoorstepCore.FollowUp) {
        self.init(
            id: f.id, residentId: f.residentId, dueAtMs: f.dueAtMs, note: f.note, done: f.done,
            cancelled: f.cancelled)
    }
}

extension Label {
    init(_ l: DoorstepCore.Label) {
        self.init(zhHans: l.zhCn, en: l.en)
    }
}

extension QuestionKind {
    init(_ k: DoorstepCore.QuestionKind) {
        switch k {
        case .yesNo: self = .yesNo
        case .singleChoice(let options): self = .single(options: options.map { Choice(id: $0.id, label: Label($0.label)) })
        case .multiChoice(let options): self = .multi(options: options.map { Choice(id: $0.id, label: Label($0.label)) })
        case .number(let min, let max, let integer, let unit):
            self = .number(min: min, max: max, integer: integer, unit: unit.map(Label.init))
        case .text(let maxLength): self = .text(maxLength: Int(maxLength))
        case .date: self = .date
        case .photo: self = .photo
        }
    }
}

extension Answer {
    init(_ a: DoorstepCore.Answer) {
        switch a {
        case .bool(let value): self = .yesNo(value)
        case .choice(let option): self = .single(option)
        case .choices(let options): self = .multi(options)
        case .number(let value): self = .number(value)
        case .text(let value): self = .text(value)
        case .date(let value): self = .date(value)
        case .photo(let reference): self = .photo(reference)
        }
    }

    var ffi: DoorstepCore.Answer {
        switch self {
        case .yesNo(let v): return .bool(value: v)
        case .single(let v): return .choice(option: v)
        case .multi(let v): return .choices(options: v)
        case .number(let v): return .number(value: v)
        case .text(let v): return .text(value: v)
        case .date(let v): return .date(value: v)
        case .photo(let v): return .photo(reference: v)
        }
    }
}

extension AnswerProblem {
    init(_ p: DoorstepCore.AnswerProblem) {
        switch p {
        case .missing: self = .missing
        case .wrongType: self = .wrongType
        case .outOfRange: self = .outOfRange
        case .tooLong: self = .tooLong
        case .unknownOption: self = .unknownOption
        case .malformed: self = .malformed
        case .hidden: self = .hidden
        case .unknownQuestion: self = .unknownQuestion
        }
    }
}

extension VisitForm {
    init(_ s: DoorstepCore.VisitState, template: DoorstepCore.Template) {
        self.init(
            visitId: s.visitId, householdId: s.householdId, residentId: s.residentId,
            title: Label(template.title), startedAtMs: s.startedAtMs,
            questions: s.visible.map { v in
                ShownQuestion(
                    question: Question(
                        id: v.question.id, label: Label(v.question.label),
                        kind: QuestionKind(v.question.kind), required: v.question.required),
                    answer: v.answer.map(Answer.init))
            },
            issues: s.issues.map {
                AnswerIssue(questionId: $0.questionId, problem: AnswerProblem($0.problem), detail: $0.message)
            })
    }
}

extension DueReason {
    init(_ r: DoorstepCore.DueReason) {
        switch r {
        case .lifeNeed(_, let category, let urgency, let runsOutAtMs):
            self = .lifeNeed(category: NeedCategory(category), urgency: Urgency(urgency), runsOutAtMs: runsOutAtMs)
        case .openNeeds(let count, let topUrgency):
            self = .openNeeds(count: Int(count), topUrgency: Urgency(topUrgency))
        case .neverVisited(let attempts): self = .neverVisited(attempts: Int(attempts))
        case .visitOverdue(_, let overdueMs, _): self = .visitOverdue(overdueMs: overdueMs)
        case .followUpOverdue(_, let overdueMs): self = .followUpOverdue(overdueMs: overdueMs)
        }
    }
}

extension DueTier {
    init(_ t: DoorstepCore.DueTier) {
        switch t {
        case .life: self = .life
        case .vulnerable: self = .vulnerable
        case .overdue: self = .overdue
        case .neverVisited: self = .neverVisited
        }
    }
}

// MARK: Check-in

extension PriorityFlags {
    init(_ f: DoorstepCore.PriorityFlags) {
        self.init(elderly: f.elderly, disability: f.disability, pregnancy: f.pregnancy, child: f.child)
    }
}

extension ScanOutcome {
    init(_ o: DoorstepCore.ScanOutcome) {
        switch o {
        case .admitted(let queueNo, let lane): self = .admitted(queueNo: queueNo, lane: lane)
        case .priority(let queueNo, let lane, let priority):
            self = .priority(queueNo: queueNo, lane: lane, flags: PriorityFlags(priority))
        case .duplicate(let firstAtMs, let queueNo): self = .duplicate(firstAtMs: firstAtMs, queueNo: queueNo)
        case .expired(let validUntilMs): self = .expired(validUntilMs: validUntilMs)
        case .notYetValid(let validFromMs): self = .notYetValid(validFromMs: validFromMs)
        case .revoked: self = .revoked
        case .unknownKey(let keyId): self = .unknownKey(keyId: keyId)
        case .forged: self = .forged
        case .unreadable(let reason): self = .unreadable(reason: reason)
        case .inOpenTube(let tubeCode): self = .inOpenTube(tubeCode: tubeCode)
        }
    }
}

extension TubeInfo {
    init(_ t: DoorstepCore.Tube) {
        self.init(
            id: t.id, code: t.code, site: t.site, capacity: Int(t.capacity), members: Int(t.members),
            status: t.status == .open ? .open : .sealed,
            result: {
                switch t.result {
                case .pending: return .pending
                case .negative: return .negative
                case .positive: return .positive
                }
            }(),
            openedAtMs: t.openedAtMs, sealedAtMs: t.sealedAtMs)
    }
}

// MARK: Deliveries

extension ItemLine {
    init(_ l: DoorstepCore.ItemLine) {
        self.init(item: l.item, name: l.name, dose: l.dose, quantity: l.quantity)
    }

    var ffi: DoorstepCore.ItemLine {
        DoorstepCore.ItemLine(item: item, name: name, dose: dose, quantity: quantity)
    }
}

extension PackageStatus {
    init(_ s: DoorstepCore.PackageStatus) {
        switch s {
        case .requested: self = .requested
        case .packed: self = .packed
        case .outForDelivery: self = .outForDelivery
        case .delivered: self = .delivered
        case .partlyDelivered: self = .partlyDelivered
        case .failed: self = .failed
        case .returned: self = .returned
        }
    }

    var ffi: DoorstepCore.PackageStatus {
        switch self {
        case .requested: return .requested
        case .packed: return .packed
        case .outForDelivery: return .outForDelivery
        case .delivered: return .delivered
        case .partlyDelivered: return .partlyDelivered
        case .failed: return .failed
        case .returned: return .returned
        }
    }
}

extension FailReason {
    init(_ r: DoorstepCore.FailReason) {
        switch r {
        case .nobodyHome: self = .nobodyHome
        case .refused: self = .refused
        case .wrongAddress: self = .wrongAddress
        }
    }

    var ffi: DoorstepCore.FailReason {
        switch self {
        case .nobodyHome: return .nobodyHome
        case .refused: return .refused
        case .wrongAddress: return .wrongAddress
        }
    }
}

extension ProofKind {
    init(_ k: DoorstepCore.ProofKind) {
        switch k {
        case .pass: self = .pass
        case .pin: self = .pin
        case .signature: self = .signature
        case .photo: self = .photo
        case .noProof: self = .none
        }
    }
}

extension RunnerPackage {
    init(_ p: DoorstepCore.RunnerPackage) {
        self.init(
            packageId: p.packageId, requestId: p.requestId, householdId: p.householdId, unit: p.unit,
            address: p.address, urgency: Urgency(p.urgency), medicine: p.medicine,
            status: PackageStatus(p.status), items: p.items.map(ItemLine.init))
    }
}

extension HandoffInfo {
    init(_ h: DoorstepCore.Handoff) {
        self.init(
            id: h.id, seq: Int(h.seq), status: PackageStatus(h.status), from: h.from, to: h.to,
            atMs: h.atMs, items: h.items.map(ItemLine.init), proofKind: h.proofKind.map(ProofKind.init),
            proof: h.proof, reason: h.reason.map(FailReason.init), note: h.note)
    }
}

extension ProofInput {
    var ffi: DoorstepCore.Proof {
        switch self {
        case .pin(let pin): return .pin(pin: pin)
        case .pass(let text): return .pass(text: text)
        case .signature(let width, let height, let strokes):
            return .signature(
                width: width, height: height,
                strokes: strokes.map { s in
                    SignatureStroke(points: s.map { SignaturePoint(x: $0.x, y: $0.y) })
                })
        case .photo(let bytes): return .photo(bytes: bytes)
        case .none(let reason): return .noProof(reason: reason)
        }
    }
}
