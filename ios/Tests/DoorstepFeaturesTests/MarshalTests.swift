import DoorstepCore
import DoorstepFeatures
import DoorstepKit
import Foundation
import XCTest

/// The marshal's scanner and tubes against a real store: the station's phone, which signs
/// passes and scans them (a marshal's phone holds only the public key; EndToEndTests syncs
/// one).
@MainActor
final class MarshalTests: FeatureTestCase {
    let site = "丽岛社区核酸点"
    let day: Int64 = 86_400_000
    var passes: [String: String] = [:]
    var homeId = ""

    override func setUp() async throws {
        try await super.setUp()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try seed { d in
            let area = try d.ensureArea(path: grid)
            let h = try d.createHousehold(input: NewHousehold(
                areaId: area.id, buildingId: nil, address: "丽岛花园3栋", unit: "201", phone: nil))
            homeId = h.id
            func person(_ name: String, _ year: Int32, _ tags: [DoorstepCore.Tag]) throws -> String {
                try d.createResident(input: NewResident(
                    householdId: h.id, name: name, sex: .female, birthYear: year, phone: nil, tags: tags, notes: nil)).id
            }
            let adults = try (1...4).map { try person("张\($0)", 1985, []) }
            let elder = try person("王秀英", 1941, [.elderlyAlone])
            _ = try d.newSigningKey()
            func pass(_ r: String, _ from: Int64, _ until: Int64) throws -> IssuedPass {
                try d.issuePass(residentId: r, validFromMs: from, validUntilMs: until)
            }
            for (i, a) in adults.enumerated() { passes["adult\(i)"] = try pass(a, now - day, now + 7 * day).text }
            passes["elder"] = try pass(elder, now - day, now + 7 * day).text
            passes["expired"] = try pass(adults[0], now - 10 * day, now - day).text
            passes["later"] = try pass(adults[1], now + day, now + 7 * day).text
            let revoked = try pass(adults[2], now - day, now + 7 * day)
            try d.revokePass(passId: revoked.passId, reason: "lost")
            passes["revoked"] = revoked.text
        }
        // A pass of another station, whose key this phone does not trust.
        passes["stranger"] = try seed("other") { d in
            let area = try d.ensureArea(path: grid)
            let h = try d.createHousehold(input: NewHousehold(
                areaId: area.id, buildingId: nil, address: "同德街", unit: nil, phone: nil))
            let r = try d.createResident(input: NewResident(
                householdId: h.id, name: "外站", sex: .male, birthYear: 1990, phone: nil, tags: [], notes: nil))
            _ = try d.newSigningKey()
            return try d.issuePass(residentId: r.id, validFromMs: now - day, validUntilMs: now + day).text
        }
        passes["forged"] = Base45.flipLastBit(passes["adult3"]!)
    }

    func marshal() async throws -> MarshalViewModel {
        let vm = MarshalViewModel(checkin: try await services().checkin, settings: settings) { _, _ in }
        await vm.loaded?.value
        vm.send(.siteChanged(site))
        vm.send(.laneChanged("2"))
        vm.send(.prefixChanged("b"))
        vm.send(.pauseChanged(seconds: 0))
        await vm.send(.begin).value
        XCTAssertTrue(vm.state.ready)
        XCTAssertEqual(vm.state.prefix, "B")
        return vm
    }

    /// Scans as the camera would, then lets the next person step up.
    func scan(_ vm: MarshalViewModel, _ text: String) async -> DoorstepKit.ScanOutcome? {
        await vm.send(.scanned(text)).value
        let card = vm.state.card?.outcome
        vm.send(.next)
        return card
    }

