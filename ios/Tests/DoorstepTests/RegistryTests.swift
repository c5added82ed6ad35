import Foundation
import XCTest
@testable import DoorstepCore

/// Areas, buildings, households, residents and search through the Swift bindings.
final class RegistryTests: DoorstepTestCase {
    var db: Doorstep!

    override func setUpWithError() throws {
        try super.setUpWithError()
        db = try openStore()
    }

    override func tearDownWithError() throws {
        db = nil
        try super.tearDownWithError()
    }

    private func household(
        in area: Area, address: String = "中南路8号", unit: String? = "2单元301",
        building: Building? = nil, phone: String? = nil
    ) throws -> Household {
        try db.createHousehold(input: NewHousehold(
            areaId: area.id, buildingId: building?.id, address: address, unit: unit, phone: phone))
    }

    private func resident(
        _ name: String, in household: Household, sex: Sex = .unknown, birthYear: Int32? = nil,
        phone: String? = nil, tags: [Tag] = [], notes: String? = nil
    ) throws -> Resident {
        try db.createResident(input: NewResident(
            householdId: household.id, name: name, sex: sex, birthYear: birthYear, phone: phone,
            tags: tags, notes: notes))
    }

    private func names(_ hits: [SearchHit]) -> [String] { hits.map(\.resident.name) }

    func testAreaPathCreatesEveryLevelOnce() throws {
        let grid = try db.ensureArea(path: gridPath)
        XCTAssertEqual(grid.name, "第3网格")
        XCTAssertEqual(grid.level, .grid)
        XCTAssertEqual(grid.path, gridPath)
        let community = try db.ensureArea(path: "武昌区/中南路街道/丽岛社区")
        XCTAssertEqual(community.level, .community)
        XCTAssertEqual(grid.parentId, community.id)
        let district = try db.ensureArea(path: "武昌区")
        XCTAssertEqual(district.level, .district)
        XCTAssertNil(district.parentId)
        XCTAssertEqual(try db.ensureArea(path: gridPath).id, grid.id, "same path, same area")
        XCTAssertEqual(try db.areas().count, 4)

        let tooDeep = doorstepError(try self.db.ensureArea(path: gridPath + "/5号楼"))
        XCTAssertEqual(tooDeep?.kind, "Invalid")
        XCTAssertEqual(doorstepError(try self.db.ensureArea(path: " / ")).map(\.kind), "Invalid")
    }

