import DoorstepCore
import DoorstepFeatures
import DoorstepKit
import Foundation
import XCTest

/// Each role's flow through the view models and the app's coordinator, against the real
/// station from tests/with-server.sh: the station's phone puts in what the day needs and
/// syncs; the dashboard makes the phone's one-time code; the phone enrols, works, and syncs;
/// then the dashboard's HTTP pages show the result. Each test uses a grid of its own, so
/// the dashboard's figures for that grid are this test's alone.
@MainActor
final class EndToEndTests: FeatureTestCase {
    var tag = ""
    var area = ""
    var dash: Dashboard!

    override func setUp() async throws {
        try await super.setUp()
        tag = String(UUID().uuidString.prefix(6))
        area = "武昌区/中南路街道/丽岛社区/测试网格\(tag)"
        dash = try await Dashboard.login(try server)
    }

    /// The station's own phone: enrolled as a station admin, `body` writes, then it syncs.
    /// Returns what `body` returned and the grid's id.
    func station<T>(_ body: (Doorstep, String) throws -> T) async throws -> (T, String) {
        let code = try await dash.enrolmentCode(user: "站长\(tag)", role: "station_admin")
        let url = folder("station")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let d = try Doorstep.open(path: url.appendingPathComponent("doorstep.db").path, key: key)
        _ = try await d.enrol(server: try server, code: code)
        let gridId = try d.ensureArea(path: area).id
        let out = try body(d, gridId)
        let report = try await d.sync(progress: nil)
        XCTAssertEqual(report.rejected, 0)
        return (out, gridId)
    }

    /// A phone that enrols through the first-run screen with a code the dashboard makes,
    /// and lands on its home screen.
    func enrolledPhone(_ name: String, role: String, areaId: String) async throws -> (AppCoordinator, DoorstepKit.Enrolment) {
        let code = try await dash.enrolmentCode(user: "\(name)\(tag)", role: role, areaId: areaId)
        let app = AppCoordinator(services: try await services(name), defaultServer: try server, settings: settings)
        await app.start()
        XCTAssertEqual(app.current, .firstRun)
        let first = app.firstRun()
        XCTAssertEqual(first.state.server, try server)
        first.send(.codeChanged(code.lowercased()))
        await first.send(.enrol).value
        XCTAssertNil(first.state.failure)
        guard case .home(let e) = app.current else {
            XCTFail("home after enrolment, not \(app.current)")
            throw CancellationError()
        }
        XCTAssertEqual(e.user, "\(name)\(tag)")
        XCTAssertEqual(e.areas, [area])
        return (app, e)
    }

    /// Syncs from the home screen's sync bar and waits until nothing is left to send.
    func syncNow(_ bar: SyncBarViewModel) async throws {
        await bar.send(.syncNow).value
        let st = try await until(bar) { !$0.running && $0.pending == 0 && $0.lastSyncAtMs != nil }
        XCTAssertNil(st.failure)
        XCTAssertEqual(st.lastSummary?.rejected, 0)
    }

    func number(_ id: String, in html: String) -> Int? {
        section(html, after: "id=\"\(id)\">", to: "<").flatMap { Int($0) }
    }

