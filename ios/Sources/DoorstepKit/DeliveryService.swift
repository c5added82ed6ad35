import DoorstepCore
import Foundation

/// The runner's calls: today's list, a package and its moves, and handoffs with proof.
public final class DeliveryService: @unchecked Sendable {
    private let core: CoreQueue
    private let writes: WriteCounter

    init(_ core: CoreQueue, writes: WriteCounter) {
        self.core = core
        self.writes = writes
    }

    /// A runner's walking list (by building, urgent and medicine first), what to bring
    /// back, and what is still held; `runner` is the user the phone is enrolled as.
    public func runnerDay(runner: String) async throws -> RunnerDay {
        try await core.run("runnerList") { d in
            let l = try d.runnerList(runner: runner)
            return RunnerDay(
                stops: l.stops.map { RunnerStop(building: $0.building, packages: $0.packages.map(RunnerPackage.init)) },
                toReturn: l.toReturn.map(RunnerPackage.init),
                itemsLeft: l.itemsLeft.map(ItemLine.init))
        }
    }

    /// A package with its request's notes.
    public func package(_ id: String) async throws -> PackageInfo {
        try await core.run("package") { d in
            let p = try d.package(id: id)
            let notes = try? d.deliveryRequest(id: p.requestId).notes
            return PackageInfo(
                id: p.id, requestId: p.requestId, householdId: p.householdId, address: p.address,
                building: p.building, unit: p.unit, urgency: Urgency(p.urgency), medicine: p.medicine,
                items: p.items.map(ItemLine.init), delivered: p.delivered.map(ItemLine.init),
                status: PackageStatus(p.status), runner: p.runner, reason: p.reason.map(FailReason.init),
                notes: notes ?? nil)
        }
    }

    /// A package's moves so far, in order.
    public func handoffs(packageId: String) async throws -> [HandoffInfo] {
        try await core.run("handoffs") { try $0.handoffs(packageId: packageId).map(HandoffInfo.init) }
    }

    /// Delivers a package with one proof: everything, or (with `items`) part of it. A
    /// refused proof records nothing but its try.
    public func deliver(packageId: String, proof: ProofInput, items: [ItemLine]? = nil, note: String? = nil) async throws -> HandoffInfo {
        defer { writes.wrote() }  // a wrong PIN's try is written too
        return try await core.run("handoff") { d in
            HandoffInfo(try d.handoff(packageId: packageId, input: HandoffInput(
                toStatus: items == nil ? .delivered : .partlyDelivered, from: nil, to: nil, place: nil,
                items: items?.map(\.ffi), proof: proof.ffi, reason: nil, note: note)))
        }
    }

    /// Records a failed try with its reason.
    public func fail(packageId: String, reason: FailReason, note: String?) async throws -> HandoffInfo {
        let h = try await core.run("handoff") { d in
            HandoffInfo(try d.handoff(packageId: packageId, input: HandoffInput(
                toStatus: .failed, from: nil, to: nil, place: nil, items: nil, proof: nil,
                reason: reason.ffi, note: note)))
        }
        writes.wrote()
        return h
    }

    /// Brings a package (or what is left of it) back to the station.
    public func returnToStation(packageId: String, note: String?) async throws -> HandoffInfo {
        let h = try await core.run("handoff") { d in
            HandoffInfo(try d.handoff(packageId: packageId, input: HandoffInput(
                toStatus: .returned, from: nil, to: nil, place: nil, items: nil, proof: nil,
                reason: nil, note: note)))
        }
        writes.wrote()
        return h
    }

    /// Wrong PIN tries the request still takes (0: locked, another proof is needed).
    public func pinTriesLeft(requestId: String) async throws -> Int {
        try await core.run("pinTriesLeft") { Int(try $0.pinTriesLeft(requestId: requestId)) }
    }

    /// Of the given blob hashes, those not yet uploaded: photos and signatures show as
    /// pending until a sync sends them.
    public func pendingUploads(_ hashes: [String]) async throws -> Set<String> {
        if hashes.isEmpty { return [] }
        return try await core.run("pendingBlobs") { d in
            Set(try d.pendingBlobs(limit: 10_000)).intersection(hashes)
        }
    }

    /// A stored photo or signature (PNG or JPEG bytes).
    public func image(hash: String) async throws -> Data {
        try await core.run("blob") { try $0.blob(hash: hash).bytes }
    }
}
