import DoorstepCore
import Foundation

/// The only holder of the bindings' `Doorstep` object. Every call to the core goes through
/// `run` (or `runAsync`), which does it on a background queue, never on the main thread,
/// and turns its error into a `DoorstepFailure`. Services cannot reach the object any
/// other way.
public final class CoreQueue: @unchecked Sendable {
    /// Told of every call, on the thread that makes it: its name and whether that thread
    /// is the main one. Tests set it to prove no binding call runs on the main thread.
    public typealias Observer = @Sendable (_ call: String, _ onMainThread: Bool) -> Void

    private let core: Doorstep
    // Concurrent: reads never wait for each other; the core itself serialises writes.
    private let queue = DispatchQueue(
        label: "org.doorstep.core", qos: .userInitiated, attributes: .concurrent)
    private let lock = NSLock()
    private var observer: Observer?

    init(_ core: Doorstep) {
        self.core = core
    }

    /// Sets (or with nil clears) the observer of every call.
    public func observe(_ observer: Observer?) {
        lock.lock()
        self.observer = observer
        lock.unlock()
    }

    private func tell(_ name: String) {
        lock.lock()
        let o = observer
        lock.unlock()
        o?(name, Thread.isMainThread)
    }

    /// Runs a blocking core call on the background queue and returns its result.
    func run<T>(
        _ name: String, enrolling: Bool = false,
        _ body: @escaping @Sendable (Doorstep) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            queue.async { [core] in
                self.tell(name)
                do {
                    c.resume(returning: try body(core))
                } catch {
                    c.resume(throwing: DoorstepFailure.from(error, enrolling: enrolling))
                }
            }
        }
    }

    /// Runs an async core call (enrol, sync) in a detached task, off the caller's actor.
    func runAsync<T: Sendable>(
        _ name: String, enrolling: Bool = false,
        _ body: @escaping @Sendable (Doorstep) async throws -> T
    ) async throws -> T {
        let core = self.core
        return try await Task.detached(priority: .userInitiated) {
            self.tell(name)
            do {
                return try await body(core)
            } catch {
                throw DoorstepFailure.from(error, enrolling: enrolling)
            }
        }.value
    }
}
