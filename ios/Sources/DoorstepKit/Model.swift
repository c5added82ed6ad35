import Foundation

// The records the screens see. They copy what the bindings return, so a renamed or
// reshaped generated type changes the services only, never a view model or a view.
// Times are ms since the epoch, as the core keeps them.

/// What an enrolled phone may do.
public enum Role: String, Sendable, CaseIterable {
    case socialWorker, marshal, runner, stationAdmin
}

/// This phone's enrolment.
public struct Enrolment: Hashable, Sendable {
    public let server: String
    public let user: String
    public let role: Role
    public let areas: [String]

    public init(server: String, user: String, role: Role, areas: [String]) {
        self.server = server
        self.user = user
        self.role = role
        self.areas = areas
    }

    /// The roles whose screens this phone shows: a station admin's phone gets all three.
    public var roles: [Role] {
        role == .stationAdmin ? [.socialWorker, .marshal, .runner] : [role]
    }
}

/// Where a running sync is.
public enum SyncStage: String, Sendable, CaseIterable {
    case pull, push, blobs, done
}

/// One progress report of a running sync: `done` of `total` (0 when unknown) in `stage`.
public struct SyncProgress: Equatable, Sendable {
    public let stage: SyncStage
    public let done: UInt64
    public let total: UInt64
}

/// What one sync did.
public struct SyncSummary: Equatable, Sendable {
    public let pulled: UInt64
    public let pushed: UInt64
    public let accepted: UInt64
    public let rejected: UInt64
    public let conflicts: UInt64
    public let pending: UInt64
}

/// Where sync stands on this phone, read from the store.
public struct SyncStatus: Equatable, Sendable {
    public let pending: UInt64
    public let lastSyncAtMs: Int64?
    public let refused: [RefusedChange]
    public let conflicts: [ConflictToReview]
}

/// A change the station refused, kept with its reason until retried.
public struct RefusedChange: Equatable, Sendable {
    public let opId: String
    public let entity: String
    public let code: String
    public let reason: String
}

/// Two edits of one field that met; `kept` won, `lost` is shown for review.
public struct ConflictToReview: Equatable, Sendable {
    public let id: Int64
    public let entity: String
    public let field: String
    public let kept: String
    public let lost: String
}

/// A vulnerability or situation tag.
public enum Tag: Hashable, Sendable {
    case elderlyAlone, disability, childInHardship, stranded, frontlineFamily, pregnant
    case chronicIllness, lowIncome
    case custom(String)

    /// The tags every station knows, in the order the chips show them.
    public static let builtin: [Tag] = [
        .elderlyAlone, .disability, .childInHardship, .stranded, .frontlineFamily, .pregnant,
        .chronicIllness, .lowIncome,
    ]
}

public enum Sex: String, Sendable, CaseIterable {
    case female, male, unknown
}

public enum NeedCategory: String, Sendable, CaseIterable {
    case foodStaples, cookingOil, vegetables, dailyNecessities, medicine, urgentMedical
    case treatment, psychological, noCaregiver, shelter, reliefApplication, other
}

public enum Urgency: String, Sendable, CaseIterable, Comparable {
    case low, normal, high, critical

