import Foundation
import XCTest
@testable import DoorstepCore

/// Opening, reopening and the typed errors of `Doorstep.open`.
final class StoreTests: DoorstepTestCase {
    func testOpenCreatesAnEmptyStoreThatReopensWithItsData() throws {
        var db: Doorstep? = try openStore()
        XCTAssertTrue(FileManager.default.fileExists(atPath: dbPath))
        let device = db!.deviceId()
        XCTAssertFalse(device.isEmpty)
        XCTAssertEqual(try db!.pendingOpCount(), 0)
        XCTAssertEqual(try db!.checkIntegrity(), [])
        XCTAssertEqual(try db!.areas(), [])
        let grid = try db!.ensureArea(path: gridPath)
        db = nil  // closes the store

        let again = try openStore()
        XCTAssertEqual(again.deviceId(), device, "the device id is kept in the store")
        let paths = try again.areas().map(\.path)
        XCTAssertEqual(paths.sorted(), [
            "武昌区", "武昌区/中南路街道", "武昌区/中南路街道/丽岛社区", gridPath,
        ])
        XCTAssertEqual(try again.ensureArea(path: gridPath), grid)
    }

    func testWrongKeyOnReopenThrowsWrongKeyAndLeavesTheStoreIntact() throws {
        do {
            let db = try openStore()
            _ = try db.ensureArea(path: gridPath)
        }
        let sizeBefore = try FileManager.default.attributesOfItem(atPath: dbPath)[.size] as? NSNumber

        let error = doorstepError(try self.openStore(key: self.otherKey))
        guard case .WrongKey(let message)? = error else {
            return XCTFail("expected DoorstepError.WrongKey, got \(String(describing: error))")
        }
        XCTAssertFalse(message.isEmpty)

        let sizeAfter = try FileManager.default.attributesOfItem(atPath: dbPath)[.size] as? NSNumber
        XCTAssertEqual(sizeBefore, sizeAfter)
        // The right key still opens it, with the data.
        let db = try openStore()
        XCTAssertEqual(try db.areas().count, 4)
    }

    func testKeyOfWrongLengthThrowsInvalid() throws {
        for length in [0, 5, 31, 33] {
            let error = doorstepError(
                try Doorstep.open(path: self.dbPath, key: Data(repeating: 7, count: length)))
            guard case .Invalid(let message)? = error else {
                XCTFail("key of \(length) bytes: expected Invalid, got \(String(describing: error))")
                continue
            }
            XCTAssertTrue(message.contains("32"), "message should say the key length: \(message)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dbPath),
                       "a refused key must not create the file")
    }

    func testFolderIsNotADatabase() throws {
        let error = doorstepError(try Doorstep.open(path: self.dir.path, key: self.key))
        XCTAssertEqual(error?.kind, "NotADatabase", "\(String(describing: error))")
    }

    func testMissingParentFolderThrowsInvalid() throws {
        let path = dir.appendingPathComponent("no/such/folder/doorstep.db").path
        let error = doorstepError(try Doorstep.open(path: path, key: self.key))
        XCTAssertEqual(error?.kind, "Invalid", "\(String(describing: error))")
    }

    func testErrorsAreSwiftErrorsWithADescription() throws {
        let error = doorstepError(try Doorstep.open(path: self.dbPath, key: Data(count: 5)))
        let described = (error as Error?)?.localizedDescription ?? ""
        XCTAssertTrue(described.contains("Invalid"), described)
    }
}
