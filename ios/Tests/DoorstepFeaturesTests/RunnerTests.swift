import DoorstepCore
import DoorstepFeatures
import DoorstepKit
import Foundation
import XCTest

/// Puts a household's request out for delivery with `runner` in a store, the way the
/// station's phone does before the runner syncs; returns the package id and the PIN.
func outForDelivery(
    _ d: Doorstep, runner: String, householdId: String, items: [DoorstepCore.ItemLine],
    urgency: DoorstepCore.Urgency = .normal, source: RequestSource = .manual, notes: String? = nil
) throws -> (packageId: String, requestId: String, pin: String) {
    for line in items { _ = try d.receiveStock(line: line, kind: .donation, source: "爱心企业", note: nil) }
    let created = try d.createRequest(input: NewRequest(
        householdId: householdId, source: source, items: items, urgency: urgency, notes: notes))
    let p = try d.newPackage(requestId: created.request.id, items: nil)
    _ = try d.handoff(packageId: p.id, input: HandoffInput(toStatus: .packed))
    _ = try d.handoff(packageId: p.id, input: HandoffInput(toStatus: .outForDelivery, to: runner))
    return (p.id, created.request.id, created.pin)
}

/// The runner's list and handoffs against a real store.
@MainActor
final class RunnerTests: FeatureTestCase {
    let runner = "跑腿小刘"
    var rice = ("", "", "")
    var medicine = ("", "", "")
    var needId = ""

    override func setUp() async throws {
        try await super.setUp()
        try seed { d in
            let area = try d.ensureArea(path: grid)
            func home(_ building: String, _ unit: String) throws -> String {
                let b = try d.createBuilding(areaId: area.id, name: building)
                return try d.createHousehold(input: NewHousehold(
                    areaId: area.id, buildingId: b.id, address: "丽岛花园\(building)", unit: unit, phone: nil)).id
            }
            let h1 = try home("1栋", "101")
            let h8 = try home("8栋", "602")
            let r = try d.createResident(input: NewResident(
                householdId: h1, name: "赵桂芳", sex: .female, birthYear: 1944, phone: nil, tags: [], notes: nil))
            let need = try d.raiseNeed(input: NewNeed(
                subject: Subject(householdId: nil, residentId: r.id), category: .foodStaples, urgency: .normal))
            needId = need.id
            let r1 = try outForDelivery(
                d, runner: runner, householdId: h1, items: [DoorstepCore.ItemLine(item: "rice", quantity: 5)],
                source: .need(needId: need.id), notes: "放门口的鞋柜上")
            rice = (r1.packageId, r1.requestId, r1.pin)
            let r8 = try outForDelivery(
                d, runner: runner, householdId: h8,
                items: [DoorstepCore.ItemLine(item: "medicine", name: "二甲双胍", dose: "500mg", quantity: 2)],
                urgency: .high)
            medicine = (r8.packageId, r8.requestId, r8.pin)
        }
    }

    func package(_ id: String) async throws -> PackageViewModel {
        let s = try await services()
        let vm = PackageViewModel(packageId: id, deliveries: s.deliveries, sync: s.sync) {}
        await vm.loaded?.value
        return vm
    }

    func testTheListPutsMedicineFirstAndKeepsWhatIsLeft() async throws {
        let s = try await services()
        var opened: [String] = []
        let vm = RunnerListViewModel(runner: runner, deliveries: s.deliveries, sync: s.sync) { opened.append($0) }
        await vm.loaded?.value
        let day = try XCTUnwrap(vm.state.day)
        XCTAssertEqual(day.stops.map(\.building), ["8栋", "1栋"], "the building with medicine first")
        XCTAssertEqual(day.stops[0].packages.map(\.medicine), [true])
        XCTAssertEqual(Set(day.itemsLeft.map(\.item)), ["rice", "medicine"])
        vm.send(.open(packageId: day.stops[1].packages[0].packageId))
        XCTAssertEqual(opened, [rice.0])
        let p = try await package(rice.0)
        XCTAssertEqual(p.state.package?.notes, "放门口的鞋柜上")
        XCTAssertEqual(p.state.package?.items.map(\.quantity), [5])
        XCTAssertEqual(p.state.handoffs.map(\.status), [.packed, .outForDelivery])
        XCTAssertEqual(p.state.modes, [.deliver, .deliverPart, .fail, .returnToStation])
    }