    func testEveryOutcomeReachesItsCard() async throws {
        let vm = try await marshal()
        let first = await scan(vm, passes["adult0"]!)
        XCTAssertEqual(first, .admitted(queueNo: "B-001", lane: "2"))
        guard case .priority("B-002", _, let flags)? = await scan(vm, passes["elder"]!) else {
            return XCTFail("the elderly resident goes to the priority lane: \(String(describing: vm.state.card))")
        }
        XCTAssertTrue(flags.elderly)
        guard case .duplicate(_, "B-001")? = await scan(vm, passes["adult0"]!) else {
            return XCTFail("a second scan today is a duplicate with the first number")
        }
        guard case .expired? = await scan(vm, passes["expired"]!) else { return XCTFail("expired") }
        guard case .notYetValid? = await scan(vm, passes["later"]!) else { return XCTFail("not yet valid") }
        guard case .revoked? = await scan(vm, passes["revoked"]!) else { return XCTFail("revoked") }
        guard case .unknownKey? = await scan(vm, passes["stranger"]!) else { return XCTFail("unknown key") }
        let forged = await scan(vm, passes["forged"]!)
        XCTAssertEqual(forged, .forged)
        guard case .unreadable? = await scan(vm, "WIFI:S:guest;;") else { return XCTFail("unreadable") }

        // Every card is kept, newest first, a few at a time; the day's count is the core's.
        XCTAssertEqual(vm.state.recent.count, 5)
        XCTAssertEqual(vm.state.today?.scans, 9)
        XCTAssertEqual(vm.state.today?.admitted, 2)
        XCTAssertNil(vm.state.failure)
        // Each outcome has its card's words in both languages.
        let catalog = try Catalog.load()
        for code in ["admitted", "priority", "duplicate", "expired", "not_yet_valid", "revoked", "unknown_key",
                     "forged", "unreadable", "in_open_tube"] {
            for lang in Catalog.languages {
                XCTAssertFalse(catalog.words("scan.\(code).title", lang).isEmpty)
                XCTAssertFalse(catalog.words("scan.\(code).detail", lang).isEmpty)
            }
        }
    }

    func testThePauseHoldsUntilTheNextPersonOrItsTimeout() async throws {
        let vm = try await marshal()
        await vm.send(.scanned(passes["adult0"]!)).value
        XCTAssertTrue(vm.state.paused)
        // The same code still in view, and another one: neither is read while paused.
        await vm.send(.scanned(passes["adult0"]!)).value
        await vm.send(.scanned(passes["adult1"]!)).value
        XCTAssertEqual(vm.state.card?.outcome, .admitted(queueNo: "B-001", lane: "2"))
        XCTAssertEqual(vm.state.today?.scans, 1)
        // A damaged code typed by hand is a deliberate act and is taken.
        vm.send(.manualChanged("  \(passes["adult1"]!)  "))
        await vm.send(.submitManual).value
        XCTAssertEqual(vm.state.card?.outcome, .admitted(queueNo: "B-002", lane: "2"))
        XCTAssertEqual(vm.state.manual, "")
        // A tap: the next person.
        vm.send(.next)
        XCTAssertFalse(vm.state.paused)
        await vm.send(.scanned(passes["adult2"]!)).value
        XCTAssertEqual(vm.state.today?.scans, 3)
        // With a timeout set, the pause ends by itself.
        vm.send(.pauseChanged(seconds: 1))
        vm.send(.next)
        await vm.send(.scanned(passes["elder"]!)).value
        XCTAssertTrue(vm.state.paused)
        _ = try await until(vm, timeout: 5) { !$0.paused }
        XCTAssertEqual(settings.integer(forKey: "marshal.pauseSeconds"), 1, "the setting is kept")
    }

    func testAPictureOfAPassIsReadAndScanned() async throws {
        let vm = try await marshal()
        let png = try seed("other") { try $0.passPng(text: passes["adult1"]!, modulePx: 8) }
        await vm.send(.imagePicked(png)).value
        XCTAssertEqual(vm.state.card?.outcome, .admitted(queueNo: "B-001", lane: "2"))
    }

