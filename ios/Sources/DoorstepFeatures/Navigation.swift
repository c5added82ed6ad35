import DoorstepKit
import Foundation
import Observation

/// Where the app is.
public enum Destination: Hashable {
    /// Loading the store and the enrolment.
    case starting
    case firstRun
    case home(Enrolment)
    case household(id: String)
    case visit(id: String)
    case need(id: String)
    case tubes(site: String, lane: String)
    case package(id: String)
}

/// The back stack and the screens' view models, wired together. View models never hold
/// the stack: they get callbacks, and this coordinator turns them into moves. Made once per
/// process by the app (or a test).
@MainActor @Observable
public final class AppCoordinator {
    public private(set) var stack: [Destination] = [.starting]
    /// The home screen's role tab.
    public var tab: Role = .socialWorker
    @ObservationIgnored public let services: DoorstepServices
    @ObservationIgnored public let defaultServer: String
    @ObservationIgnored private let settings: UserDefaults
    /// The home screen's view models, kept while it is on the stack.
    @ObservationIgnored private var homeModels: (SyncBarViewModel, DueListViewModel?, MarshalViewModel?, RunnerListViewModel?)?

    public init(services: DoorstepServices, defaultServer: String = "", settings: UserDefaults = .standard) {
        self.services = services
        self.defaultServer = defaultServer
        self.settings = settings
    }

    public var current: Destination { stack[stack.count - 1] }

    public func push(_ d: Destination) { stack.append(d) }

    /// The screens above the first, as a navigation stack's path: setting it is what a
    /// swipe back does.
    public var path: [Destination] {
        get { Array(stack.dropFirst()) }
        set { stack = [stack[0]] + newValue }
    }

    /// Goes back one screen; false when there is nowhere to go.
    @discardableResult
    public func pop() -> Bool {
        guard stack.count > 1 else { return false }
        stack.removeLast()
        return true
    }

    /// Replaces the whole stack with `d` (after enrolment, or when enrolment is lost).
    public func reset(_ d: Destination) {
        homeModels = nil
        stack = [d]
        if case .home(let e) = d { tab = e.roles[0] }
    }

    /// Replaces the top screen with `d` (a finished visit goes on to its need).
    public func replace(_ d: Destination) {
        stack[stack.count - 1] = d
    }

    /// Reads the enrolment and opens the first screen: first run, or home.
    public func start() async {
        let e = try? await services.enrolment.current()
        reset(e.map { .home($0) } ?? .firstRun)
    }

    // MARK: View models, one per screen, with their callbacks wired to the stack.

    public func firstRun() -> FirstRunViewModel {
        FirstRunViewModel(enrolment: services.enrolment, server: defaultServer) { [weak self] e in
            self?.reset(.home(e))
        }
    }

    /// The home screen's sync bar and its roles' screens, made once per home.
    public func home(_ e: Enrolment) -> (
        syncBar: SyncBarViewModel, dueList: DueListViewModel?, marshal: MarshalViewModel?, runner: RunnerListViewModel?
    ) {
        if let m = homeModels { return m }
        let s = services
        let roles = e.roles
        let bar = SyncBarViewModel(sync: s.sync) { [weak self] in self?.reset(.firstRun) }
        let due = roles.contains(.socialWorker)
            ? DueListViewModel(visits: s.visits, registry: s.registry, sync: s.sync) { [weak self] in
                self?.push(.household(id: $0))
            } : nil
        let marshal = roles.contains(.marshal)
            ? MarshalViewModel(checkin: s.checkin, settings: settings) { [weak self] site, lane in
                self?.push(.tubes(site: site, lane: lane))
            } : nil
        let runner = roles.contains(.runner)
            ? RunnerListViewModel(runner: e.user, deliveries: s.deliveries, sync: s.sync) { [weak self] in
                self?.push(.package(id: $0))
            } : nil
        let m = (bar, due, marshal, runner)
        homeModels = m
        return (m.0, m.1, m.2, m.3)
    }

    public func household(_ id: String) -> HouseholdViewModel {
        HouseholdViewModel(
            householdId: id, registry: services.registry, visits: services.visits, needs: services.needs,
            onVisit: { [weak self] in self?.push(.visit(id: $0)) },
            onNeed: { [weak self] in self?.push(.need(id: $0)) })
    }

    public func visit(_ id: String) -> VisitViewModel {
        VisitViewModel(
            visitId: id, visits: services.visits,
            onClose: { [weak self] _ in self?.pop() },
            onNeed: { [weak self] in self?.replace(.need(id: $0)) })
    }

    public func need(_ id: String) -> NeedViewModel {
        NeedViewModel(needId: id, needs: services.needs)
    }

    public func tubes(site: String, lane: String) -> TubesViewModel {
        TubesViewModel(site: site, lane: lane, checkin: services.checkin, sync: services.sync)
    }

    public func package(_ id: String) -> PackageViewModel {
        PackageViewModel(packageId: id, deliveries: services.deliveries, sync: services.sync) { [weak self] in
            self?.pop()
        }
    }
}
