import DoorstepFeatures
import DoorstepKit
import Foundation
import XCTest

/// The home screen and the back stack (`AppCoordinator`), over a real store: which role
/// screens a phone gets, that they live as long as home does, and how the stack moves.
@MainActor
final class HomeTests: FeatureTestCase {
    func testAStationAdminsPhoneGetsEveryRoleAndKeepsItsScreens() async throws {
        let app = AppCoordinator(services: try await services(), defaultServer: "http://127.0.0.1:1", settings: settings)
        await app.start()
        XCTAssertEqual(app.stack, [.firstRun], "a phone never enrolled starts at first run")

        let admin = Enrolment(server: "http://127.0.0.1:1", user: "站长", role: .stationAdmin, areas: [])
        app.reset(.home(admin))
        XCTAssertEqual(app.tab, .socialWorker, "the first role's tab opens")
        let home = app.home(admin)
        XCTAssertNotNil(home.dueList)
        XCTAssertNotNil(home.marshal)
        XCTAssertNotNil(home.runner)
        // Drawing home again does not make new screens (their state would be lost).
        XCTAssertTrue(app.home(admin).syncBar === home.syncBar)
        XCTAssertTrue(app.home(admin).dueList === home.dueList)

        // A runner's phone has the runner's screen only, opening on it.
        let runner = Enrolment(server: "http://127.0.0.1:1", user: "跑腿", role: .runner, areas: [grid])
        app.reset(.home(runner))
        XCTAssertEqual(app.tab, .runner)
        let runnerHome = app.home(runner)
        XCTAssertNil(runnerHome.dueList)
        XCTAssertNil(runnerHome.marshal)
        XCTAssertNotNil(runnerHome.runner)
        XCTAssertFalse(runnerHome.syncBar === home.syncBar, "a new home makes its screens anew")
    }

    func testTheStackMovesAsTheScreensAskAndASwipeBackSetsThePath() async throws {
        let app = AppCoordinator(services: try await services(), settings: settings)
        let worker = Enrolment(server: "http://127.0.0.1:1", user: "社工", role: .socialWorker, areas: [grid])
        app.reset(.home(worker))
        let home = app.home(worker)
        home.dueList?.send(.open(householdId: "h1"))
        XCTAssertEqual(app.current, .household(id: "h1"))
        app.push(.visit(id: "v1"))
        // A finished visit goes on to its need in the visit's place.
        app.replace(.need(id: "n1"))
        XCTAssertEqual(app.stack, [.home(worker), .household(id: "h1"), .need(id: "n1")])
        XCTAssertEqual(app.path, [.household(id: "h1"), .need(id: "n1")])
        // What a swipe back does: the navigation stack sets a shorter path.
        app.path = [.household(id: "h1")]
        XCTAssertEqual(app.current, .household(id: "h1"))
        XCTAssertTrue(app.pop())
        XCTAssertFalse(app.pop(), "home is the bottom")
        XCTAssertEqual(app.current, .home(worker))

        // Access revoked: the sync bar's "enrol again" goes back to first run, alone.
        home.syncBar.send(.enrolAgain)
        XCTAssertEqual(app.stack, [.firstRun])
    }
}
