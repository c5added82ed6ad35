import DoorstepFeatures
import DoorstepKit
import DoorstepUI
import SwiftUI

/// The iOS app: opens the store with the Keychain's key, then shows the screens over one
/// coordinator; syncs in the background through BGTaskScheduler.
@main
struct DoorstepApp: App {
    @State private var app: AppCoordinator?
    @State private var failure: DoorstepFailure?
    @Environment(\.scenePhase) private var phase

    init() {
        // Core's log lines in the unified log; set once, before the store opens.
        try? CoreLog.install()
        BackgroundSync.register { try await Store.shared.services() }
    }

    var body: some Scene {
        WindowGroup {
            Group {
                if let app {
                    RootView(app: app)
                } else if let failure {
                    Text(failure.localizedDescription).padding()
                } else {
                    ProgressView()
                }
            }
            .task { await open() }
        }
        .onChange(of: phase) { _, now in
            if now == .background { BackgroundSync.schedule() }
        }
    }

    private func open() async {
        guard app == nil else { return }
        do {
            let services = try await Store.shared.services()
            let server = Bundle.main.object(forInfoDictionaryKey: "DoorstepServer") as? String ?? ""
            app = AppCoordinator(services: services, defaultServer: server)
        } catch let f as DoorstepFailure {
            failure = f
        } catch {
            failure = .internal(String(describing: error))
        }
    }
}

/// The one open store of the process: the screens and a background sync (which iOS may
/// start before any screen exists) share it.
actor Store {
    static let shared = Store()
    private var opening: Task<DoorstepServices, Error>?

    func services() async throws -> DoorstepServices {
        if let opening { return try await opening.value }
        let t = Task {
            let dir = try FileManager.default.url(
                for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
            ).appendingPathComponent("Doorstep", isDirectory: true)
            return try await DoorstepServices.open(dir: dir, keys: KeychainKeyProvider())
        }
        opening = t
        return try await t.value
    }
}
