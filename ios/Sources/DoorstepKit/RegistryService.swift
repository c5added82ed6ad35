import DoorstepCore
import Foundation

/// Households and residents: search, read, add and edit.
public final class RegistryService: @unchecked Sendable {
    private let core: CoreQueue
    private let writes: WriteCounter

    init(_ core: CoreQueue, writes: WriteCounter) {
        self.core = core
        self.writes = writes
    }

    /// Residents matching `text` by name, pinyin, initials, phone tail or address, best first.
    public func search(_ text: String, limit: Int = 30) async throws -> [SearchResult] {
        let q = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if q.isEmpty { return [] }
        return try await core.run("search") { d in
            try d.search(query: SearchQuery(text: q, areaId: nil, tag: nil, limit: UInt32(limit))).map {
                SearchResult(
                    residentId: $0.resident.id, householdId: $0.resident.householdId, name: $0.resident.name,
                    address: $0.address, tags: $0.resident.tags.map(Tag.init))
            }
        }
    }

    public func household(_ id: String) async throws -> HouseholdInfo {
        try await core.run("household") { d in
            let h = try d.household(id: id)
            return HouseholdInfo(id: h.id, areaId: h.areaId, address: h.address, unit: h.unit, phone: h.phone)
        }
    }

    public func residents(of householdId: String) async throws -> [ResidentInfo] {
        try await core.run("residentsOf") { try $0.residentsOf(householdId: householdId).map(ResidentInfo.init) }
    }

    public func addResident(to householdId: String, _ input: ResidentInput) async throws -> ResidentInfo {
        let r = try await core.run("createResident") { d in
            ResidentInfo(try d.createResident(input: NewResident(
                householdId: householdId, name: input.name, sex: input.sex.ffi,
                birthYear: input.birthYear.map(Int32.init), phone: input.phone,
                tags: input.tags.map(\.ffi), notes: input.notes)))
        }
        writes.wrote()
        return r
    }

    public func editResident(_ id: String, _ input: ResidentInput) async throws -> ResidentInfo {
        let r = try await core.run("updateResident") { d in
            ResidentInfo(try d.updateResident(id: id, patch: ResidentPatch(
                name: input.name, sex: input.sex.ffi, birthYear: input.birthYear.map(Int32.init),
                phone: input.phone, tags: input.tags.map(\.ffi), notes: input.notes)))
        }
        writes.wrote()
        return r
    }
}