    func testTheSocialWorkersDay() async throws {
        let (household, gridId) = try await station { d, gridId in
            let h = try d.createHousehold(input: NewHousehold(
                areaId: gridId, buildingId: nil, address: "丽岛花园8栋", unit: "602", phone: nil))
            _ = try d.createResident(input: NewResident(
                householdId: h.id, name: "周桂兰", sex: .female, birthYear: 1941, phone: nil,
                tags: [.elderlyAlone], notes: nil))
            return h.id
        }
        let (app, e) = try await enrolledPhone("社工", role: "social_worker", areaId: gridId)
        XCTAssertEqual(e.roles, [.socialWorker])
        let home = app.home(e)
        let due = try XCTUnwrap(home.dueList)
        XCTAssertNil(home.marshal)
        XCTAssertNil(home.runner)

        // The first sync brings her in; she is due as a vulnerable resident never visited.
        try await syncNow(home.syncBar)
        let list = try await until(due) { $0.items.contains { $0.name == "周桂兰" } }
        XCTAssertEqual(list.items.first { $0.name == "周桂兰" }?.tier, .vulnerable)
        due.send(.open(householdId: household))
        XCTAssertEqual(app.current, .household(id: household))

        // Her household, then a visit with her checklist.
        let hh = app.household(household)
        let zhou = try await until(hh) { !$0.residents.isEmpty }.residents[0]
        await hh.send(.startVisit(residentId: zhou.id)).value
        guard case .visit(let visitId) = app.current else { return XCTFail("a visit opens: \(app.current)") }
        let visit = app.visit(visitId)
        await visit.loaded?.value
        for (q, a) in [("seen_safe", DoorstepKit.Answer.yesNo(true)), ("health", .single("fair")),
                       ("self_care", .single("partly")), ("caregiver", .single("none")),
                       ("chronic_meds", .yesNo(true)), ("supplies_ok", .yesNo(true)), ("mood", .single("calm"))] {
            visit.send(.answered(questionId: q, a))
        }
        visit.send(.typed(questionId: "drug", text: "胰岛素"))
        visit.send(.typed(questionId: "drug_days_left", text: "2"))
        await visit.send(.finish).value
        XCTAssertNil(visit.state.failure)

        // Two days of insulin and nobody to look after her: the core raises two needs. The
        // medicine need is referred to a hospital; the other stays open.
        let raised = try XCTUnwrap(visit.state.finished).needs
        XCTAssertEqual(Set(raised.map(\.category)), [.medicine, .noCaregiver])
        let medicine = try XCTUnwrap(raised.first { $0.category == .medicine })
        visit.send(.openNeed(needId: medicine.id))
        XCTAssertEqual(app.current, .need(id: medicine.id))
        let need = app.need(medicine.id)
        await need.loaded?.value
        need.send(.targetChosen(.hospital))
        need.send(.targetNameChanged("中南医院"))
        await need.send(.refer).value
        XCTAssertNil(need.state.failure)
        XCTAssertEqual(need.state.need?.status, .referred)

        // Back home and sync: nothing left to send.
        app.pop()
        app.pop()
        XCTAssertEqual(app.current, .home(e))
        try await syncNow(home.syncBar)

        // The station's dashboard shows the visit, the open need and the referral.
        let overview = try await dash.page("/?area=\(gridId)") { self.number("visits-today", in: $0) == 1 }
        XCTAssertEqual(number("visits-today", in: overview), 1)
        let page = try await dash.page("/area?area=\(gridId)") { $0.contains("中南医院") }
        let board = section(page, after: "id=\"needs\"", to: "</table>") ?? ""
        XCTAssertTrue(board.contains("No caregiver"), board)
        XCTAssertFalse(board.contains("Medicine") && board.contains("Open<"), "the medicine need is referred")
        let referrals = section(page, after: "id=\"referrals\"", to: "</table>") ?? ""
        XCTAssertTrue(referrals.contains("中南医院") && referrals.contains("Medicine"), referrals)
    }

    func testTheMarshalsHour() async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = 86_400_000
        let (passes, gridId) = try await station { d, gridId in
            let h = try d.createHousehold(input: NewHousehold(
                areaId: gridId, buildingId: nil, address: "丽岛花园2栋", unit: "301", phone: "13800000000"))
            func pass(_ name: String, _ year: Int32, _ tags: [DoorstepCore.Tag]) throws -> IssuedPass {
                let r = try d.createResident(input: NewResident(
                    householdId: h.id, name: name, sex: .male, birthYear: year, phone: nil, tags: tags, notes: nil))
                return try d.issuePass(residentId: r.id, validFromMs: now - day, validUntilMs: now + 7 * day)
            }
            _ = try d.newSigningKey()
            let adult = try pass("陈建华", 1980, [])
            let elder = try pass("陈奶奶", 1938, [.elderlyAlone])
            let lost = try pass("陈小军", 1995, [])
            try d.revokePass(passId: lost.passId, reason: "丢失补办")
            let png = try d.passPng(text: adult.text, modulePx: 8)
            return (adult: adult.text, elder: elder.text, lost: lost.text, png: png)
        }
        let (app, e) = try await enrolledPhone("核酸", role: "marshal", areaId: gridId)
        let home = app.home(e)
        let marshal = try XCTUnwrap(home.marshal)
        // The trust list and revocations come down with the first sync: the scans are offline.
        try await syncNow(home.syncBar)
        await marshal.loaded?.value
        let site = "核酸点\(tag)"
        marshal.send(.siteChanged(site))
        marshal.send(.laneChanged("1"))
        marshal.send(.pauseChanged(seconds: 0))
        await marshal.send(.begin).value

