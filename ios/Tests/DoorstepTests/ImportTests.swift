import Foundation
import XCTest
@testable import DoorstepCore

/// CSV import of the spreadsheets stations keep.
final class ImportTests: DoorstepTestCase {
    var db: Doorstep!

    override func setUpWithError() throws {
        try super.setUpWithError()
        db = try openStore()
    }

    override func tearDownWithError() throws {
        db = nil
        try super.tearDownWithError()
    }

    /// Chinese header, UTF-8 with BOM; the last row has a bad sex (line 5).
    static let csv = """
        区域,楼栋,地址,门牌,户电话,姓名,性别,出生年份,电话,标签,备注
        武昌区/中南路街道/丽岛社区/第3网格,8栋,中南路8号,2单元301,027-8765432,王芳,女,1941,13800001111,独居老人、低保,腿脚不便
        武昌区/中南路街道/丽岛社区/第3网格,8栋,中南路8号,2单元301,027-8765432,刘洋,男,1975,13900002222,,
        武昌区/中南路街道/丽岛社区/第4网格,,中南路10号,1单元101,,陈静,女,1990,,孕产妇,
        武昌区/中南路街道/丽岛社区/第4网格,,中南路10号,1单元102,,赵强,x,1980,,,

        """

    static func bytes(_ text: String, bom: Bool = true) -> Data {
        (bom ? Data([0xEF, 0xBB, 0xBF]) : Data()) + Data(text.utf8)
    }

