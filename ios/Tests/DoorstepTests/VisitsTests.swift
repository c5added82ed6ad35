import Foundation
import XCTest
@testable import DoorstepCore

/// A social worker's round through the Swift bindings: due list -> visit -> need -> referral.
final class VisitsTests: DoorstepTestCase {
    func testDueListVisitNeedReferral() throws {
        let db = try openStore()
        let grid = try db.ensureArea(path: gridPath)
        let home = try db.createHousehold(input: NewHousehold(
            areaId: grid.id, buildingId: nil, address: "中南路8号", unit: "2单元301", phone: nil))
        let child = try db.createResident(input: NewResident(
            householdId: home.id, name: "李小红", sex: .female, birthYear: 2015, phone: nil,
            tags: [.childInHardship], notes: "父母均在方舱医院"))

        // Never visited: the child is first, as vulnerable, and the list says why.
        let due = try db.dueList(query: DueQuery(areaIds: [grid.id]))
        XCTAssertEqual(due.map(\.residentId), [child.id])
        XCTAssertEqual(due[0].tier, .vulnerable)
        XCTAssertEqual(due[0].reasons, [.neverVisited(attempts: 0)])

        // The safety-visit checklist; the carer question appears once the guardian is away.
        var state = try db.startVisit(subject: Subject(residentId: child.id), templateId: nil)
        XCTAssertEqual(state.templateId, "child_in_hardship")
        XCTAssertFalse(state.visible.contains { $0.question.id == "temporary_carer" })
        state = try db.answer(visitId: state.visitId, questionId: "guardian",
                              value: .choice(option: "interrupted"))
        XCTAssertTrue(state.visible.contains { $0.question.id == "temporary_carer" })
        XCTAssertEqual(
            doorstepError(try db.answer(visitId: state.visitId, questionId: "risk_detail",
                                                  value: .text(value: "独自在家"))).map(\.kind),
            "Invalid", "a hidden question takes no answer")
        state = try db.answerAll(visitId: state.visitId, answers: [
            AnswerEntry(questionId: "seen_child", value: .bool(value: true)),
            AnswerEntry(questionId: "temporary_carer", value: .text(value: "邻居张阿姨 13800000000")),
            AnswerEntry(questionId: "safety_risk", value: .bool(value: false)),
            AnswerEntry(questionId: "health", value: .choice(option: "good")),
            AnswerEntry(questionId: "daily_meds", value: .bool(value: false)),
            AnswerEntry(questionId: "supplies_short", value: .choices(options: ["infant"])),
            AnswerEntry(questionId: "mood", value: .choice(option: "worried")),
            AnswerEntry(questionId: "family_hardship", value: .bool(value: true)),
        ])
        XCTAssertEqual(state.issues, [])
        let done = try db.finishVisit(visitId: state.visitId, finish: FinishVisit(outcome: .met))
        XCTAssertEqual(
            doorstepError(try db.finishVisit(visitId: state.visitId,
                                                       finish: FinishVisit(outcome: .met))).map(\.kind),
            "Conflict")

        // Needs from the answers: a temporary carer, formula milk, and a relief application.
        XCTAssertEqual(done.needs.map(\.category), [.noCaregiver, .dailyNecessities, .reliefApplication])
        let milk = try XCTUnwrap(done.needs.first { $0.category == .dailyNecessities })
        XCTAssertEqual(milk.details, "奶粉、纸尿裤")

        // The formula goes to the supplies team; delivered, the need is resolved.
        let referral = try db.referNeed(needId: milk.id, input: NewReferral(target: .suppliesTeam))
        XCTAssertEqual(referral.status, .sent)
        XCTAssertEqual(try db.getNeed(id: milk.id).status, .referred)
        XCTAssertEqual(
            doorstepError(try db.setReferralStatus(referralId: referral.id, status: .done,
                                                             note: nil)).map(\.kind),
            "Conflict", "sent cannot skip to done")
        _ = try db.setReferralStatus(referralId: referral.id, status: .accepted, note: nil)
        _ = try db.setReferralStatus(referralId: referral.id, status: .done, note: "已送达")
        XCTAssertEqual(try db.getNeed(id: milk.id).status, .resolved)
        XCTAssertEqual(try db.needHistory(needId: milk.id).map(\.toStatus),
                       [.open, .inProgress, .referred, .resolved])

        // Still on the list: two open needs remain.
        let after = try db.dueList(query: DueQuery(areaIds: [grid.id]))
        XCTAssertEqual(after.first?.reasons.first, .openNeeds(count: 2, topUrgency: .high))
    }
}
