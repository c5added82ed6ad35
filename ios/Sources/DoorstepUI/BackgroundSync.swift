#if canImport(BackgroundTasks) && canImport(UIKit)
import BackgroundTasks
import DoorstepKit
import Foundation

/// Sync while the app is in the background: iOS wakes it (when the network is there) at
/// most every `interval`, and each wake runs one sync and books the next. The identifier
/// must be listed under BGTaskSchedulerPermittedIdentifiers in Info.plist (project.yml).
public enum BackgroundSync {
    public static let identifier = "org.doorstep.app.sync"
    public static let interval: TimeInterval = 15 * 60

    /// Registers the handler; call once, before the app finishes launching. `services`
    /// opens the store, or gives the one already open.
    public static func register(services: @escaping @Sendable () async throws -> DoorstepServices) {
        _ = BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            guard let task = task as? BGAppRefreshTask else { return }
            schedule()
            let run = Task {
                let ok = (try? await services().sync.syncNow()) != nil
                if !Task.isCancelled { task.setTaskCompleted(success: ok) }
            }
            // Out of time: what was acknowledged stays acknowledged, the next sync sends the rest.
            task.expirationHandler = {
                run.cancel()
                task.setTaskCompleted(success: false)
            }
        }
    }

    /// Books the next wake; iOS decides the exact time.
    public static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: interval)
        try? BGTaskScheduler.shared.submit(request)
    }
}
#endif
