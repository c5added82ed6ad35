import Foundation
import XCTest
@testable import DoorstepCore

/// Every progress call, in order; the library calls it from its own threads.
/// Cancels a sync at its first progress report.
final class CancelFirst: SyncProgress, @unchecked Sendable {
    private let handle: CancelHandle

    init(_ handle: CancelHandle) { self.handle = handle }

    func progress(stage: SyncStage, done: UInt64, total: UInt64) {
        handle.cancel()
    }
}

final class ProgressRecorder: SyncProgress, @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [(SyncStage, UInt64, UInt64)] = []

    func progress(stage: SyncStage, done: UInt64, total: UInt64) {
        lock.lock()
        calls.append((stage, done, total))
        lock.unlock()
    }

    var seen: [(SyncStage, UInt64, UInt64)] {
        lock.lock()
        defer { lock.unlock() }
        return calls
    }
}

/// Sync through the Swift bindings against a real station server (started by
/// tests/with-server.sh, which tests/swift/run.sh calls): phones enrol with one-time codes,
/// write, sync with async/await, and another phone sees what they wrote.
final class SyncTests: DoorstepTestCase {
    let grid = "武昌区/中南路街道/丽岛社区/第1网格"

    /// The server, and its codes: worker1, worker2, admin, runner1 (see tests/with-server.sh).
    func serverAndCodes() throws -> (String, [String]) {
        let env = ProcessInfo.processInfo.environment
        guard let server = env["DOORSTEP_TEST_SERVER"], !server.isEmpty else {
            XCTFail("DOORSTEP_TEST_SERVER is not set: run through tests/with-server.sh (tests/swift/run.sh does)")
            throw XCTSkip("no server")
        }
        let codes = (env["DOORSTEP_TEST_CODES"] ?? "").split(separator: ",").map(String.init)
        XCTAssertGreaterThanOrEqual(codes.count, 4, "DOORSTEP_TEST_CODES holds at least four codes")
        return (server, codes)
    }

    func phone(_ name: String) throws -> Doorstep {
        try Doorstep.open(path: dir.appendingPathComponent("\(name).db").path, key: key)
    }

    func testTwoPhonesSyncThroughTheServer() async throws {
        let (server, codes) = try serverAndCodes()
        let a = try phone("a")
        let b = try phone("b")
        let ea = try await a.enrol(server: server, code: codes[0])
        XCTAssertEqual(ea.role, .socialWorker)
        XCTAssertEqual(ea.areas, [grid])
        XCTAssertEqual(ea.user, "worker1")
        _ = try await b.enrol(server: server, code: codes[1])

        let area = try a.ensureArea(path: grid)
        let h = try a.createHousehold(input: NewHousehold(
            areaId: area.id, buildingId: nil, address: "丽岛花园7栋", unit: "502", phone: nil))
        _ = try a.createResident(input: NewResident(
            householdId: h.id, name: "赵桂芳", sex: .female, birthYear: 1944, phone: nil, tags: [], notes: nil))
        let pending = try a.pendingOpCount()
        XCTAssertGreaterThanOrEqual(pending, 6, "areas, household and resident")

        let progress = ProgressRecorder()
        let report = try await a.sync(progress: progress)
        XCTAssertEqual(report.rejected, 0)
        XCTAssertEqual(report.pending, 0)
        XCTAssertEqual(report.accepted, pending)
        let pushes = progress.seen.filter { $0.0 == .push }
        XCTAssertEqual(pushes.last?.1, pending)
        XCTAssertEqual(pushes.last?.2, pending)
        XCTAssertEqual(progress.seen.last?.0, .done)

        // Cancelled at its first progress report: Cancelled at its next request; the next
        // sync does the whole job.
        let cancel = CancelHandle()
        do {
            _ = try await b.sync(progress: CancelFirst(cancel), cancel: cancel)
            XCTFail("a cancelled sync throws")
        } catch DoorstepError.Cancelled {
        }
        XCTAssertTrue(cancel.isCancelled())

        // What the cancelled sync had applied stays: together they hold all a wrote.
        let got = try await b.sync(progress: nil)
        XCTAssertEqual(got.pending, 0)
        XCTAssertEqual(try b.residentsOf(householdId: h.id).map(\.name), ["赵桂芳"])
        XCTAssertEqual(try b.conflicts(includeReviewed: false).count, 0)
    }

    func testASignatureGoesUpAndARunnerFetchesIt() async throws {
        let (server, codes) = try serverAndCodes()
        let station = try phone("station")
        let runner = try phone("runner")
        let admin = try await station.enrol(server: server, code: codes[2])
        XCTAssertEqual(admin.role, .stationAdmin)
        let enrolled = try await runner.enrol(server: server, code: codes[3])
        XCTAssertEqual(enrolled.role, .runner)

        let area = try station.ensureArea(path: grid)
        let h = try station.createHousehold(input: NewHousehold(
            areaId: area.id, buildingId: nil, address: "丽岛花园8栋", unit: "101", phone: nil))
        let rice = ItemLine(item: "rice", quantity: 2)
        _ = try station.receiveStock(line: rice, kind: .donation, source: "红十字会", note: nil)
        let req = try station.createRequest(input: NewRequest(
            householdId: h.id, source: .manual, items: [rice], urgency: .normal, notes: nil))
        let pkg = try station.newPackage(requestId: req.request.id, items: nil)
        _ = try station.handoff(packageId: pkg.id, input: HandoffInput(toStatus: .packed))
        _ = try station.handoff(packageId: pkg.id, input: HandoffInput(toStatus: .outForDelivery, to: "runner1"))
        let stroke = SignatureStroke(points: [SignaturePoint(x: 20, y: 100), SignaturePoint(x: 380, y: 140)])
        let done = try station.handoff(packageId: pkg.id, input: HandoffInput(
            toStatus: .delivered, proof: .signature(width: 400, height: 200, strokes: [stroke])))
        let hash = try XCTUnwrap(done.proof)
        XCTAssertEqual(try station.pendingBlobs(limit: 10), [hash])

        let progress = ProgressRecorder()
        let up = try await station.sync(progress: progress)
        XCTAssertEqual(up.rejected, 0)
        XCTAssertEqual(up.blobsUploaded, 1)
        // The blob stage counts to its end. A station admin's phone also fetches what other
        // phones uploaded to this station (the app's suites share it), so the total may be more.
        XCTAssertTrue(progress.seen.contains { $0.0 == .blobs && $0.1 == $0.2 && $0.2 >= 1 })
        XCTAssertTrue(progress.seen.contains { $0.0 == .blobs && $0.1 == 0 && $0.2 >= 1 })
        XCTAssertEqual(try station.pendingBlobs(limit: 10), [])

        let down = try await runner.sync(progress: nil)
        XCTAssertEqual(down.blobsDownloaded, 1)
        XCTAssertEqual(try runner.package(id: pkg.id).status, .delivered)
        XCTAssertEqual(try runner.blob(hash: hash).bytes, try station.blob(hash: hash).bytes)
        XCTAssertEqual(try runner.blob(hash: hash).mime, "image/png")
    }

    func testAnUnknownCodeIsRefused() async throws {
        let (server, _) = try serverAndCodes()
        let c = try phone("c")
        do {
            _ = try await c.enrol(server: server, code: "NOPEN-NOPEN")
            XCTFail("an unknown code enrolled")
        } catch DoorstepError.Unauthorized(let message) {
            XCTAssertTrue(message.contains("enrolment_code_unknown"), message)
        }
        XCTAssertNil(try c.enrolment())
    }
}
