package org.doorstep.sdk

// The records the screens see. They copy what the bindings return, so a renamed or
// reshaped generated type changes the services only, never a presenter or a view.

/** What an enrolled phone may do. */
enum class Role { SOCIAL_WORKER, MARSHAL, RUNNER, STATION_ADMIN }

/** This phone's enrolment. */
data class Enrolment(val server: String, val user: String, val role: Role, val areas: List<String>)

/** Where a running sync is. */
enum class SyncStage { PULL, PUSH, BLOBS, DONE }

/** One progress report of a running sync: [done] of [total] (0 when unknown) in [stage]. */
data class SyncProgress(val stage: SyncStage, val done: Long, val total: Long)

/** What one sync did. */
data class SyncSummary(
    val pulled: Long,
    val pushed: Long,
    val accepted: Long,
    val rejected: Long,
    val conflicts: Long,
    val pending: Long,
)

/** Where sync stands on this phone, read from the store. */
data class SyncStatus(
    val pending: Long,
    val lastSyncAtMs: Long?,
    val refused: List<RefusedChange>,
    val conflicts: List<ConflictToReview>,
)

/** A change the station refused, kept with its reason until retried. */
data class RefusedChange(val opId: String, val entity: String, val code: String, val reason: String)

/** Two edits of one field that met; [kept] won, [lost] is shown for review. */
data class ConflictToReview(val id: Long, val entity: String, val field: String, val kept: String, val lost: String)

/** A vulnerability or situation tag. */
sealed interface Tag {
    data object ElderlyAlone : Tag
    data object Disability : Tag
    data object ChildInHardship : Tag
    data object Stranded : Tag
    data object FrontlineFamily : Tag
    data object Pregnant : Tag
    data object ChronicIllness : Tag
    data object LowIncome : Tag
    data class Custom(val name: String) : Tag

    companion object {
        /** The tags every station knows, in the order the chips show them. */
        val builtin: List<Tag> = listOf(
            ElderlyAlone, Disability, ChildInHardship, Stranded, FrontlineFamily, Pregnant, ChronicIllness, LowIncome,
        )
    }
}

enum class Sex { FEMALE, MALE, UNKNOWN }

enum class NeedCategory {
    FOOD_STAPLES, COOKING_OIL, VEGETABLES, DAILY_NECESSITIES, MEDICINE, URGENT_MEDICAL, TREATMENT,
    PSYCHOLOGICAL, NO_CAREGIVER, SHELTER, RELIEF_APPLICATION, OTHER,
}

enum class Urgency { LOW, NORMAL, HIGH, CRITICAL }

enum class NeedStatus { OPEN, IN_PROGRESS, RESOLVED, REFERRED, CANNOT_RESOLVE }

enum class ReferralTarget { STATION, HOSPITAL, PSYCHOLOGICAL_SUPPORT, CIVIL_AFFAIRS, SUPPLIES_TEAM }

enum class ReferralStatus { SENT, ACCEPTED, DONE, DECLINED }

enum class VisitOutcome { MET, NOBODY_HOME, REFUSED, MOVED, NEEDS_FOLLOW_UP }

/** Which part of the due list an entry is in, most pressing first. */
enum class DueTier { LIFE, VULNERABLE, OVERDUE, NEVER_VISITED }

/** Why someone is on the due list; the core decides, the screen words it. */
sealed interface DueReason {
    data class LifeNeed(val category: NeedCategory, val urgency: Urgency, val runsOutAtMs: Long?) : DueReason
    data class OpenNeeds(val count: Int, val topUrgency: Urgency) : DueReason
    data class NeverVisited(val attempts: Int) : DueReason
    data class VisitOverdue(val overdueMs: Long) : DueReason
    data class FollowUpOverdue(val overdueMs: Long) : DueReason
}

/** One entry of the due list, in the core's order. */
data class DueItem(
    val rank: Int,
    val tier: DueTier,
    val householdId: String,
    val residentId: String?,
    val name: String?,
    val address: String,
    val tags: List<Tag>,
    val lastContactAtMs: Long?,
    val reasons: List<DueReason>,
)

