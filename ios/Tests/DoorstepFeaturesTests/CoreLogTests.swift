import DoorstepCore
import DoorstepKit
import Foundation
import XCTest

/// Core's log lines reach the app's sink: set once per process, lines with their level and
/// target as the store opens.
final class CoreLogTests: FeatureTestCase {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var all: [(LogLevel, String, String)] = []

        func add(_ line: (LogLevel, String, String)) {
            lock.lock()
            all.append(line)
            lock.unlock()
        }

        var seen: [(LogLevel, String, String)] {
            lock.lock()
            defer { lock.unlock() }
            return all
        }
    }

    func testCoreLinesReachTheSinkSetOnce() async throws {
        let lines = Lines()
        try CoreLog.install(CoreLog { lines.add(($0, $1, $2)) }, level: .debug)
        XCTAssertThrowsError(try CoreLog.install()) { error in
            XCTAssertEqual((error as? DoorstepFailure)?.kind, "invalid", "a second sink is refused")
        }
        let status = try await services("logs").sync.status()
        XCTAssertEqual(status.pending, 0)
        let opened = lines.seen.filter { $0.1 == "doorstep::store" }
        XCTAssertFalse(opened.isEmpty, "the store's open is logged: \(lines.seen)")
        XCTAssertTrue(lines.seen.allSatisfy { $0.1.hasPrefix("doorstep") })
    }
}