    public static func < (a: Urgency, b: Urgency) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

public enum NeedStatus: String, Sendable, CaseIterable {
    case open, inProgress, resolved, referred, cannotResolve
}

public enum ReferralTarget: String, Sendable, CaseIterable {
    case station, hospital, psychologicalSupport, civilAffairs, suppliesTeam
}

public enum ReferralStatus: String, Sendable, CaseIterable {
    case sent, accepted, done, declined
}

public enum VisitOutcome: String, Sendable, CaseIterable {
    case met, nobodyHome, refused, moved, needsFollowUp
}

/// Which part of the due list an entry is in, most pressing first.
public enum DueTier: String, Sendable, CaseIterable {
    case life, vulnerable, overdue, neverVisited
}

/// Why someone is on the due list; the core decides, the screen words it.
public enum DueReason: Equatable, Sendable {
    case lifeNeed(category: NeedCategory, urgency: Urgency, runsOutAtMs: Int64?)
    case openNeeds(count: Int, topUrgency: Urgency)
    case neverVisited(attempts: Int)
    case visitOverdue(overdueMs: Int64)
    case followUpOverdue(overdueMs: Int64)
}

/// One entry of the due list, in the core's order.
public struct DueItem: Equatable, Sendable, Identifiable {
    public let rank: Int
    public let tier: DueTier
    public let householdId: String
    public let residentId: String?
    public let name: String?
    public let address: String
    public let tags: [Tag]
    public let lastContactAtMs: Int64?
    public let reasons: [DueReason]

    public var id: String { residentId ?? householdId }
}

/// A resident found by search.
public struct SearchResult: Equatable, Sendable, Identifiable {
    public let residentId: String
    public let householdId: String
    public let name: String
    public let address: String
    public let tags: [Tag]

    public var id: String { residentId }
}

public struct HouseholdInfo: Equatable, Sendable {
    public let id: String
    public let areaId: String
    public let address: String
    public let unit: String?
    public let phone: String?
}

public struct ResidentInfo: Equatable, Sendable, Identifiable {
    public let id: String
    public let householdId: String
    public let name: String
    public let sex: Sex
    public let birthYear: Int?
    public let phone: String?
    public let tags: [Tag]
    public let notes: String?
}

/// A resident to add, or the new values of one to edit.
public struct ResidentInput: Equatable, Sendable {
    public var name: String
    public var sex: Sex
    public var birthYear: Int?
    public var phone: String?
    public var tags: [Tag]
    public var notes: String?

    public init(name: String, sex: Sex, birthYear: Int?, phone: String?, tags: [Tag], notes: String?) {
        self.name = name
        self.sex = sex
        self.birthYear = birthYear
        self.phone = phone
        self.tags = tags
        self.notes = notes
    }
}

public struct NeedInfo: Equatable, Sendable, Identifiable {
    public let id: String
    public let householdId: String
    public let residentId: String?
    public let category: NeedCategory
    public let urgency: Urgency
    public let details: String?
    public let drug: String?
    public let runsOutAtMs: Int64?
    public let status: NeedStatus
    public let raisedAtMs: Int64
}

/// One status change of a need.
public struct NeedChange: Equatable, Sendable {
    public let from: NeedStatus?
    public let to: NeedStatus
    public let note: String?
    public let atMs: Int64
    public let by: String
}

public struct ReferralInfo: Equatable, Sendable, Identifiable {
    public let id: String
    public let needId: String
    public let target: ReferralTarget
    public let targetName: String?
    public let note: String?
    public let status: ReferralStatus
    public let createdAtMs: Int64
}

public struct VisitSummary: Equatable, Sendable, Identifiable {
    public let id: String
    public let residentId: String?
    public let outcome: VisitOutcome
    public let note: String?
    public let finishedAtMs: Int64
    public let worker: String
}

public struct FollowUpInfo: Equatable, Sendable, Identifiable {
    public let id: String
    public let residentId: String?
    public let dueAtMs: Int64
    public let note: String?
    public let done: Bool
    public let cancelled: Bool
}

/// A label in both languages, as a template carries it.
public struct Label: Equatable, Sendable {
    public let zhHans: String
    public let en: String

