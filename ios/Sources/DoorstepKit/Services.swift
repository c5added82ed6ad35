import DoorstepCore
import Foundation

/// The phone's Doorstep as the screens use it: one store and a service per domain. Every
/// call runs off the main actor and fails only with `DoorstepFailure`.
public final class DoorstepServices: @unchecked Sendable {
    /// The store's file name in the app's folder.
    public static let storeFile = "doorstep.db"

    /// Every call to the core passes here.
    public let core: CoreQueue
    public let enrolment: EnrolmentService
    public let sync: SyncService
    public let registry: RegistryService
    public let visits: VisitService
    public let needs: NeedService
    public let checkin: CheckinService
    public let deliveries: DeliveryService

    init(_ core: Doorstep) {
        self.core = CoreQueue(core)
        let writes = WriteCounter()
        enrolment = EnrolmentService(self.core)
        sync = SyncService(self.core, writes: writes)
        registry = RegistryService(self.core, writes: writes)
        visits = VisitService(self.core, writes: writes)
        needs = NeedService(self.core, writes: writes)
        checkin = CheckinService(self.core, writes: writes)
        deliveries = DeliveryService(self.core, writes: writes)
    }

    /// Opens (or creates) the store in `dir` with the key from `keys`, off the caller's
    /// actor: opening may upgrade the store.
    public static func open(dir: URL, keys: KeyProvider) async throws -> DoorstepServices {
        try await Task.detached(priority: .userInitiated) {
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let key = try keys.storeKey()
                let path = dir.appendingPathComponent(storeFile).path
                return DoorstepServices(try Doorstep.open(path: path, key: key))
            } catch {
                throw DoorstepFailure.from(error)
            }
        }.value
    }
}

/// Counts local writes, so a sync bar re-reads its pending count after each.
final class WriteCounter: @unchecked Sendable {
    let changes = Broadcast<Int>()
    private let lock = NSLock()
    private var count = 0

    func wrote() {
        lock.lock()
        count += 1
        let n = count
        lock.unlock()
        changes.send(n)
    }
}

/// Hands each value to every current listener, as an `AsyncStream` per listener; a
/// listener that stops iterating is dropped.
public final class Broadcast<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var listeners: [UUID: AsyncStream<T>.Continuation] = [:]

    public init() {}

    /// A new stream of every value sent from now on.
    public func stream() -> AsyncStream<T> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { c in
            let id = UUID()
            lock.lock()
            listeners[id] = c
            lock.unlock()
            c.onTermination = { [weak self] _ in
                guard let self else { return }
                self.lock.lock()
                self.listeners[id] = nil
                self.lock.unlock()
            }
        }
    }

    public func send(_ value: T) {
        lock.lock()
        let all = Array(listeners.values)
        lock.unlock()
        for c in all { c.yield(value) }
    }
}