    private func only(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> SearchHit {
        let hits = try db.search(query: SearchQuery(text: text))
        XCTAssertEqual(hits.count, 1, "search \(text): \(hits.map(\.resident.name))", file: file, line: line)
        return try XCTUnwrap(hits.first, file: file, line: line)
    }

    func testImportChineseCsvReportsRowsAndStoresGoodOnes() throws {
        let report = try db.importCsv(data: Self.bytes(Self.csv))
        XCTAssertEqual(report.householdsAdded, 2)
        XCTAssertEqual(report.residentsAdded, 3)
        XCTAssertEqual(report.residentsUpdated, 0)
        XCTAssertEqual(report.unchanged, 0)
        XCTAssertEqual(report.errors.count, 1, "\(report.errors)")
        let rowError = try XCTUnwrap(report.errors.first)
        XCTAssertEqual(rowError.line, 5)
        XCTAssertEqual(rowError.column, "性别")
        XCTAssertFalse(rowError.reason.isEmpty)

        let wang = try only("wangfang")
        XCTAssertEqual(wang.resident.name, "王芳")
        XCTAssertEqual(wang.resident.sex, .female)
        XCTAssertEqual(wang.resident.birthYear, 1941)
        XCTAssertEqual(wang.resident.phone, "13800001111")
        XCTAssertEqual(wang.resident.tags, [.elderlyAlone, .lowIncome])
        XCTAssertEqual(wang.resident.notes, "腿脚不便")
        XCTAssertEqual(try only("wf").resident.id, wang.resident.id)

        let home = try db.household(id: wang.resident.householdId)
        XCTAssertEqual(home.address, "中南路8号")
        XCTAssertEqual(home.unit, "2单元301")
        XCTAssertEqual(home.phone, "0278765432")
        XCTAssertNotNil(home.buildingId)
        let grid3 = try db.ensureArea(path: gridPath)
        XCTAssertEqual(home.areaId, grid3.id, "the import made the area the app would")

        let liu = try only("liuyang")
        XCTAssertEqual(liu.resident.householdId, home.id, "same address and unit, same household")
        XCTAssertEqual(liu.resident.sex, .male)
        XCTAssertEqual(liu.resident.tags, [])
        XCTAssertNil(liu.resident.notes)
        XCTAssertEqual(try only("2222").resident.id, liu.resident.id)

        let grid4 = try db.ensureArea(path: "武昌区/中南路街道/丽岛社区/第4网格")
        let inGrid4 = try db.search(query: SearchQuery(text: "", areaId: grid4.id))
        XCTAssertEqual(inGrid4.map(\.resident.name), ["陈静"])
        XCTAssertEqual(inGrid4.first?.resident.tags, [.pregnant])
        XCTAssertEqual(try db.search(query: SearchQuery(text: "zhaoqiang")), [], "the bad row was not stored")
    }

    func testReimportIsIdempotentAndUpdatesChangedRows() throws {
        _ = try db.importCsv(data: Self.bytes(Self.csv))
        let ops = try db.pendingOpCount()

        let again = try db.importCsv(data: Self.bytes(Self.csv))
        XCTAssertEqual(again.householdsAdded, 0)
        XCTAssertEqual(again.residentsAdded, 0)
        XCTAssertEqual(again.residentsUpdated, 0)
        XCTAssertEqual(again.unchanged, 3)
        XCTAssertEqual(again.errors.count, 1)
        XCTAssertEqual(try db.pendingOpCount(), ops, "an unchanged import writes nothing")
        XCTAssertEqual(try db.search(query: SearchQuery(text: "", limit: 100)).count, 3)

        let changed = Self.csv.replacingOccurrences(of: "13900002222", with: "13900003333")
        let third = try db.importCsv(data: Self.bytes(changed, bom: false))
        XCTAssertEqual(third.residentsAdded, 0)
        XCTAssertEqual(third.residentsUpdated, 1)
        XCTAssertEqual(third.unchanged, 2)
        let liu = try only("刘洋")
        XCTAssertEqual(liu.resident.phone, "13900003333")
    }

    func testImportGbkCsv() throws {
        // "区域,地址,姓名,性别,标签\n武昌区/中南路街道,解放路1号,周杰,男,慢性病\n" in GBK, as Excel saves it.
        let gbk = Data([
            0xC7, 0xF8, 0xD3, 0xF2, 0x2C, 0xB5, 0xD8, 0xD6, 0xB7, 0x2C, 0xD0, 0xD5, 0xC3, 0xFB, 0x2C,
            0xD0, 0xD4, 0xB1, 0xF0, 0x2C, 0xB1, 0xEA, 0xC7, 0xA9, 0x0A, 0xCE, 0xE4, 0xB2, 0xFD, 0xC7,
            0xF8, 0x2F, 0xD6, 0xD0, 0xC4, 0xCF, 0xC2, 0xB7, 0xBD, 0xD6, 0xB5, 0xC0, 0x2C, 0xBD, 0xE2,
            0xB7, 0xC5, 0xC2, 0xB7, 0x31, 0xBA, 0xC5, 0x2C, 0xD6, 0xDC, 0xBD, 0xDC, 0x2C, 0xC4, 0xD0,
            0x2C, 0xC2, 0xFD, 0xD0, 0xD4, 0xB2, 0xA1, 0x0A,
        ])
        XCTAssertNil(String(data: gbk, encoding: .utf8), "the bytes are not UTF-8")
        let report = try db.importCsv(data: gbk)
        XCTAssertEqual(report.errors, [])
        XCTAssertEqual(report.householdsAdded, 1)
        XCTAssertEqual(report.residentsAdded, 1)
        let hit = try only("zj")
        XCTAssertEqual(hit.resident.name, "周杰")
        XCTAssertEqual(hit.resident.sex, .male)
        XCTAssertEqual(hit.resident.tags, [.chronicIllness])
        XCTAssertTrue(hit.address.contains("解放路1号"), hit.address)
        let street = try db.ensureArea(path: "武昌区/中南路街道")
        XCTAssertEqual(street.level, .street)
        XCTAssertEqual(try db.search(query: SearchQuery(text: "", areaId: street.id)).count, 1)
    }

    func testEnglishHeaderWithoutBom() throws {
        let csv = """
            area,address,name,sex,birth_year,tags
            武昌区/中南路街道/丽岛社区,中南路12号,黄磊,male,1960,disability;custom:护理
            """
        let report = try db.importCsv(data: Self.bytes(csv, bom: false))
        XCTAssertEqual(report.errors, [])
        XCTAssertEqual(report.residentsAdded, 1)
        let hit = try only("hl")
        XCTAssertEqual(hit.resident.name, "黄磊")
        XCTAssertEqual(hit.resident.birthYear, 1960)
        XCTAssertEqual(hit.resident.tags, [.disability, .custom(name: "护理")])
    }

    func testUnusableFilesThrowInvalid() throws {
        let cases: [(String, Data)] = [
            ("no name column", Self.bytes("区域,地址\n武昌区,中南路8号\n")),
            ("no address column", Self.bytes("区域,姓名\n武昌区,张伟\n")),
            ("not text", Data([0xFF, 0xFF, 0x00, 0x81, 0xFE, 0x80, 0x00, 0x00])),
            ("bad UTF-8 after a BOM", Data([0xEF, 0xBB, 0xBF, 0xC3, 0x28, 0x2C, 0x41])),
        ]
        for (what, data) in cases {
            let error = doorstepError(try self.db.importCsv(data: data))
            XCTAssertEqual(error?.kind, "Invalid", "\(what): \(String(describing: error))")
        }
        XCTAssertEqual(try db.pendingOpCount(), 0)
    }
}
