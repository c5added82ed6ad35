import DoorstepKit
import Foundation
import Observation

/// How a delivery is proved.
public enum ProofChoice: String, CaseIterable, Sendable {
    case pin, pass, signature, photo, none
}

/// What the runner is recording.
public enum HandoffMode: String, CaseIterable, Sendable {
    case deliver, deliverPart, fail, returnToStation
}

public struct PackageState: Equatable {
    public var package: PackageInfo?
    public var handoffs: [HandoffInfo]
    /// Photos and signatures not yet uploaded, by blob hash: shown as pending until a sync.
    public var pendingUploads: Set<String>
    public var mode: HandoffMode?
    public var proof: ProofChoice
    public var pin: String
    /// A scanned pass of someone in the household.
    public var passText: String?
    public var strokes: [[StrokePoint]]
    public var canvasWidth: UInt32
    public var canvasHeight: UInt32
    public var photo: Data?
    public var noProofReason: String
    public var failReason: FailReason
    public var note: String
    /// For a partial delivery: what was handed over, item by item.
    public var partial: [ItemLine]
    /// After a wrong PIN: tries left before it locks (0: locked).
    public var pinTriesLeft: Int?
    public var busy: Bool
    public var failure: DoorstepFailure?

    /// The moves the package can make now.
    public var modes: [HandoffMode] {
        switch package?.status {
        case .outForDelivery?: return [.deliver, .deliverPart, .fail, .returnToStation]
        case .failed?: return [.returnToStation]
        case .partlyDelivered?: return [.returnToStation]
        default: return []
        }
    }

    /// The proof as typed, drawn, scanned or photographed; nil while it is incomplete.
    var proofInput: ProofInput? {
        switch proof {
        case .pin: return pin.trimmedOrNil.map(ProofInput.pin)
        case .pass: return passText.map(ProofInput.pass)
        case .signature:
            guard !strokes.isEmpty, canvasWidth > 0, canvasHeight > 0 else { return nil }
            return .signature(width: canvasWidth, height: canvasHeight, strokes: strokes)
        case .photo: return photo.map(ProofInput.photo)
        case .none: return noProofReason.trimmedOrNil.map { ProofInput.none(reason: $0) }
        }
    }

    /// Whether `confirm` has what its move needs.
    public var canConfirm: Bool {
        guard let mode, !busy else { return false }
        switch mode {
        case .deliver: return proofInput != nil
        case .deliverPart: return proofInput != nil && partial.contains { $0.quantity > 0 }
        case .fail, .returnToStation: return true
        }
    }
}

public enum PackageAction {
    case chooseMode(HandoffMode?)
    case chooseProof(ProofChoice)
    case pinChanged(String)
    case passScanned(String)
    case canvasSized(width: UInt32, height: UInt32)
    /// A stroke of the signature, finished.
    case strokeDrawn([StrokePoint])
    case clearSignature
    case photoTaken(Data)
    case noProofReasonChanged(String)
    case failReasonChosen(FailReason)
    case noteChanged(String)
    case partialQuantity(index: Int, quantity: Int64)
    /// Records the chosen move with its proof.
    case confirm
    case reload
}

/// A package: items, household, the request's notes and the moves so far; and the
/// handoff: delivered (in full or part) with one proof, failed with its reason, or returned.
/// A refused proof says why and nothing is recorded.
@MainActor @Observable
public final class PackageViewModel: ViewModel {
    public private(set) var state = PackageState(
        package: nil, handoffs: [], pendingUploads: [], mode: nil, proof: .pin, pin: "", passText: nil,
        strokes: [], canvasWidth: 0, canvasHeight: 0, photo: nil, noProofReason: "", failReason: .nobodyHome,
        note: "", partial: [], pinTriesLeft: nil, busy: false, failure: nil)
    @ObservationIgnored private let packageId: String
    @ObservationIgnored private let deliveries: DeliveryService
    @ObservationIgnored private let onDone: @MainActor () -> Void
    @ObservationIgnored nonisolated(unsafe) private var listening: Task<Void, Never>?
    /// The first read; tests await it.
    @ObservationIgnored public private(set) var loaded: Task<Void, Never>?