/** A resident found by search. */
data class SearchResult(val residentId: String, val householdId: String, val name: String, val address: String, val tags: List<Tag>)

data class HouseholdInfo(val id: String, val areaId: String, val address: String, val unit: String?, val phone: String?)

data class ResidentInfo(
    val id: String,
    val householdId: String,
    val name: String,
    val sex: Sex,
    val birthYear: Int?,
    val phone: String?,
    val tags: List<Tag>,
    val notes: String?,
)

/** A resident to add, or the new values of one to edit. */
data class ResidentInput(
    val name: String,
    val sex: Sex,
    val birthYear: Int?,
    val phone: String?,
    val tags: List<Tag>,
    val notes: String?,
)

data class NeedInfo(
    val id: String,
    val householdId: String,
    val residentId: String?,
    val category: NeedCategory,
    val urgency: Urgency,
    val details: String?,
    val drug: String?,
    val runsOutAtMs: Long?,
    val status: NeedStatus,
    val raisedAtMs: Long,
)

/** One status change of a need. */
data class NeedChange(val from: NeedStatus?, val to: NeedStatus, val note: String?, val atMs: Long, val by: String)

data class ReferralInfo(
    val id: String,
    val needId: String,
    val target: ReferralTarget,
    val targetName: String?,
    val note: String?,
    val status: ReferralStatus,
    val createdAtMs: Long,
)

data class VisitSummary(val id: String, val residentId: String?, val outcome: VisitOutcome, val note: String?, val finishedAtMs: Long, val worker: String)

data class FollowUpInfo(val id: String, val residentId: String?, val dueAtMs: Long, val note: String?, val done: Boolean, val cancelled: Boolean)

/** A label in both languages, as a template carries it. */
data class Label(val zhCn: String, val en: String)

data class Choice(val id: String, val label: Label)

/** What a checklist question asks for. */
sealed interface QuestionKind {
    data object YesNo : QuestionKind
    data class Single(val options: List<Choice>) : QuestionKind
    data class Multi(val options: List<Choice>) : QuestionKind
    data class Number(val min: Double?, val max: Double?, val integer: Boolean, val unit: Label?) : QuestionKind
    data class Text(val maxLength: Int) : QuestionKind
    data object Date : QuestionKind
    data object Photo : QuestionKind
}

/** One answer; the question's kind says which. */
sealed interface Answer {
    data class YesNo(val value: Boolean) : Answer
    data class Single(val option: String) : Answer
    data class Multi(val options: List<String>) : Answer
    data class Number(val value: Double) : Answer
    data class Text(val value: String) : Answer
    /** `YYYY-MM-DD`. */
    data class Date(val value: String) : Answer
    data class Photo(val reference: String) : Answer
}

data class Question(val id: String, val label: Label, val kind: QuestionKind, val required: Boolean)

/** A question the core shows now, with its answer so far. */
data class ShownQuestion(val question: Question, val answer: Answer?)

enum class AnswerProblem { MISSING, WRONG_TYPE, OUT_OF_RANGE, TOO_LONG, UNKNOWN_OPTION, MALFORMED, HIDDEN, UNKNOWN_QUESTION }

data class AnswerIssue(val questionId: String, val problem: AnswerProblem, val detail: String)

/** A visit being filled in: the questions the core shows and what is still missing. */
data class VisitForm(
    val visitId: String,
    val householdId: String,
    val residentId: String?,
    val title: Label,
    val startedAtMs: Long,
    val questions: List<ShownQuestion>,
    val issues: List<AnswerIssue>,
)

/** What finishing a visit produced: the needs the core raised from the answers. */
data class FinishedVisit(val visitId: String, val needs: List<NeedInfo>, val followUpAtMs: Long?)