    func testAWrongPinShowsTriesLeftAndALockedPinRefuses() async throws {
        let vm = try await package(rice.0)
        vm.send(.chooseMode(.deliver))
        vm.send(.chooseProof(.pin))
        XCTAssertFalse(vm.state.canConfirm, "no PIN typed yet")
        let wrong = rice.2 == "000000" ? "111111" : "000000"
        for left in (0..<5).reversed() {
            vm.send(.pinChanged(wrong))
            await vm.send(.confirm).value
            guard case .refused? = vm.state.failure else { return XCTFail("\(String(describing: vm.state.failure))") }
            XCTAssertEqual(vm.state.pinTriesLeft, left)
        }
        // Locked: the right PIN is refused too, and nothing was recorded.
        vm.send(.pinChanged(rice.2))
        await vm.send(.confirm).value
        guard case .refused(let why)? = vm.state.failure else { return XCTFail("locked") }
        XCTAssertTrue(why.contains("locked"), why)
        XCTAssertEqual(vm.state.pinTriesLeft, 0)
        await vm.send(.reload).value
        XCTAssertEqual(vm.state.handoffs.count, 2)
        XCTAssertEqual(vm.state.package?.status, .outForDelivery)
        // Another proof still works: a stated reason.
        vm.send(.chooseProof(.none))
        vm.send(.noProofReasonChanged("PIN 锁定；本人当面签收，跑腿认识"))
        await vm.send(.confirm).value
        XCTAssertNil(vm.state.failure)
        XCTAssertEqual(vm.state.package?.status, .delivered)
        XCTAssertEqual(vm.state.handoffs.last?.proofKind, ProofKind.none)
    }

    func testTheRightPinDeliversAndResolvesTheNeed() async throws {
        var done = 0
        let s = try await services()
        let vm = PackageViewModel(packageId: rice.0, deliveries: s.deliveries, sync: s.sync) { done += 1 }
        await vm.loaded?.value
        vm.send(.chooseMode(.deliver))
        vm.send(.pinChanged(rice.2))
        await vm.send(.confirm).value
        XCTAssertNil(vm.state.failure)
        XCTAssertEqual(vm.state.handoffs.last?.proofKind, .pin)
        XCTAssertEqual(done, 1, "the screen closes")
        let status = try await s.needs.need(needId).status
        XCTAssertEqual(status, .resolved)
    }

    func testASignaturesStrokesBecomeAStoredBlobPendingUntilSync() async throws {
        let vm = try await package(medicine.0)
        vm.send(.chooseMode(.deliver))
        vm.send(.chooseProof(.signature))
        vm.send(.canvasSized(width: 320, height: 160))
        XCTAssertFalse(vm.state.canConfirm, "nothing drawn yet")
        vm.send(.strokeDrawn([StrokePoint(x: 20, y: 80), StrokePoint(x: 80, y: 40), StrokePoint(x: 140, y: 120)]))
        vm.send(.strokeDrawn([StrokePoint(x: 160, y: 60), StrokePoint(x: 300, y: 70)]))
        XCTAssertEqual(vm.state.strokes.count, 2)
        await vm.send(.confirm).value
        XCTAssertNil(vm.state.failure)
        let h = try XCTUnwrap(vm.state.handoffs.last)
        XCTAssertEqual(h.status, .delivered)
        XCTAssertEqual(h.proofKind, .signature)
        let hash = try XCTUnwrap(h.proof)
        XCTAssertEqual(vm.state.pendingUploads, [hash], "shown as pending until a sync uploads it")
        let png = try await services().deliveries.image(hash: hash)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "the core drew a PNG")
    }

    func testAPartialDeliveryHandsOverLessAndTheRestComesBack() async throws {
        let vm = try await package(rice.0)
        vm.send(.chooseMode(.deliverPart))
        vm.send(.partialQuantity(index: 0, quantity: 3))
        vm.send(.partialQuantity(index: 0, quantity: 99))
        XCTAssertEqual(vm.state.partial.first?.quantity, 5, "never more than planned")
        vm.send(.partialQuantity(index: 0, quantity: 3))
        vm.send(.pinChanged(rice.2))
        await vm.send(.confirm).value
        XCTAssertNil(vm.state.failure)
        XCTAssertEqual(vm.state.package?.status, .partlyDelivered)
        XCTAssertEqual(vm.state.package?.delivered.map(\.quantity), [3])
        XCTAssertEqual(vm.state.modes, [.returnToStation])
        vm.send(.chooseMode(.returnToStation))
        await vm.send(.confirm).value
        XCTAssertEqual(vm.state.package?.status, .returned)
    }

    func testAFailedDeliveryReopensItsNeed() async throws {
        let s = try await services()
        let status = try await s.needs.need(needId).status
        XCTAssertEqual(status, .inProgress, "a request takes its need up")
        let vm = try await package(rice.0)
        vm.send(.chooseMode(.fail))
        vm.send(.failReasonChosen(.nobodyHome))
        vm.send(.noteChanged("敲门无人应"))
        await vm.send(.confirm).value
        XCTAssertNil(vm.state.failure)
        XCTAssertEqual(vm.state.package?.status, .failed)
        XCTAssertEqual(vm.state.package?.reason, .nobodyHome)
        let reopened = try await s.needs.need(needId).status
        XCTAssertEqual(reopened, .open)
        // It goes on the runner's list of what to bring back.
        let list = RunnerListViewModel(runner: runner, deliveries: s.deliveries, sync: s.sync) { _ in }
        await list.loaded?.value
        XCTAssertEqual(list.state.day?.toReturn.map(\.packageId), [rice.0])
    }
}