        // A picture of the pass (a real QR image rendered by the core), a pass typed in, a
        // revoked one, a forged one, and the first again.
        await marshal.send(.imagePicked(passes.png)).value
        guard case .admitted? = marshal.state.card?.outcome else { return XCTFail("\(String(describing: marshal.state.card))") }
        marshal.send(.manualChanged(passes.elder))
        await marshal.send(.submitManual).value
        guard case .priority? = marshal.state.card?.outcome else { return XCTFail("\(String(describing: marshal.state.card))") }
        for (text, code) in [(passes.lost, "revoked"), (Base45.flipLastBit(passes.adult), "forged"),
                             (passes.adult, "duplicate")] {
            marshal.send(.next)
            await marshal.send(.scanned(text)).value
            XCTAssertEqual(marshal.state.card?.outcome.code, code)
        }
        XCTAssertEqual(marshal.state.today?.scans, 5)
        XCTAssertEqual(marshal.state.today?.admitted, 2)

        // A pooled tube of the two admitted residents, sealed.
        marshal.send(.openTubes)
        XCTAssertEqual(app.current, .tubes(site: site, lane: "1"))
        let tubes = app.tubes(site: site, lane: "1")
        await tubes.loaded?.value
        let tubeCode = "T\(tag)"
        await tubes.send(.scanned(tubeCode)).value
        await tubes.send(.scanned(passes.adult)).value
        await tubes.send(.scanned(passes.elder)).value
        XCTAssertEqual(tubes.state.current?.members, 2)
        await tubes.send(.seal).value
        XCTAssertNil(tubes.state.failure)
        app.pop()
        try await syncNow(home.syncBar)

        var page = try await dash.page("/checkin") { $0.contains("<td>\(tubeCode)</td>") }
        let lanes = section(page, after: "id=\"lanes\"", to: "</table>") ?? ""
        XCTAssertTrue(lanes.contains("<td>\(site)</td><td>1</td><td class=\"num\">2</td>"), lanes)
        XCTAssertTrue(page.contains("<td>\(tubeCode)</td>"), "the sealed tube awaits its result")