    /// The required scenario: area, building, household, resident; pinyin search.
    func testCreateRecordsAndSearchByPinyin() throws {
        let grid = try db.ensureArea(path: gridPath)
        let building = try db.createBuilding(areaId: grid.id, name: "8栋")
        XCTAssertEqual(building.areaId, grid.id)
        XCTAssertEqual(building.name, "8栋")
        XCTAssertEqual(try db.createBuilding(areaId: grid.id, name: "8栋").id, building.id)

        let home = try household(in: grid, building: building, phone: "027-8765 4321")
        XCTAssertEqual(home.areaId, grid.id)
        XCTAssertEqual(home.buildingId, building.id)
        XCTAssertEqual(home.address, "中南路8号")
        XCTAssertEqual(home.unit, "2单元301")
        XCTAssertEqual(home.phone, "02787654321", "phone is normalised")
        XCTAssertEqual(try db.household(id: home.id), home)

        let opsBefore = try db.pendingOpCount()
        let zhang = try resident("张伟", in: home, sex: .male, birthYear: 1948,
                                 phone: "13800138000",
                                 tags: [.elderlyAlone, .custom(name: "重点关注")], notes: "独居，需每周探访")
        XCTAssertEqual(try db.pendingOpCount(), opsBefore + 1, "one op per created resident")
        XCTAssertFalse(zhang.id.isEmpty)
        XCTAssertEqual(zhang.householdId, home.id)
        XCTAssertEqual(zhang.name, "张伟")
        XCTAssertEqual(zhang.sex, .male)
        XCTAssertEqual(zhang.birthYear, 1948)
        XCTAssertEqual(zhang.phone, "13800138000")
        XCTAssertEqual(zhang.tags, [.elderlyAlone, .custom(name: "重点关注")])
        XCTAssertEqual(zhang.notes, "独居，需每周探访")
        XCTAssertEqual(try db.getResident(id: zhang.id), zhang)

        let li = try resident("李娜", in: home, sex: .female, birthYear: 1985)
        let shan = try resident("单丽", in: home, sex: .female)
        XCTAssertEqual(Set(try db.residentsOf(householdId: home.id).map(\.id)),
                       [zhang.id, li.id, shan.id])

        for text in ["zw", "zhangwei", "ZhangWei", "zhang wei", "张伟", "张"] {
            let hits = try db.search(query: SearchQuery(text: text))
            XCTAssertEqual(names(hits), ["张伟"], "search \(text)")
        }
        let hit = try XCTUnwrap(try db.search(query: SearchQuery(text: "zw")).first)
        XCTAssertEqual(hit.resident, zhang)
        XCTAssertTrue(hit.address.contains("中南路8号"), hit.address)
        XCTAssertGreaterThan(hit.score, 0)
        XCTAssertGreaterThan(try db.search(query: SearchQuery(text: "张伟"))[0].score,
                             try db.search(query: SearchQuery(text: "zw"))[0].score,
                             "the exact name ranks above initials")

        XCTAssertEqual(names(try db.search(query: SearchQuery(text: "ln"))), ["李娜"])
        XCTAssertEqual(names(try db.search(query: SearchQuery(text: "lina"))), ["李娜"])
        XCTAssertEqual(names(try db.search(query: SearchQuery(text: "shanli"))), ["单丽"],
                       "单 as a surname reads shan")
        XCTAssertEqual(names(try db.search(query: SearchQuery(text: "8000"))), ["张伟"],
                       "phone suffix")
        XCTAssertEqual(try db.search(query: SearchQuery(text: "qqq")), [])

        // Filters and limit.
        XCTAssertEqual(names(try db.search(query: SearchQuery(text: "", tag: .elderlyAlone))), ["张伟"])
        XCTAssertEqual(names(try db.search(query: SearchQuery(text: "", tag: .custom(name: "重点关注")))),
                       ["张伟"])
        XCTAssertEqual(try db.search(query: SearchQuery(text: "", tag: .pregnant)), [])
        let community = try db.ensureArea(path: "武昌区/中南路街道/丽岛社区")
        XCTAssertEqual(try db.search(query: SearchQuery(text: "", areaId: community.id)).count, 3,
                       "an area includes its sub-areas")
        let elsewhere = try db.ensureArea(path: "武昌区/中南路街道/其他社区")
        XCTAssertEqual(try db.search(query: SearchQuery(text: "", areaId: elsewhere.id)), [])
        XCTAssertEqual(try db.search(query: SearchQuery(text: "", limit: 2)).count, 2)
        XCTAssertEqual(
            doorstepError(try self.db.search(query: SearchQuery(text: "zw", areaId: "no-such-area")))?.kind,
            "NotFound")
    }

    func testUpdateMoveAndDeleteResident() throws {
        let grid = try db.ensureArea(path: gridPath)
        let first = try household(in: grid)
        let second = try household(in: grid, address: "中南路10号", unit: nil)
        let zhang = try resident("张伟", in: first, sex: .male, birthYear: 1948)

        let patched = try db.updateResident(id: zhang.id, patch: ResidentPatch(
            phone: "139-0000-1111", tags: [.chronicIllness, .lowIncome]))
        XCTAssertEqual(patched.id, zhang.id)
        XCTAssertEqual(patched.name, "张伟", "fields not in the patch are kept")
        XCTAssertEqual(patched.birthYear, 1948)
        XCTAssertEqual(patched.phone, "13900001111")
        XCTAssertEqual(patched.tags, [.chronicIllness, .lowIncome])
        XCTAssertEqual(try db.getResident(id: zhang.id), patched)
        XCTAssertEqual(names(try db.search(query: SearchQuery(text: "", tag: .lowIncome))), ["张伟"])

        let renamed = try db.updateResident(id: zhang.id, patch: ResidentPatch(name: "张薇"))
        XCTAssertEqual(renamed.name, "张薇")
        XCTAssertEqual(try db.search(query: SearchQuery(text: "张伟")), [])
        XCTAssertEqual(names(try db.search(query: SearchQuery(text: "zw"))), ["张薇"])

        let moved = try db.moveResident(id: zhang.id, householdId: second.id)
        XCTAssertEqual(moved.householdId, second.id)
        XCTAssertEqual(try db.residentsOf(householdId: first.id), [])
        XCTAssertEqual(try db.residentsOf(householdId: second.id).map(\.id), [zhang.id])
        let hit = try XCTUnwrap(try db.search(query: SearchQuery(text: "zw")).first)
        XCTAssertTrue(hit.address.contains("中南路10号"), hit.address)

        try db.deleteResident(id: zhang.id)
        XCTAssertEqual(doorstepError(try self.db.getResident(id: zhang.id))?.kind, "NotFound")
        XCTAssertEqual(try db.search(query: SearchQuery(text: "zw")), [])
        XCTAssertEqual(try db.residentsOf(householdId: second.id), [])
        XCTAssertEqual(doorstepError(try self.db.deleteResident(id: zhang.id))?.kind, "NotFound")
    }

