import DoorstepCore
import DoorstepFeatures
import DoorstepKit
import Foundation
import XCTest

/// The social worker's screens against a real store in a temporary folder.
@MainActor
final class SocialWorkerTests: FeatureTestCase {
    var wang = ""
    var wangHome = ""

    override func setUp() async throws {
        try await super.setUp()
        try seed { d in
            let area = try d.ensureArea(path: grid)
            func resident(_ address: String, _ name: String, _ tags: [DoorstepCore.Tag]) throws -> (String, String) {
                let h = try d.createHousehold(input: NewHousehold(
                    areaId: area.id, buildingId: nil, address: address, unit: nil, phone: nil))
                let r = try d.createResident(input: NewResident(
                    householdId: h.id, name: name, sex: .female, birthYear: 1940, phone: nil, tags: tags, notes: nil))
                return (h.id, r.id)
            }
            _ = try resident("丽岛花园1栋 101", "赵磊", [])
            (wangHome, wang) = try resident("丽岛花园3栋 201", "王秀英", [.elderlyAlone])
            let (_, li) = try resident("丽岛花园5栋 302", "李建国", [])
            _ = try d.raiseNeed(input: NewNeed(
                subject: Subject(householdId: nil, residentId: li), category: .medicine, urgency: .critical,
                details: nil, drug: "胰岛素", daysLeft: 1))
        }
    }

    func testTheDueListKeepsTheCoresOrderWithItsReasons() async throws {
        let s = try await services()
        var opened: [String] = []
        let vm = DueListViewModel(visits: s.visits, registry: s.registry, sync: s.sync) { opened.append($0) }
        let st = try await until(vm) { !$0.loading && !$0.items.isEmpty }
        // Nobody in 赵磊's household is tagged: the household itself is due, by its address.
        XCTAssertEqual(st.items.map { $0.name ?? $0.address }, ["李建国", "王秀英", "丽岛花园1栋 101"])
        XCTAssertEqual(st.items.map(\.tier), [.life, .vulnerable, .neverVisited])
        guard case .lifeNeed(.medicine, .critical, let runsOut)? = st.items[0].reasons.first else {
            return XCTFail("a life need first: \(st.items[0].reasons)")
        }
        XCTAssertNotNil(runsOut, "insulin for a day runs out")
        XCTAssertEqual(st.items[1].tags, [.elderlyAlone])

        // Search by initials finds her; opening goes to her household through the callback.
        await vm.send(.queryChanged("wxy")).value
        XCTAssertEqual(vm.state.results?.map(\.name), ["王秀英"])
        vm.send(.open(householdId: vm.state.results![0].householdId))
        XCTAssertEqual(opened, [wangHome])
        // Clearing the query shows the due list again.
        vm.send(.queryChanged(""))
        XCTAssertNil(vm.state.results)
    }

    func visitOfWang() async throws -> VisitViewModel {
        let form = try await services().visits.start(householdId: wangHome, residentId: wang)
        let vm = VisitViewModel(visitId: form.visitId, visits: try await services().visits, onClose: { _ in }, onNeed: { _ in })
        await vm.loaded?.value
        return vm
    }

    func ids(_ s: DoorstepFeatures.VisitState) -> [String] { s.form?.questions.map(\.id) ?? [] }

    func testAQuestionIsShownAndHiddenAsTheAnswersChange() async throws {
        let vm = try await visitOfWang()
        XCTAssertFalse(ids(vm.state).contains("drug"))
        await vm.send(.answered(questionId: "chronic_meds", .yesNo(true))).value
        XCTAssertTrue(ids(vm.state).contains("drug"))
        await vm.send(.answered(questionId: "chronic_meds", .yesNo(false))).value
        XCTAssertFalse(ids(vm.state).contains("drug"))
        XCTAssertEqual(vm.state.form?.questions.first { $0.id == "chronic_meds" }?.answer, .yesNo(false))
    }

    func testARefusedAnswerShowsTheCoresReasonInWords() async throws {
        let vm = try await visitOfWang()
        await vm.send(.answered(questionId: "chronic_meds", .yesNo(true))).value
        let long = String(repeating: "药", count: 101)
        await vm.send(.typed(questionId: "drug", text: long)).value
        guard case .invalid(let detail)? = vm.state.refused["drug"] else {
            return XCTFail("refused as invalid: \(String(describing: vm.state.refused["drug"]))")
        }
        XCTAssertTrue(detail.contains("more than the 100 allowed"), detail)
        XCTAssertEqual(vm.state.typed["drug"], long)
        XCTAssertTrue(try Catalog.load().words("failure.invalid", "zh-Hans").hasPrefix("内容不符合要求"))
        // A shorter answer is taken and the refusal goes away.
        await vm.send(.typed(questionId: "drug", text: "胰岛素")).value
        XCTAssertNil(vm.state.refused["drug"])
        XCTAssertEqual(vm.state.form?.questions.first { $0.id == "drug" }?.answer, .text("胰岛素"))
        // A number field holding letters is refused before it reaches the core.
        await vm.send(.typed(questionId: "drug_days_left", text: "两天")).value
        guard case .invalid? = vm.state.refused["drug_days_left"] else { return XCTFail("letters in a number field") }
    }