/** The one answer a scan gives; each has its own card. */
sealed interface ScanResult {
    data class Admitted(val queueNo: String, val lane: String) : ScanResult
    data class Priority(val queueNo: String, val lane: String) : ScanResult
    data class Duplicate(val firstAtMs: Long, val queueNo: String) : ScanResult
    data class Expired(val validUntilMs: Long) : ScanResult
    data class NotYetValid(val validFromMs: Long) : ScanResult
    data object Revoked : ScanResult
    data object UnknownKey : ScanResult
    data object Forged : ScanResult
    data class Unreadable(val reason: String) : ScanResult
    data class InOpenTube(val tubeCode: String) : ScanResult
}

/** A marshal's set-up kept on the phone: site, lane and the pause after each person (0: a tap). */
data class SiteSetUp(val site: String, val lane: String, val pauseSeconds: Int)

/** A site's day so far: scans and admissions. */
data class SiteDay(val day: String, val scans: Int, val admitted: Int)

/** The lab's answer for a pooled tube. */
enum class TubeOutcome { PENDING, NEGATIVE, POSITIVE }

/** A pooled tube (混管) with how full it is. */
data class TubeInfo(
    val id: String,
    val code: String,
    val site: String,
    val capacity: Int,
    val members: Int,
    val sealed: Boolean,
    val result: TubeOutcome,
    val openedAtMs: Long,
)

/** What a scan into a tube did; [added] when the resident went in. */
data class TubeScanResult(val outcome: ScanResult, val added: Boolean, val tube: TubeInfo)

/** One resident to recall after a positive tube, with where to find them when known. */
data class RecallEntry(
    val residentRef: String,
    val name: String?,
    val address: String?,
    val unit: String?,
    val sampledAtMs: Long,
    val queueNo: String?,
)

/** Where a package is. */
enum class PackageState { REQUESTED, PACKED, OUT_FOR_DELIVERY, DELIVERED, PARTLY_DELIVERED, FAILED, RETURNED }

/** Why a delivery failed. */
enum class FailWhy { NOBODY_HOME, REFUSED, WRONG_ADDRESS }

/**
 * One item and how many (a drug with its name and dose). [unit] is what one of [quantity]
 * counts, from the core's catalogue (`kg`, `box`); empty for a code this build's catalogue
 * does not hold.
 */
data class ItemCount(val item: String, val name: String?, val dose: String?, val quantity: Long, val unit: String)

/** A package on a runner's list. */
data class RunnerItem(
    val packageId: String,
    val requestId: String,
    val householdId: String,
    val unit: String?,
    val address: String,
    val urgency: Urgency,
    val medicine: Boolean,
    val status: PackageState,
    val items: List<ItemCount>,
)

/** One building of the walking route and its packages, in the core's order. */
data class RunnerStopInfo(val building: String, val packages: List<RunnerItem>)

/** A runner's day: the route, what is to go back to the station, what they still hold. */
data class RunnerDay(val stops: List<RunnerStopInfo>, val toReturn: List<RunnerItem>, val itemsLeft: List<ItemCount>)

/** A package with its household's address and the request's notes. */
data class PackageInfo(
    val id: String,
    val requestId: String,
    val householdId: String,
    val address: String,
    val unit: String?,
    val urgency: Urgency,
    val medicine: Boolean,
    val items: List<ItemCount>,
    val status: PackageState,
    val reason: FailWhy?,
    val notes: String?,
)

/** How a handoff was proved. */
enum class ProofWay { PASS, PIN, SIGNATURE, PHOTO, NO_PROOF }

/** One move of a package; [proof] is the pass id, blob hash or stated reason. */
data class PackageMove(
    val seq: Int,
    val status: PackageState,
    val atMs: Long,
    val proofKind: ProofWay?,
    val proof: String?,
    val reason: FailWhy?,
    val note: String?,
)

/** A signature as drawn: strokes of points on a [width] x [height] pad. */
data class Signature(val width: Int, val height: Int, val strokes: List<List<Pair<Float, Float>>>)

/** The proof a runner gives for a delivery. */
sealed interface HandoffProof {
    data class Pin(val pin: String) : HandoffProof
    data class Pass(val text: String) : HandoffProof
    data class Drawn(val signature: Signature) : HandoffProof
    data class Photo(val bytes: ByteArray) : HandoffProof
    data class NoProof(val reason: String) : HandoffProof
}