    /// The label in the language the phone shows (`zh` for Chinese, anything else English).
    public func text(chinese: Bool) -> String { chinese ? zhHans : en }
}

public struct Choice: Equatable, Sendable, Identifiable {
    public let id: String
    public let label: Label
}

/// What a checklist question asks for.
public enum QuestionKind: Equatable, Sendable {
    case yesNo
    case single(options: [Choice])
    case multi(options: [Choice])
    case number(min: Double?, max: Double?, integer: Bool, unit: Label?)
    case text(maxLength: Int)
    case date
    case photo
}

/// One answer; the question's kind says which.
public enum Answer: Equatable, Sendable {
    case yesNo(Bool)
    case single(String)
    case multi([String])
    case number(Double)
    case text(String)
    /// `YYYY-MM-DD`.
    case date(String)
    case photo(String)
}

public struct Question: Equatable, Sendable, Identifiable {
    public let id: String
    public let label: Label
    public let kind: QuestionKind
    public let required: Bool
}

/// A question the core shows now, with its answer so far.
public struct ShownQuestion: Equatable, Sendable, Identifiable {
    public let question: Question
    public let answer: Answer?

    public var id: String { question.id }
}

public enum AnswerProblem: String, Sendable, CaseIterable {
    case missing, wrongType, outOfRange, tooLong, unknownOption, malformed, hidden, unknownQuestion
}

public struct AnswerIssue: Equatable, Sendable {
    public let questionId: String
    public let problem: AnswerProblem
    public let detail: String
}

/// A visit being filled in: the questions the core shows and what is still missing.
public struct VisitForm: Equatable, Sendable {
    public let visitId: String
    public let householdId: String
    public let residentId: String?
    public let title: Label
    public let startedAtMs: Int64
    public let questions: [ShownQuestion]
    public let issues: [AnswerIssue]
}

/// What finishing a visit produced: the needs the core raised from the answers.
public struct FinishedVisit: Equatable, Sendable {
    public let visitId: String
    public let needs: [NeedInfo]
    public let followUpAtMs: Int64?
}

// MARK: Check-in

/// Why a pass goes to the priority lane.
public struct PriorityFlags: Equatable, Sendable {
    public let elderly: Bool
    public let disability: Bool
    public let pregnancy: Bool
    public let child: Bool

    public init(elderly: Bool, disability: Bool, pregnancy: Bool, child: Bool) {
        self.elderly = elderly
        self.disability = disability
        self.pregnancy = pregnancy
        self.child = child
    }
}

/// The one answer a scan gives; the core decides which.
public enum ScanOutcome: Equatable, Sendable {
    case admitted(queueNo: String, lane: String)
    case priority(queueNo: String, lane: String, flags: PriorityFlags)
    case duplicate(firstAtMs: Int64, queueNo: String)
    case expired(validUntilMs: Int64)
    case notYetValid(validFromMs: Int64)
    case revoked
    case unknownKey(keyId: String)
    case forged
    case unreadable(reason: String)
    /// Only in a tube scan: the resident is in another open tube.
    case inOpenTube(tubeCode: String)

    /// True for the two outcomes that let the resident in.
    public var isAdmitted: Bool {
        switch self {
        case .admitted, .priority: return true
        default: return false
        }
    }

    /// A short stable name of the case, for test tags and logs.
    public var code: String {
        switch self {
        case .admitted: return "admitted"
        case .priority: return "priority"
        case .duplicate: return "duplicate"
        case .expired: return "expired"
        case .notYetValid: return "not_yet_valid"
        case .revoked: return "revoked"
        case .unknownKey: return "unknown_key"
        case .forged: return "forged"
        case .unreadable: return "unreadable"
        case .inOpenTube: return "in_open_tube"
        }
    }
}

public enum TubeStatus: String, Sendable, CaseIterable {
    case open, sealed
}

public enum TubeResult: String, Sendable, CaseIterable {
    case pending, negative, positive
}

/// A pooled sample tube.
public struct TubeInfo: Equatable, Sendable, Identifiable {
    public let id: String
    public let code: String
    public let site: String
    public let capacity: Int
    public let members: Int
    public let status: TubeStatus
    public let result: TubeResult
    public let openedAtMs: Int64
    public let sealedAtMs: Int64?