    func testUnknownIdsThrowNotFound() throws {
        let grid = try db.ensureArea(path: gridPath)
        let home = try household(in: grid)
        let zhang = try resident("张伟", in: home)

        let cases: [(String, () throws -> Any)] = [
            ("createResident", { try self.resident("李娜", in: Household(
                id: "no-such-household", areaId: grid.id, buildingId: nil, address: "x",
                unit: nil, phone: nil)) }),
            ("createHousehold", { try self.db.createHousehold(input: NewHousehold(
                areaId: "no-such-area", buildingId: nil, address: "中南路8号", unit: nil, phone: nil)) }),
            ("createBuilding", { try self.db.createBuilding(areaId: "no-such-area", name: "8栋") }),
            ("getResident", { try self.db.getResident(id: "no-such-resident") }),
            ("household", { try self.db.household(id: "no-such-household") }),
            ("updateResident", { try self.db.updateResident(id: "no-such-resident",
                                                            patch: ResidentPatch(name: "王五")) }),
            ("moveResident", { try self.db.moveResident(id: zhang.id, householdId: "no-such-household") }),
        ]
        for (call, body) in cases {
            let error = doorstepError(try body())
            guard case .NotFound(let message)? = error else {
                XCTFail("\(call): expected NotFound, got \(String(describing: error))")
                continue
            }
            XCTAssertFalse(message.isEmpty, call)
        }
        XCTAssertEqual(try db.residentsOf(householdId: home.id).map(\.id), [zhang.id],
                       "failed calls changed nothing")
    }

    func testBadFieldsThrowInvalid() throws {
        let grid = try db.ensureArea(path: gridPath)
        let home = try household(in: grid)
        let other = try db.ensureArea(path: "武昌区/中南路街道/其他社区")
        let building = try db.createBuilding(areaId: other.id, name: "1栋")
        let ops = try db.pendingOpCount()

        let cases: [(String, () throws -> Any)] = [
            ("empty name", { try self.resident("   ", in: home) }),
            ("long name", { try self.resident(String(repeating: "张", count: 65), in: home) }),
            ("bad phone", { try self.resident("张伟", in: home, phone: "call me") }),
            ("short phone", { try self.resident("张伟", in: home, phone: "123") }),
            ("birth year 1800", { try self.resident("张伟", in: home, birthYear: 1800) }),
            ("birth year in future", { try self.resident("张伟", in: home, birthYear: 3000) }),
            ("empty custom tag", { try self.resident("张伟", in: home, tags: [.custom(name: " ")]) }),
            ("empty address", { try self.household(in: grid, address: "") }),
            ("building of another area", { try self.household(in: grid, building: building) }),
            ("empty building name", { try self.db.createBuilding(areaId: grid.id, name: " ") }),
        ]
        for (what, body) in cases {
            let error = doorstepError(try body())
            guard case .Invalid(let message)? = error else {
                XCTFail("\(what): expected Invalid, got \(String(describing: error))")
                continue
            }
            XCTAssertFalse(message.isEmpty, what)
        }
        XCTAssertEqual(try db.pendingOpCount(), ops, "refused calls wrote nothing")
        XCTAssertEqual(try db.residentsOf(householdId: home.id), [])
    }

    func testConcurrentCallsFromManyThreads() throws {
        let grid = try db.ensureArea(path: gridPath)
        let home = try household(in: grid)
        let lock = NSLock()
        var created: [String] = []
        var failures: [String] = []
        let db = self.db!
        DispatchQueue.concurrentPerform(iterations: 24) { i in
            do {
                let r = try db.createResident(input: NewResident(
                    householdId: home.id, name: "居民\(i)", sex: .unknown, birthYear: nil,
                    phone: nil, tags: [], notes: nil))
                _ = try db.search(query: SearchQuery(text: "居民"))
                lock.lock(); created.append(r.id); lock.unlock()
            } catch {
                lock.lock(); failures.append("\(i): \(error)"); lock.unlock()
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(Set(created).count, 24)
        XCTAssertEqual(Set(try db.residentsOf(householdId: home.id).map(\.id)), Set(created))
        XCTAssertEqual(try db.search(query: SearchQuery(text: "居民", limit: 100)).count, 24)
    }
}
