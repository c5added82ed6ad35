import Foundation
import XCTest
@testable import DoorstepCore

/// A runner's day through the Swift bindings: request -> pack -> out -> delivered, with a
/// PIN and with a photo.
final class DeliveriesTests: DoorstepTestCase {
    /// A 64x48 JPEG as a phone camera writes it, with a GPS position in its EXIF.
    let cameraJpeg = Data(base64Encoded: "/9j/4QA4RXhpZgAATU0AKgAAAAgAAYglAAQAAAABAAAAGgAAAABHUFMgMzAuNTI4OE4gMTE0LjM1MDRF/+AAEEpGSUYAAQIAAAEAAQAA/8AAEQgAMABAAwERAAIRAQMRAf/bAEMADQkKCwoIDQsKCw4ODQ8TIBUTEhITJxweFyAuKTEwLiktLDM6Sj4zNkY3LC1AV0FGTE5SU1IyPlphWlBgSlFST//bAEMBDg4OExETJhUVJk81LTVPT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT//EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/EAB8BAAMBAQEBAQEBAQEAAAAAAAABAgMEBQYHCAkKC//EALURAAIBAgQEAwQHBQQEAAECdwABAgMRBAUhMQYSQVEHYXETIjKBCBRCkaGxwQkjM1LwFWJy0QoWJDThJfEXGBkaJicoKSo1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoKDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uLj5OXm5+jp6vLz9PX29/j5+v/aAAwDAQACEQMRAD8A4JYq+gcjGEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqzcjqhMlWKocjphMmWKocjphMxVirucj81hMlWKocjphMmWKocjqhMmWKocjphMmWKocjphMmWKocjphMmWKocjphMmWKocjphMxFirucj82hMmWKocjphMmWKocjphMmWKocjphMmWKs3I6YTJViqHI6oTJliqHI6YTJliqHI6YTMRYq7nI/NYTJliqHI6YTJliqHI6YTJliqHI6oTJliqHI6YTJliqHI6YTJliqHI6YTJliqHI6YTMRYq7nI/NoTJliqHI6YTJlirNyOmEyZYqhyOmEyVYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOqEzEWKu5yPzWEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOqEyZYqhyOmEyZYqhyOmEyZYqzcjphM//Z")!
    let gpsMark = Data("GPS 30.5288N 114.3504E".utf8)

    private func household(_ db: Doorstep, unit: String) throws -> Household {
        let grid = try db.ensureArea(path: gridPath)
        let building = try db.createBuilding(areaId: grid.id, name: "丽岛花园3栋")
        return try db.createHousehold(input: NewHousehold(
            areaId: grid.id, buildingId: building.id, address: "丽岛花园3栋", unit: unit, phone: nil))
    }

    private func outForDelivery(_ db: Doorstep, _ h: Household, _ items: [ItemLine]) throws -> (String, Package) {
        for line in items {
            _ = try db.receiveStock(line: line, kind: .donation, source: "红十字会", note: nil)
        }
        let created = try db.createRequest(input: NewRequest(
            householdId: h.id, source: .manual, items: items, urgency: .high, notes: nil))
        let pkg = try db.newPackage(requestId: created.request.id, items: nil)
        XCTAssertEqual(pkg.status, .requested)
        let packed = try db.handoff(packageId: pkg.id, input: HandoffInput(toStatus: .packed))
        XCTAssertEqual(packed.seq, 1)
        let out = try db.handoff(packageId: pkg.id, input: HandoffInput(toStatus: .outForDelivery, to: "runner-1"))
        XCTAssertEqual(out.prevHash, packed.hash)
        return (created.pin, pkg)
    }

    func testRequestPackOutDeliveredWithPin() throws {
        let db = try openStore()
        let h = try household(db, unit: "2-101")
        let (pin, pkg) = try outForDelivery(db, h, [
            ItemLine(item: "rice", quantity: 5),
            ItemLine(item: "medicine", name: "胰岛素", dose: "300 IU", quantity: 1),
        ])
        XCTAssertEqual(pin.count, 6)
        let stops = try db.runnerList(runner: "runner-1").stops
        XCTAssertEqual(stops.map(\.building), ["丽岛花园3栋"])
        XCTAssertTrue(stops[0].packages[0].medicine)

        let wrong = pin == "000000" ? "111111" : "000000"
        let refused = doorstepError(try db.handoff(
            packageId: pkg.id, input: HandoffInput(toStatus: .delivered, proof: .pin(pin: wrong))))
        XCTAssertEqual(refused?.kind, "ProofRefused")
        XCTAssertTrue(refused?.messageText.contains("4 tries left") ?? false)

        let done = try db.handoff(packageId: pkg.id, input: HandoffInput(toStatus: .delivered, proof: .pin(pin: pin)))
        XCTAssertEqual(done.proofKind, .pin)
        XCTAssertEqual(try db.package(id: pkg.id).status, .delivered)
        XCTAssertEqual(try db.deliveryRequest(id: pkg.requestId).status, .delivered)
        XCTAssertEqual(doorstepError(try db.handoff(
            packageId: pkg.id, input: HandoffInput(toStatus: .delivered, proof: .pin(pin: pin))))?.kind, "Conflict")
        let report = try db.verifyPackage(packageId: pkg.id)
        XCTAssertTrue(report.intact)
        XCTAssertEqual(report.steps, 3)
        XCTAssertEqual(try db.runnerList(runner: "runner-1").itemsLeft, [])
    }

    func testRequestPackOutDeliveredWithPhoto() throws {
        let db = try openStore()
        let h = try household(db, unit: "2-102")
        let (_, pkg) = try outForDelivery(db, h, [ItemLine(item: "care_package", quantity: 1)])
        XCTAssertNotNil(cameraJpeg.range(of: gpsMark))
        XCTAssertEqual(doorstepError(try db.handoff(
            packageId: pkg.id,
            input: HandoffInput(toStatus: .delivered, proof: .photo(bytes: Data("not an image".utf8)))))?.kind,
            "Invalid")
        let done = try db.handoff(packageId: pkg.id, input: HandoffInput(
            toStatus: .delivered, place: "门口", proof: .photo(bytes: cameraJpeg)))
        XCTAssertEqual(done.proofKind, .photo)
        let blob = try db.blob(hash: done.proof!)
        XCTAssertEqual(blob.mime, "image/jpeg")
        XCTAssertEqual(Array(blob.bytes.prefix(3)), [0xFF, 0xD8, 0xFF])
        XCTAssertNil(blob.bytes.range(of: gpsMark))
        XCTAssertNil(blob.bytes.range(of: Data("Exif".utf8)))
        XCTAssertEqual(try db.pendingBlobs(limit: 10), [done.proof!])
    }

    func testStockShortfallIsTyped() throws {
        let db = try openStore()
        let h = try household(db, unit: "2-103")
        _ = try db.receiveStock(line: ItemLine(item: "flour", quantity: 1), kind: .purchase, source: nil, note: nil)
        let created = try db.createRequest(input: NewRequest(
            householdId: h.id, source: .manual, items: [ItemLine(item: "flour", quantity: 3)], urgency: .normal, notes: nil))
        let pkg = try db.newPackage(requestId: created.request.id, items: nil)
        let e = doorstepError(try db.handoff(packageId: pkg.id, input: HandoffInput(toStatus: .packed)))
        XCTAssertEqual(e?.kind, "Shortfall")
        XCTAssertTrue(e?.messageText.contains("short by 2") ?? false)
    }
}