    public init(packageId: String, deliveries: DeliveryService, sync: SyncService, onDone: @escaping @MainActor () -> Void) {
        self.packageId = packageId
        self.deliveries = deliveries
        self.onDone = onDone
        // A sync uploads photos and signatures: they stop being pending.
        let runs = sync.states()
        listening = Task { [weak self] in
            for await run in runs {
                guard case .finished = run else { continue }
                await self?.load().value
            }
        }
        loaded = load()
    }

    deinit {
        listening?.cancel()
    }

    private func failed(_ f: DoorstepFailure) {
        state.busy = false
        state.failure = f
    }

    @discardableResult
    private func load() -> Task<Void, Never> {
        perform({ [weak self] in self?.failed($0) }) { [weak self, deliveries, packageId] in
            let p = try await deliveries.package(packageId)
            let hs = try await deliveries.handoffs(packageId: packageId)
            let blobs = hs.filter { $0.proofKind == .photo || $0.proofKind == .signature }.compactMap(\.proof)
            let pending = try await deliveries.pendingUploads(blobs)
            guard let self else { return }
            self.state.package = p
            self.state.handoffs = hs
            self.state.pendingUploads = pending
            if self.state.partial.isEmpty { self.state.partial = p.items }
        }
    }

    @discardableResult
    public func send(_ action: PackageAction) -> Task<Void, Never> {
        switch action {
        case .chooseMode(let m):
            state.mode = m
            state.failure = nil
        case .chooseProof(let p):
            state.proof = p
            state.failure = nil
        case .pinChanged(let t):
            state.pin = t
            state.failure = nil
        case .passScanned(let t):
            state.passText = t
            state.failure = nil
        case .canvasSized(let w, let h):
            state.canvasWidth = w
            state.canvasHeight = h
        case .strokeDrawn(let points):
            if !points.isEmpty { state.strokes.append(points) }
        case .clearSignature:
            state.strokes = []
        case .photoTaken(let data):
            state.photo = data
        case .noProofReasonChanged(let t):
            state.noProofReason = t
        case .failReasonChosen(let r):
            state.failReason = r
        case .noteChanged(let t):
            state.note = t
        case .partialQuantity(let i, let q):
            guard state.partial.indices.contains(i), let planned = state.package?.items[safe: i] else { break }
            let line = state.partial[i]
            state.partial[i] = ItemLine(item: line.item, name: line.name, dose: line.dose, quantity: min(max(0, q), planned.quantity))
        case .confirm:
            guard state.canConfirm, let mode = state.mode, let p = state.package else { break }
            let note = state.note.trimmedOrNil
            let proof = state.proofInput
            let partial = state.partial.filter { $0.quantity > 0 }
            let failReason = state.failReason
            state.busy = true
            state.failure = nil
            let byPin = state.proof == .pin
            return perform({ [weak self] in self?.failed($0) }) { [weak self, deliveries, packageId] in
                do {
                    switch mode {
                    case .deliver:
                        _ = try await deliveries.deliver(packageId: packageId, proof: proof!, note: note)
                    case .deliverPart:
                        _ = try await deliveries.deliver(packageId: packageId, proof: proof!, items: partial, note: note)
                    case .fail:
                        _ = try await deliveries.fail(packageId: packageId, reason: failReason, note: note)
                    case .returnToStation:
                        _ = try await deliveries.returnToStation(packageId: packageId, note: note)
                    }
                } catch DoorstepFailure.refused(let why) where byPin && mode != .fail && mode != .returnToStation {
                    // A refused PIN says how many tries are left.
                    self?.state.pinTriesLeft = try? await deliveries.pinTriesLeft(requestId: p.requestId)
                    throw DoorstepFailure.refused(why)
                }
                guard let self else { return }
                self.state.busy = false
                self.state.mode = nil
                self.state.pin = ""
                self.state.pinTriesLeft = nil
                self.state.strokes = []
                self.state.photo = nil
                self.state.note = ""
                await self.load().value
                self.onDone()
            }
        case .reload:
            return load()
        }
        return Task {}
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