    /// Whether it takes nobody more.
    public var isFull: Bool { members >= capacity }
}

/// What a scan into a tube did.
public struct TubeScanResult: Equatable, Sendable {
    public let outcome: ScanOutcome
    public let added: Bool
    public let tube: TubeInfo
}

/// One resident to recall after a positive tube; name and address when this phone knows
/// them.
public struct RecallEntry: Equatable, Sendable {
    public let name: String?
    public let address: String?
    public let phone: String?
    public let sampledAtMs: Int64
    public let queueNo: String?
}

/// Today's scans at a site, for the marshal's counter.
public struct SiteDay: Equatable, Sendable {
    public let day: String
    public let scans: Int
    public let admitted: Int
}

// MARK: Deliveries

/// An item and its quantity: rice × 5, or medicine "metformin" "500 mg" × 2.
public struct ItemLine: Equatable, Sendable {
    /// A catalogue code (`rice`, `medicine`, ...).
    public let item: String
    public let name: String?
    public let dose: String?
    public let quantity: Int64

    public init(item: String, name: String? = nil, dose: String? = nil, quantity: Int64) {
        self.item = item
        self.name = name
        self.dose = dose
        self.quantity = quantity
    }
}

public enum PackageStatus: String, Sendable, CaseIterable {
    case requested, packed, outForDelivery, delivered, partlyDelivered, failed, returned
}

public enum FailReason: String, Sendable, CaseIterable {
    case nobodyHome, refused, wrongAddress
}

public enum ProofKind: String, Sendable {
    case pass, pin, signature, photo, none
}

/// A package as the runner's list shows it.
public struct RunnerPackage: Equatable, Sendable, Identifiable {
    public let packageId: String
    public let requestId: String
    public let householdId: String
    public let unit: String?
    public let address: String
    public let urgency: Urgency
    public let medicine: Bool
    public let status: PackageStatus
    public let items: [ItemLine]

    public var id: String { packageId }
}

/// One building of the walking route, its packages urgent and medicine first.
public struct RunnerStop: Equatable, Sendable, Identifiable {
    public let building: String
    public let packages: [RunnerPackage]

    public var id: String { building }
}

/// A runner's day: packages out by building, what to bring back, what is still held.
public struct RunnerDay: Equatable, Sendable {
    public let stops: [RunnerStop]
    public let toReturn: [RunnerPackage]
    public let itemsLeft: [ItemLine]
}

/// A package with what the runner may see of its request: items, household, notes.
public struct PackageInfo: Equatable, Sendable {
    public let id: String
    public let requestId: String
    public let householdId: String
    public let address: String
    public let building: String?
    public let unit: String?
    public let urgency: Urgency
    public let medicine: Bool
    public let items: [ItemLine]
    public let delivered: [ItemLine]
    public let status: PackageStatus
    public let runner: String?
    public let reason: FailReason?
    public let notes: String?
}

/// One move of a package so far.
public struct HandoffInfo: Equatable, Sendable, Identifiable {
    public let id: String
    public let seq: Int
    public let status: PackageStatus
    public let from: String
    public let to: String
    public let atMs: Int64
    public let items: [ItemLine]
    public let proofKind: ProofKind?
    /// The pass id, the blob hash of a photo or signature, or the reason for none.
    public let proof: String?
    public let reason: FailReason?
    public let note: String?
}

/// A point of a signature stroke, in the canvas's points.
public struct StrokePoint: Equatable, Sendable {
    public let x: Float
    public let y: Float

    public init(x: Float, y: Float) {
        self.x = x
        self.y = y
    }
}

/// What proves a delivery.
public enum ProofInput: Equatable, Sendable {
    case pin(String)
    case pass(String)
    /// Strokes drawn on a `width` × `height` canvas; the core renders the PNG.
    case signature(width: UInt32, height: UInt32, strokes: [[StrokePoint]])
    case photo(Data)
    case none(reason: String)
}