        // The lab's positive result, entered at the station, reaches the marshal: the
        // recall list has both, and the dashboard lists them by name.
        let stationPhone = try Doorstep.open(
            path: folder("station").appendingPathComponent("doorstep.db").path, key: key)
        _ = try await stationPhone.sync(progress: nil)
        let tubeId = try XCTUnwrap(tubes.state.tubes.first { $0.code == tubeCode }?.id)
        _ = try stationPhone.setTubeResult(tubeId: tubeId, result: .positive)
        _ = try await stationPhone.sync(progress: nil)
        try await syncNow(home.syncBar)
        _ = try await until(tubes) { $0.positive.contains { $0.code == tubeCode } }
        await tubes.send(.showRecall(tubeId: tubeId)).value
        XCTAssertEqual(tubes.state.recall.count, 2)
        XCTAssertEqual(tubes.state.recall.compactMap(\.name), [], "a marshal's phone holds no names")
        page = try await dash.page("/checkin") { $0.contains("<h3>\(tubeCode)") }
        let recall = section(page, after: "<h3>\(tubeCode)", to: "</table>") ?? ""
        XCTAssertTrue(recall.contains("陈建华") && recall.contains("陈奶奶"), recall)
    }

    func testTheRunnersRound() async throws {
        let runner = "跑腿\(tag)"
        let (packages, gridId) = try await station { d, gridId in
            func home(_ building: String) throws -> String {
                let b = try d.createBuilding(areaId: gridId, name: building)
                return try d.createHousehold(input: NewHousehold(
                    areaId: gridId, buildingId: b.id, address: "丽岛花园\(building)", unit: "101", phone: nil)).id
            }
            let pin = try outForDelivery(
                d, runner: runner, householdId: try home("1栋"), items: [DoorstepCore.ItemLine(item: "rice", quantity: 5)])
            let signed = try outForDelivery(
                d, runner: runner, householdId: try home("2栋"),
                items: [DoorstepCore.ItemLine(item: "cooking_oil", quantity: 1)])
            let failed = try outForDelivery(
                d, runner: runner, householdId: try home("3栋"), items: [DoorstepCore.ItemLine(item: "eggs", quantity: 30)])
            return (pin: pin, signed: signed, failed: failed)
        }
        // The runner's code names the runner the packages went out to.
        let code = try await dash.enrolmentCode(user: runner, role: "runner", areaId: gridId)
        let app = AppCoordinator(services: try await services("runner"), defaultServer: try server, settings: settings)
        await app.start()
        let first = app.firstRun()
        first.send(.codeChanged(code))
        await first.send(.enrol).value
        guard case .home(let e) = app.current else { return XCTFail("home: \(String(describing: first.state.failure))") }
        let home = app.home(e)
        let list = try XCTUnwrap(home.runner)
        try await syncNow(home.syncBar)
        let day = try await until(list) { ($0.day?.stops.flatMap(\.packages).count ?? 0) == 3 }.day!
        XCTAssertEqual(day.stops.map(\.building), ["1栋", "2栋", "3栋"])

        // One with the household's PIN.
        list.send(.open(packageId: packages.pin.packageId))
        XCTAssertEqual(app.current, .package(id: packages.pin.packageId))
        var p = app.package(packages.pin.packageId)
        await p.loaded?.value
        p.send(.chooseMode(.deliver))
        p.send(.pinChanged(packages.pin.pin))
        await p.send(.confirm).value
        XCTAssertNil(p.state.failure)
        XCTAssertEqual(app.current, .home(e), "done: back to the list")

        // One signed on the screen.
        list.send(.open(packageId: packages.signed.packageId))
        p = app.package(packages.signed.packageId)
        await p.loaded?.value
        p.send(.chooseMode(.deliver))
        p.send(.chooseProof(.signature))
        p.send(.canvasSized(width: 300, height: 150))
        p.send(.strokeDrawn([StrokePoint(x: 10, y: 100), StrokePoint(x: 120, y: 30), StrokePoint(x: 280, y: 110)]))
        await p.send(.confirm).value
        XCTAssertNil(p.state.failure)
        let signature = try XCTUnwrap(p.state.handoffs.last?.proof)
        XCTAssertEqual(p.state.pendingUploads, [signature])

        // One nobody could take: the address was wrong.
        list.send(.open(packageId: packages.failed.packageId))
        let f = app.package(packages.failed.packageId)
        await f.loaded?.value
        f.send(.chooseMode(.fail))
        f.send(.failReasonChosen(.wrongAddress))
        await f.send(.confirm).value
        XCTAssertNil(f.state.failure)
        _ = try await until(list) { $0.day?.toReturn.count == 1 }

        // Sync: the signature goes up with the handoffs and stops being pending.
        try await syncNow(home.syncBar)
        _ = try await until(p) { $0.pendingUploads.isEmpty }

        let page = try await dash.page("/deliveries?area=\(gridId)") { self.number("failed-today", in: $0) == 1 }
        XCTAssertEqual(number("delivered-today", in: page), 2)
        XCTAssertEqual(number("failed-today", in: page), 1)
        let failures = section(page, after: "id=\"failures\"", to: "</table>") ?? ""
        XCTAssertTrue(failures.contains("data-code=\"wrong_address\""), failures)
    }
}
