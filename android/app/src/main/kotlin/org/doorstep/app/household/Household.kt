package org.doorstep.app.household

import kotlinx.coroutines.CoroutineScope
import org.doorstep.app.Presenter
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.FollowUpInfo
import org.doorstep.sdk.HouseholdInfo
import org.doorstep.sdk.NeedInfo
import org.doorstep.sdk.NeedService
import org.doorstep.sdk.RegistryService
import org.doorstep.sdk.ResidentInfo
import org.doorstep.sdk.ResidentInput
import org.doorstep.sdk.Sex
import org.doorstep.sdk.Tag
import org.doorstep.sdk.VisitForm
import org.doorstep.sdk.VisitService
import org.doorstep.sdk.VisitSummary

/** A resident being added (no [residentId]) or edited; text fields as typed. */
data class ResidentEdit(
    val residentId: String?,
    val name: String,
    val sex: Sex,
    val birthYear: String,
    val phone: String,
    val tags: List<Tag>,
    val notes: String,
)

data class HouseholdState(
    val household: HouseholdInfo?,
    val residents: List<ResidentInfo>,
    val needs: List<NeedInfo>,
    val visits: List<VisitSummary>,
    val followUps: List<FollowUpInfo>,
    val drafts: List<VisitForm>,
    val edit: ResidentEdit?,
    val busy: Boolean,
    val failure: DoorstepFailure?,
)

sealed interface HouseholdEvents {
    data class StartVisit(val residentId: String?) : HouseholdEvents
    data class ResumeVisit(val visitId: String) : HouseholdEvents
    data class OpenNeed(val needId: String) : HouseholdEvents
    data class Edit(val residentId: String?) : HouseholdEvents
    data class EditChanged(val edit: ResidentEdit) : HouseholdEvents
    data class ToggleTag(val tag: Tag) : HouseholdEvents
    data object SaveResident : HouseholdEvents
    data object CancelEdit : HouseholdEvents
    data object Reload : HouseholdEvents
}

/** A household: residents with tags, needs, visit history, follow-ups; add or edit a resident. */
class HouseholdPresenter(
    private val householdId: String,
    private val registry: RegistryService,
    private val visits: VisitService,
    private val needs: NeedService,
    scope: CoroutineScope,
    private val onVisit: (visitId: String) -> Unit,
    private val onNeed: (needId: String) -> Unit,
) : Presenter<HouseholdState, HouseholdEvents>(
    HouseholdState(null, emptyList(), emptyList(), emptyList(), emptyList(), emptyList(), null, false, null),
    scope,
) {
    init {
        load()
    }

    private fun failed(f: DoorstepFailure) = set { it.copy(busy = false, failure = f) }

    private fun load() = run(::failed) {
        val h = registry.household(householdId)
        val rs = registry.residents(householdId)
        val ns = needs.ofHousehold(householdId)
        val vs = visits.history(householdId)
        val fs = needs.followUps(householdId).filter { !it.done && !it.cancelled }.sortedBy { it.dueAtMs }
        val ds = visits.drafts().filter { it.householdId == householdId }
        set { it.copy(household = h, residents = rs, needs = ns, visits = vs, followUps = fs, drafts = ds, failure = null) }
    }

    override fun onEvent(event: HouseholdEvents) {
        when (event) {
            is HouseholdEvents.StartVisit -> {
                // A draft for the same person is resumed, not started twice.
                val draft = state.value.drafts.firstOrNull { it.residentId == event.residentId }
                if (draft != null) return onVisit(draft.visitId)
                set { it.copy(busy = true) }
                run(::failed) {
                    val form = visits.start(householdId, event.residentId)
                    set { it.copy(busy = false) }
                    onVisit(form.visitId)
                }
            }
            is HouseholdEvents.ResumeVisit -> onVisit(event.visitId)
            is HouseholdEvents.OpenNeed -> onNeed(event.needId)
            is HouseholdEvents.Edit -> {
                val r = state.value.residents.firstOrNull { it.id == event.residentId }
                val edit = if (r == null) {
                    ResidentEdit(null, "", Sex.UNKNOWN, "", "", emptyList(), "")
                } else {
                    ResidentEdit(r.id, r.name, r.sex, r.birthYear?.toString().orEmpty(), r.phone.orEmpty(), r.tags, r.notes.orEmpty())
                }
                set { it.copy(edit = edit, failure = null) }
            }
            is HouseholdEvents.EditChanged -> set { it.copy(edit = event.edit, failure = null) }
            is HouseholdEvents.ToggleTag -> set { s ->
                val e = s.edit ?: return@set s
                s.copy(edit = e.copy(tags = if (event.tag in e.tags) e.tags - event.tag else e.tags + event.tag))
            }
            HouseholdEvents.CancelEdit -> set { it.copy(edit = null, failure = null) }
            HouseholdEvents.SaveResident -> {
                val e = state.value.edit ?: return
                // Digits only reach the core as a year; anything else is the core's to refuse.
                val year = e.birthYear.trim().takeIf { it.isNotEmpty() }?.let { it.toIntOrNull() ?: -1 }
                val input = ResidentInput(
                    e.name.trim(), e.sex, year, e.phone.trim().ifEmpty { null }, e.tags, e.notes.trim().ifEmpty { null },
                )
                set { it.copy(busy = true) }
                run(::failed) {
                    if (e.residentId == null) registry.addResident(householdId, input) else registry.editResident(e.residentId, input)
                    set { it.copy(edit = null, busy = false) }
                    load()
                }
            }
            HouseholdEvents.Reload -> load()
        }
    }
}
