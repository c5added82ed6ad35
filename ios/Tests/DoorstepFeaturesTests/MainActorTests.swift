import DoorstepCore
import DoorstepFeatures
import DoorstepKit
import Foundation
import XCTest

/// Records every call the services make into the bindings, with whether it ran on the
/// main thread.
final class CallRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [(String, Bool)] = []

    func record(_ name: String, _ onMain: Bool) {
        lock.lock()
        calls.append((name, onMain))
        lock.unlock()
    }

    var all: [(name: String, onMain: Bool)] {
        lock.lock()
        defer { lock.unlock() }
        return calls
    }
}

/// The view models run on the main actor; no call of theirs reaches the bindings there.
/// The real services are used, with a recorder on the one queue every binding call passes.
@MainActor
final class MainActorTests: FeatureTestCase {
    func testNoBindingCallRunsOnTheMainThread() async throws {
        XCTAssertTrue(Thread.isMainThread, "the test drives the view models from the main thread")
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let (household, resident, pass, pkg) = try seed { d -> (String, String, String, String) in
            let area = try d.ensureArea(path: grid)
            let h = try d.createHousehold(input: NewHousehold(
                areaId: area.id, buildingId: nil, address: "丽岛花园6栋", unit: "301", phone: nil))
            let r = try d.createResident(input: NewResident(
                householdId: h.id, name: "孙桂英", sex: .female, birthYear: 1939, phone: nil,
                tags: [.elderlyAlone], notes: nil))
            _ = try d.newSigningKey()
            let p = try d.issuePass(residentId: r.id, validFromMs: now - 3_600_000, validUntilMs: now + 86_400_000)
            let out = try outForDelivery(
                d, runner: "runner", householdId: h.id, items: [DoorstepCore.ItemLine(item: "flour", quantity: 2)])
            return (h.id, r.id, p.text, out.packageId)
        }
        let s = try await services()
        let recorder = CallRecorder()
        s.core.observe { name, onMain in recorder.record(name, onMain) }

        // Every screen, through its main actions.
        let first = FirstRunViewModel(enrolment: s.enrolment, server: try server) { _ in }
        first.send(.codeChanged("NOPEN-NOPEN"))
        await first.send(.enrol).value
        let bar = SyncBarViewModel(sync: s.sync) {}
        await bar.send(.syncNow).value
        let due = DueListViewModel(visits: s.visits, registry: s.registry, sync: s.sync) { _ in }
        await due.send(.refresh).value
        await due.send(.queryChanged("sgy")).value
        let hh = HouseholdViewModel(
            householdId: household, registry: s.registry, visits: s.visits, needs: s.needs,
            onVisit: { _ in }, onNeed: { _ in })
        await hh.send(.reload).value
        await hh.send(.startVisit(residentId: resident)).value
        let drafts = try await s.visits.drafts()
        let visitId = try XCTUnwrap(drafts.first?.visitId)
        let visit = VisitViewModel(visitId: visitId, visits: s.visits, onClose: { _ in }, onNeed: { _ in })
        await visit.loaded?.value
        for (q, a) in [("seen_safe", DoorstepKit.Answer.yesNo(true)), ("health", .single("fair")),
                       ("self_care", .single("partly")), ("caregiver", .single("none")),
                       ("chronic_meds", .yesNo(false)), ("supplies_ok", .yesNo(true)), ("mood", .single("calm"))] {
            visit.send(.answered(questionId: q, a))
        }
        await visit.send(.finish).value
        XCTAssertNil(visit.state.failure)
        let needId = try XCTUnwrap(visit.state.finished?.needs.first?.id)
        let need = NeedViewModel(needId: needId, needs: s.needs)
        await need.loaded?.value
        await need.send(.refer).value
        let marshal = MarshalViewModel(checkin: s.checkin, settings: settings) { _, _ in }
        marshal.send(.siteChanged("主场"))
        await marshal.send(.begin).value
        await marshal.send(.scanned(pass)).value
        let tubes = TubesViewModel(site: "主场", lane: "1", checkin: s.checkin, sync: s.sync)
        await tubes.send(.scanned("T-9")).value
        await tubes.send(.scanned(pass)).value
        await tubes.send(.seal).value
        let runner = RunnerListViewModel(runner: "runner", deliveries: s.deliveries, sync: s.sync) { _ in }
        await runner.loaded?.value
        let package = PackageViewModel(packageId: pkg, deliveries: s.deliveries, sync: s.sync) {}
        await package.loaded?.value
        package.send(.chooseMode(.deliver))
        package.send(.pinChanged("000001"))
        await package.send(.confirm).value
        s.core.observe(nil)

        let calls = recorder.all
        let names = Set(calls.map(\.name))
        for expected in ["enrol", "sync", "syncStatus", "dueList", "search", "household", "startVisit", "answer",
                         "finishVisit", "referNeed", "setQueuePrefix", "scan", "openTube", "tubeScan", "sealTube",
                         "runnerList", "package", "handoff", "pinTriesLeft"] {
            XCTAssertTrue(names.contains(expected), "\(expected) was called (calls: \(names.sorted()))")
        }
        XCTAssertEqual(calls.filter(\.onMain).map(\.name), [], "binding calls made on the main thread")
    }

    /// Only DoorstepKit imports the bindings: view models and views see the app's types.
    nonisolated func testOnlyTheServicesImportTheBindings() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        var checked = 0
        for module in ["DoorstepFeatures", "DoorstepUI"] {
            let dir = sources.appendingPathComponent(module)
            let files = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? []
            for f in files where f.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
                XCTAssertFalse(text.contains("import DoorstepCore"), "\(module)/\(f) imports the bindings")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 10)
    }
}