    func testATubeFillsToItsCapacityAndSeals() async throws {
        let s = try await services()
        let vm = TubesViewModel(site: site, lane: "2", checkin: s.checkin, sync: s.sync)
        await vm.loaded?.value
        vm.send(.capacityChanged(3))
        // With no tube being filled, the first code read is the tube's.
        await vm.send(.scanned("T-0001")).value
        XCTAssertEqual(vm.state.current?.code, "T-0001")
        XCTAssertEqual(vm.state.current?.capacity, 3)
        for key in ["adult0", "adult1", "elder"] {
            await vm.send(.scanned(passes[key]!)).value
            XCTAssertEqual(vm.state.lastScan?.added, true, key)
        }
        XCTAssertEqual(vm.state.current?.members, 3)
        XCTAssertEqual(vm.state.current?.isFull, true)
        // Full: the core refuses before the pass is read, the screen says why.
        await vm.send(.scanned(passes["adult2"]!)).value
        guard case .conflict(let why)? = vm.state.failure else { return XCTFail("\(String(describing: vm.state.failure))") }
        XCTAssertTrue(why.contains("full"), why)
        await vm.send(.seal).value
        XCTAssertNil(vm.state.current)
        XCTAssertEqual(vm.state.tubes.map(\.status), [.sealed])
        XCTAssertEqual(vm.state.tubes.first?.members, 3)

        // The lab's positive result (here written on the phone; it arrives by sync) lists
        // exactly who to recall.
        let tubeId = vm.state.tubes[0].id
        try seed { d in _ = try d.setTubeResult(tubeId: tubeId, result: .positive) }
        await vm.send(.refresh).value
        XCTAssertEqual(vm.state.positive.map(\.code), ["T-0001"])
        await vm.send(.showRecall(tubeId: tubeId)).value
        XCTAssertEqual(Set(vm.state.recall.compactMap(\.name)), ["张1", "张2", "王秀英"])
        XCTAssertEqual(vm.state.recall.first?.address, "丽岛花园3栋 201")
    }

    func testAResidentAtHomeGoesIntoTheTubeAndNeverIntoTwo() async throws {
        let s = try await services()
        let vm = TubesViewModel(site: site, lane: "2", checkin: s.checkin, sync: s.sync)
        await vm.loaded?.value
        vm.send(.codeChanged("T-0002"))
        await vm.send(.open).value
        await vm.send(.scannedAtHome(text: passes["elder"]!, householdId: homeId)).value
        XCTAssertEqual(vm.state.lastScan?.added, true)
        // A second open tube at the site: she was sampled here today already.
        vm.send(.codeChanged("T-0003"))
        await vm.send(.open).value
        await vm.send(.scanned(passes["elder"]!)).value
        XCTAssertEqual(vm.state.lastScan?.added, false)
        guard case .duplicate? = vm.state.lastScan?.outcome else {
            return XCTFail("\(String(describing: vm.state.lastScan))")
        }
        // At another site while T-0002 is open: refused for the open tube.
        let park = TubesViewModel(site: "紫阳公园核酸点", lane: "1", checkin: s.checkin, sync: s.sync)
        await park.loaded?.value
        await park.send(.scanned("T-0009")).value
        await park.send(.scanned(passes["elder"]!)).value
        XCTAssertEqual(park.state.lastScan?.added, false)
        guard case .inOpenTube("T-0002")? = park.state.lastScan?.outcome else {
            return XCTFail("\(String(describing: park.state.lastScan))")
        }
        // Both open tubes are listed, and the first can be picked up again.
        XCTAssertEqual(Set(vm.state.tubes.map(\.code)), ["T-0002", "T-0003"])
        let first = try XCTUnwrap(vm.state.tubes.first { $0.code == "T-0002" })
        vm.send(.resume(tubeId: first.id))
        XCTAssertEqual(vm.state.current?.code, "T-0002")
    }
}

/// Base45 (RFC 9285) as passes use it, to alter one bit of a pass the way a forger would.
enum Base45 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

    static func decode(_ s: String) -> [UInt8] {
        let v = s.map { alphabet.firstIndex(of: $0)! }
        var out: [UInt8] = []
        var i = 0
        while i + 2 < v.count {
            let n = v[i] + v[i + 1] * 45 + v[i + 2] * 2025
            out += [UInt8(n / 256), UInt8(n % 256)]
            i += 3
        }
        return out
    }

    static func encode(_ b: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i + 1 < b.count {
            let n = Int(b[i]) * 256 + Int(b[i + 1])
            out += String([alphabet[n % 45], alphabet[(n / 45) % 45], alphabet[n / 2025]])
            i += 2
        }
        return out
    }

    /// The pass with the last bit of its signature flipped.
    static func flipLastBit(_ text: String) -> String {
        let prefix = "DS1:"
        var bytes = decode(String(text.dropFirst(prefix.count)))
        bytes[bytes.count - 1] ^= 1
        return prefix + encode(bytes)
    }
}
