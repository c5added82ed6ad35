import Foundation
import XCTest
@testable import DoorstepCore

/// A fresh folder per test, removed afterwards, and the keys the tests use.
class DoorstepTestCase: XCTestCase {
    var dir: URL!

    /// A 32-byte key (0, 1, ..., 31).
    let key = Data((0..<32).map { UInt8($0) })
    /// Another 32-byte key.
    let otherKey = Data(repeating: 0xA5, count: 32)

    var dbPath: String { dir.appendingPathComponent("doorstep.db").path }

    override func setUpWithError() throws {
        try super.setUpWithError()
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("doorstep-swift-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir = dir {
            try? FileManager.default.removeItem(at: dir)
        }
        try super.tearDownWithError()
    }

    func openStore(key: Data? = nil) throws -> Doorstep {
        try Doorstep.open(path: dbPath, key: key ?? self.key)
    }

    /// Runs `body`, which must throw a `DoorstepError`, and returns that error.
    func doorstepError<T>(
        _ body: @autoclosure () throws -> T,
        file: StaticString = #filePath, line: UInt = #line
    ) -> DoorstepError? {
        do {
            let value = try body()
            XCTFail("expected a DoorstepError, got the value \(value)", file: file, line: line)
        } catch let e as DoorstepError {
            return e
        } catch {
            XCTFail("expected a DoorstepError, got \(type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }
}

extension DoorstepError {
    /// The case's name ("WrongKey", ...), for assertions.
    var kind: String {
        switch self {
        case .Invalid: return "Invalid"
        case .NotFound: return "NotFound"
        case .WrongKey: return "WrongKey"
        case .NotADatabase: return "NotADatabase"
        case .Corrupt: return "Corrupt"
        case .ReadOnly: return "ReadOnly"
        case .TooNew: return "TooNew"
        case .Storage: return "Storage"
        case .Conflict: return "Conflict"
        case .Shortfall: return "Shortfall"
        case .ProofRefused: return "ProofRefused"
        case .Network: return "Network"
        case .Unauthorized: return "Unauthorized"
        case .Cancelled: return "Cancelled"
        case .Internal: return "Internal"
        @unknown default: return String(describing: self)
        }
    }

    var messageText: String {
        switch self {
        case .Invalid(let m), .NotFound(let m), .WrongKey(let m), .NotADatabase(let m),
             .Corrupt(let m), .ReadOnly(let m), .TooNew(let m), .Storage(let m),
             .Conflict(let m), .Shortfall(let m), .ProofRefused(let m), .Network(let m),
             .Unauthorized(let m), .Cancelled(let m), .Internal(let m):
            return m
        @unknown default:
            return String(describing: self)
        }
    }
}

let gridPath = "武昌区/中南路街道/丽岛社区/第3网格"
