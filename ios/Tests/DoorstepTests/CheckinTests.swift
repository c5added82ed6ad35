import Foundation
import XCTest
@testable import DoorstepCore

/// A testing site's hour through the Swift bindings: issue -> render -> decode -> scan ->
/// duplicate, then a pooled tube and its recall.
final class CheckinTests: DoorstepTestCase {
    let site = "丽岛社区核酸点"
    let dayMs: Int64 = 86_400_000

    func testIssueRenderScanAndPool() throws {
        let station = try openStore()
        let grid = try station.ensureArea(path: gridPath)
        let b3 = try station.createBuilding(areaId: grid.id, name: "3栋")
        let home = try station.createHousehold(input: NewHousehold(
            areaId: grid.id, buildingId: b3.id, address: "丽岛花园", unit: "201", phone: nil))
        let zhang = try station.createResident(input: NewResident(
            householdId: home.id, name: "张伟", sex: .male, birthYear: 1980, phone: nil,
            tags: [], notes: nil))
        let wang = try station.createResident(input: NewResident(
            householdId: home.id, name: "王秀英", sex: .female, birthYear: 1941, phone: nil,
            tags: [.elderlyAlone], notes: nil))
        let signing = try station.newSigningKey()
        let from = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000
        let pass = try station.issuePass(residentId: zhang.id, validFromMs: from,
                                         validUntilMs: from + 7 * dayMs)
        XCTAssertEqual(pass.text.count, 145)

        // The marshal's phone holds only the public key.
        let marshal = try Doorstep.open(path: dir.appendingPathComponent("marshal.db").path, key: key)
        XCTAssertEqual(try marshal.setQueuePrefix(prefix: "b"), "B")
        _ = try marshal.trustKey(publicKey: signing.publicKey, validFromMs: signing.validFromMs)
        XCTAssertEqual(
            doorstepError(try marshal.issuePass(residentId: zhang.id, validFromMs: from,
                                                validUntilMs: from + dayMs)).map(\.kind),
            "Conflict")

        let png = try station.passPng(text: pass.text, modulePx: 8)
        let read = try marshal.decodeQrImage(image: png)
        XCTAssertEqual(read, pass.text)
        XCTAssertEqual(try marshal.scan(text: read, site: site, lane: "1"),
                       .admitted(queueNo: "B-001", lane: "1"))
        guard case .duplicate(_, let queueNo) = try marshal.scan(text: read, site: site, lane: "1") else {
            return XCTFail("a second scan today is a duplicate")
        }
        XCTAssertEqual(queueNo, "B-001")
        guard case .unreadable = try marshal.scan(text: "WIFI:S:guest;;", site: site, lane: "1") else {
            return XCTFail("another QR code is unreadable")
        }
        XCTAssertEqual(try marshal.checkIns(site: site, day: try marshal.checkinDay()).count, 3)

        // A pooled tube of two; a positive result recalls exactly its residents.
        let elder = try station.issuePass(residentId: wang.id, validFromMs: from,
                                          validUntilMs: from + 7 * dayMs)
        let tube = try station.openTube(code: "T-0001", site: site, capacity: 2)
        XCTAssertTrue(try station.tubeScan(tubeId: tube.id, text: pass.text, lane: "1").added)
        let second = try station.tubeScan(tubeId: tube.id, text: elder.text, lane: "1")
        guard case .priority(_, let lane, let flags) = second.outcome else {
            return XCTFail("the elderly resident goes to the priority lane")
        }
        XCTAssertEqual(lane, "priority")
        XCTAssertTrue(flags.elderly)
        XCTAssertEqual(
            doorstepError(try station.tubeScan(tubeId: tube.id, text: elder.text, lane: "1")).map(\.kind),
            "Conflict", "the tube is full")
        XCTAssertEqual(try station.sealTube(tubeId: tube.id).status, .sealed)
        _ = try station.setTubeResult(tubeId: tube.id, result: .positive)
        let recall = try station.tubeRecall(tubeId: tube.id)
        XCTAssertEqual(Set(recall.compactMap { $0.resident?.name }), ["张伟", "王秀英"])
        XCTAssertTrue(recall.allSatisfy { $0.household?.unit == "201" })

        let sheet = try station.passSheet(filter: SheetFilter(buildingId: b3.id),
                                          validFromMs: from, validUntilMs: from + dayMs)
        XCTAssertEqual(sheet.passes.count, 2)
        XCTAssertEqual(String(decoding: sheet.pdf.prefix(5), as: UTF8.self), "%PDF-")
    }
}