    func testADraftSurvivesARestartAndIsResumed() async throws {
        let vm = try await visitOfWang()
        let visitId = try XCTUnwrap(vm.state.form?.visitId)
        await vm.send(.answered(questionId: "health", .single("fair"))).value

        restart()
        var resumed: [String] = []
        let s = try await services()
        let h = HouseholdViewModel(
            householdId: wangHome, registry: s.registry, visits: s.visits, needs: s.needs,
            onVisit: { resumed.append($0) }, onNeed: { _ in })
        let hs = try await until(h) { $0.household != nil }
        XCTAssertEqual(hs.drafts.map(\.visitId), [visitId])
        h.send(.startVisit(residentId: wang))
        XCTAssertEqual(resumed, [visitId], "the draft is resumed, not a second visit started")
        let again = VisitViewModel(visitId: visitId, visits: s.visits, onClose: { _ in }, onNeed: { _ in })
        await again.loaded?.value
        XCTAssertEqual(again.state.form?.questions.first { $0.id == "health" }?.answer, .single("fair"))
    }

    func testAFinishedVisitRaisesANeedThatIsReferredAndFollowedUp() async throws {
        let vm = try await visitOfWang()
        let answers: [(String, DoorstepKit.Answer)] = [
            ("seen_safe", .yesNo(true)), ("health", .single("fair")), ("self_care", .single("partly")),
            ("caregiver", .single("none")), ("chronic_meds", .yesNo(true)), ("supplies_ok", .yesNo(true)),
            ("mood", .single("calm")),
        ]
        for (q, a) in answers { vm.send(.answered(questionId: q, a)) }
        vm.send(.typed(questionId: "drug", text: "硝苯地平"))
        vm.send(.typed(questionId: "drug_days_left", text: "5"))
        // Finishing stores what is still waiting for a pause in typing first.
        await vm.send(.finish).value
        XCTAssertNil(vm.state.failure)
        let needs = try XCTUnwrap(vm.state.finished).needs
        XCTAssertEqual(Set(needs.map(\.category)), [.medicine, .noCaregiver])
        XCTAssertEqual(needs.first { $0.category == .medicine }?.drug, "硝苯地平")

        let carer = try XCTUnwrap(needs.first { $0.category == .noCaregiver })
        let n = NeedViewModel(needId: carer.id, needs: try await services().needs)
        await n.loaded?.value
        XCTAssertEqual(n.state.need?.status, .open)
        // Another station must be named: the core refuses, the screen says why.
        n.send(.targetChosen(.station))
        await n.send(.refer).value
        guard case .invalid? = n.state.failure else { return XCTFail("refused: \(String(describing: n.state.failure))") }
        n.send(.targetNameChanged("同德街社工站"))
        n.send(.noteChanged("女儿住同德街"))
        await n.send(.refer).value
        XCTAssertNil(n.state.failure)
        XCTAssertEqual(n.state.need?.status, .referred)
        XCTAssertEqual(n.state.referrals.map(\.targetName), ["同德街社工站"])
        XCTAssertEqual(n.state.referrals.first?.note, "女儿住同德街")
        XCTAssertEqual(n.state.note, "")
        await n.send(.followUpIn(days: 3)).value
        XCTAssertEqual(n.state.followUps.count, 1)
        // A move the core forbids is refused and changes nothing.
        await n.send(.move(.open)).value
        XCTAssertNotNil(n.state.failure)
        XCTAssertEqual(n.state.need?.status, .referred)
    }

    func testAResidentIsAddedWithTagsAndABadYearIsRefused() async throws {
        let s = try await services()
        let h = HouseholdViewModel(
            householdId: wangHome, registry: s.registry, visits: s.visits, needs: s.needs,
            onVisit: { _ in }, onNeed: { _ in })
        _ = try await until(h) { $0.household != nil }
        h.send(.edit(residentId: nil))
        var e = try XCTUnwrap(h.state.edit)
        e.name = "王小明"
        e.birthYear = "2130"
        h.send(.editChanged(e))
        h.send(.toggleTag(.childInHardship))
        await h.send(.saveResident).value
        XCTAssertTrue(h.state.failure?.detail.contains("2130") == true, "\(String(describing: h.state.failure))")
        e = try XCTUnwrap(h.state.edit)
        e.birthYear = "2015"
        h.send(.editChanged(e))
        await h.send(.saveResident).value
        XCTAssertNil(h.state.edit)
        XCTAssertEqual(h.state.residents.first { $0.name == "王小明" }?.tags, [.childInHardship])
        XCTAssertEqual(h.state.residents.count, 2)
    }

    func testAnUnknownCodeIsRefusedInWords() async throws {
        let s = try await services()
        var enrolled: [DoorstepKit.Enrolment] = []
        let vm = FirstRunViewModel(enrolment: s.enrolment, server: try server) { enrolled.append($0) }
        XCTAssertFalse(vm.state.canEnrol)
        vm.send(.codeChanged("NOPEN-NOPEN"))
        await vm.send(.enrol).value
        guard case .codeRefused? = vm.state.failure else {
            return XCTFail("a refused code: \(String(describing: vm.state.failure))")
        }
        XCTAssertFalse(vm.state.busy)
        XCTAssertTrue(try Catalog.load().words("failure.codeRefused", "en").contains("Ask your station admin"))
        XCTAssertTrue(enrolled.isEmpty)
    }

    func testTheSyncBarCountsWritesAndSaysWhenThePhoneIsNotEnrolled() async throws {
        let s = try await services()
        let bar = SyncBarViewModel(sync: s.sync) {}
        let start = try await until(bar) { $0.pending > 0 }
        // A write on another screen raises the count.
        _ = try await s.registry.addResident(
            to: wangHome, ResidentInput(name: "王小红", sex: .female, birthYear: 2010, phone: nil, tags: [], notes: nil))
        _ = try await until(bar) { $0.pending > start.pending }
        await bar.send(.syncNow).value
        let failed = try await until(bar) { $0.failure != nil }
        guard case .notEnrolled? = failed.failure else { return XCTFail("\(String(describing: failed.failure))") }
        XCTAssertFalse(failed.running)
        XCTAssertNil(failed.lastSyncAtMs)
    }
}
