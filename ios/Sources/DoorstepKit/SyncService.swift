import DoorstepCore
import Foundation

/// Where the phone's sync is now, shared by every screen's sync bar.
public enum SyncRun: Equatable, Sendable {
    case idle
    case running(SyncProgress?)
    case finished(SyncSummary, atMs: Int64)
    case failed(DoorstepFailure)
}

/// A step of one sync: progress reports, then the summary.
public enum SyncEvent: Equatable, Sendable {
    case progress(SyncProgress)
    case done(SyncSummary)
}

/// Sync with the station: one at a time, progress as an `AsyncStream`, state shared by all
/// screens.
public final class SyncService: @unchecked Sendable {
    private let core: CoreQueue
    private let writeCounter: WriteCounter
    private let lock = NSLock()
    private var current: Task<SyncSummary, Error>?
    private var run: SyncRun = .idle
    private let runs = Broadcast<SyncRun>()
    private var listeners: [UUID: (SyncProgress) -> Void] = [:]

    init(_ core: CoreQueue, writes: WriteCounter) {
        self.core = core
        self.writeCounter = writes
    }

    /// The latest sync's state.
    public var state: SyncRun {
        lock.lock()
        defer { lock.unlock() }
        return run
    }

    /// Every change of `state` from now on.
    public func states() -> AsyncStream<SyncRun> { runs.stream() }

    /// A number that grows with every local write, so a sync bar re-reads its pending count.
    public func writes() -> AsyncStream<Int> { writeCounter.changes.stream() }

    private func locked<T>(_ f: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return f()
    }

    private func set(_ r: SyncRun) {
        lock.lock()
        run = r
        lock.unlock()
        runs.send(r)
    }

    private func progressed(_ p: SyncProgress) {
        lock.lock()
        run = .running(p)
        let all = Array(listeners.values)
        lock.unlock()
        runs.send(.running(p))
        for l in all { l(p) }
    }

    /// Runs one sync (or joins the one running) and streams its progress, then `.done`.
    /// Progress arrives on the library's thread and is handed to the stream in order; a
    /// failure ends the stream with a `DoorstepFailure`. Ending the stream early does not
    /// stop the sync.
    public func sync() -> AsyncThrowingStream<SyncEvent, Error> {
        AsyncThrowingStream { c in
            let id = UUID()
            lock.lock()
            listeners[id] = { c.yield(.progress($0)) }
            lock.unlock()
            Task {
                defer { self.locked { self.listeners[id] = nil } }
                do {
                    let summary = try await self.syncNow()
                    c.yield(.done(summary))
                    c.finish()
                } catch {
                    c.finish(throwing: error)
                }
            }
        }
    }

    /// Runs one sync to its end (joining one already running) and returns what it did.
    public func syncNow() async throws -> SyncSummary {
        let task: Task<SyncSummary, Error> = locked {
            if let running = current { return running }
            let t = Task.detached { try await self.perform() }
            current = t
            return t
        }
        return try await task.value
    }

    private func perform() async throws -> SyncSummary {
        set(.running(nil))
        let listener = ProgressForwarder { [weak self] p in self?.progressed(p) }
        defer { locked { current = nil } }
        do {
            let r = try await core.runAsync("sync") { try await $0.sync(progress: listener) }
            let summary = SyncSummary(
                pulled: r.pulled, pushed: r.pushed, accepted: r.accepted, rejected: r.rejected,
                conflicts: r.conflicts, pending: r.pending)
            set(.finished(summary, atMs: Int64(Date().timeIntervalSince1970 * 1000)))
            return summary
        } catch {
            let f = DoorstepFailure.from(error)
            set(.failed(f))
            throw f
        }
    }

    /// Pending changes, last sync, refused changes and conflicts, read from the store.
    public func status() async throws -> SyncStatus {
        try await core.run("syncStatus") { d in
            SyncStatus(
                pending: try d.pendingOpCount(),
                lastSyncAtMs: try d.lastSyncAt(),
                refused: try d.rejectedOps().map {
                    RefusedChange(opId: $0.opId, entity: $0.entity, code: $0.code, reason: $0.reason)
                },
                conflicts: try d.conflicts(includeReviewed: false).map {
                    ConflictToReview(id: $0.id, entity: $0.entity, field: $0.field, kept: $0.kept, lost: $0.lost)
                })
        }
    }

    /// Sends every refused change again at the next sync.
    public func retryRefused() async throws {
        try await core.run("retryRefused") { d in
            for op in try d.rejectedOps() { try d.retryRejected(opId: op.opId) }
        }
    }

    /// Marks a conflict as seen.
    public func reviewed(conflictId: Int64) async throws {
        try await core.run("markConflictReviewed") { try $0.markConflictReviewed(id: conflictId) }
    }
}

/// The library's progress callback, handed on as the app's type.
private final class ProgressForwarder: DoorstepCore.SyncProgress, @unchecked Sendable {
    let forward: (SyncProgress) -> Void

    init(_ forward: @escaping (SyncProgress) -> Void) {
        self.forward = forward
    }

    func progress(stage: DoorstepCore.SyncStage, done: UInt64, total: UInt64) {
        let s: SyncStage
        switch stage {
        case .pull: s = .pull
        case .push: s = .push
        case .blobs: s = .blobs
        case .done: s = .done
        }
        forward(SyncProgress(stage: s, done: done, total: total))
    }
}
