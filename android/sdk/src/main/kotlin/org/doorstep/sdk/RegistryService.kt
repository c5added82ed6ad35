package org.doorstep.sdk

import org.doorstep.core.model.NewResident
import org.doorstep.core.model.ResidentPatch
import org.doorstep.core.model.SearchQuery

/** Households and residents: search, read, add and edit. */
class RegistryService internal constructor(private val s: DoorstepServices) {
    /** Residents matching [text] by name, pinyin, initials, phone tail or address, best first. */
    suspend fun search(text: String, limit: Int = 30): List<SearchResult> {
        if (text.isBlank()) return emptyList()
        return s.call { d ->
            d.search(SearchQuery(text.trim(), null, null, limit.toUInt())).map {
                SearchResult(it.resident.id, it.resident.householdId, it.resident.name, it.address, it.resident.tags.map { t -> t.toApp() })
            }
        }
    }

    suspend fun household(id: String): HouseholdInfo = s.call { d ->
        d.household(id).let { HouseholdInfo(it.id, it.areaId, it.address, it.unit, it.phone) }
    }

    suspend fun residents(householdId: String): List<ResidentInfo> = s.call { d -> d.residentsOf(householdId).map { it.toApp() } }

    suspend fun addResident(householdId: String, input: ResidentInput): ResidentInfo = s.call { d ->
        d.createResident(
            NewResident(householdId, input.name, input.sex.toFfi(), input.birthYear, input.phone, input.tags.map { it.toFfi() }, input.notes),
        ).toApp()
    }.also { s.sync.wrote() }

    suspend fun editResident(id: String, input: ResidentInput): ResidentInfo = s.call { d ->
        d.updateResident(
            id,
            ResidentPatch(input.name, input.sex.toFfi(), input.birthYear, input.phone, input.tags.map { it.toFfi() }, input.notes),
        ).toApp()
    }.also { s.sync.wrote() }
}

private fun Sex.toFfi() = org.doorstep.core.model.Sex.valueOf(name)
