#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// The app's screens over one coordinator: its stack is the navigation path, and each
/// destination gets its view model from the coordinator when it first appears.
public struct RootView: View {
    @Bindable var app: AppCoordinator

    public init(app: AppCoordinator) {
        self.app = app
    }

    public var body: some View {
        NavigationStack(path: $app.path) {
            first
                .navigationDestination(for: Destination.self) { screen($0) }
        }
        .task { if app.current == .starting { await app.start() } }
    }

    @ViewBuilder private var first: some View {
        switch app.stack[0] {
        case .firstRun:
            Host(make: { app.firstRun() }) { m in FirstRunView(state: m.state) { m.send($0) } }
        case .home(let e):
            HomeView(app: app, enrolment: e)
        default:
            ProgressView()
        }
    }

    @ViewBuilder private func screen(_ d: Destination) -> some View {
        switch d {
        case .household(let id):
            Host(make: { app.household(id) }) { m in HouseholdView(state: m.state) { m.send($0) } }
        case .visit(let id):
            Host(make: { app.visit(id) }) { m in VisitView(state: m.state) { m.send($0) } }
        case .need(let id):
            Host(make: { app.need(id) }) { m in NeedView(state: m.state) { m.send($0) } }
        case .tubes(let site, let lane):
            Host(make: { app.tubes(site: site, lane: lane) }) { m in TubesView(state: m.state) { m.send($0) } }
        case .package(let id):
            Host(make: { app.package(id) }) { m in PackageView(state: m.state) { m.send($0) } }
        case .starting, .firstRun, .home:
            EmptyView()
        }
    }
}
#endif
