#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import PhotosUI
import SwiftUI

/// A package: address, items, the request's notes and the moves so far; then the handoff:
/// delivered in full or in part with one proof, failed with its reason, or returned.
struct PackageView: View {
    let state: PackageState
    let send: (PackageAction) -> Void

    var body: some View {
        Form {
            if let f = state.failure {
                Section {
                    FailureText(failure: f)
                    if let left = state.pinTriesLeft {
                        Text(left == 0 ? tr("package.pinLocked") : tr("package.pinTriesLeft", left))
                            .font(.headline).foregroundStyle(.red)
                    }
                }
            }
            if let p = state.package {
                Section {
                    Text([p.building, p.unit, p.address].compactMap { $0 }.joined(separator: " ")).font(.title3.weight(.semibold))
                    Text(p.status.words)
                    ForEach(Array(p.items.enumerated()), id: \.offset) { _, line in Text(line.words) }
                    if let notes = p.notes { Text(notes).foregroundStyle(.secondary) }
                }
                if !state.modes.isEmpty {
                    Section(tr("package.move")) {
                        Picker(tr("package.move"), selection: bind(state.mode) { send(.chooseMode($0)) }) {
                            Text(tr("common.none")).tag(HandoffMode?.none)
                            ForEach(state.modes, id: \.self) { Text($0.words).tag(HandoffMode?.some($0)) }
                        }
                        .pickerStyle(.inline)
                        .labelsHidden()
                    }
                }
                switch state.mode {
                case .deliver?, .deliverPart?:
                    if state.mode == .deliverPart { PartialSection(state: state, send: send) }
                    ProofSection(state: state, send: send)
                case .fail?:
                    Section(tr("package.failReason")) {
                        Picker(tr("package.failReason"), selection: bind(state.failReason) { send(.failReasonChosen($0)) }) {
                            ForEach(FailReason.allCases, id: \.self) { Text($0.words).tag($0) }
                        }
                        .pickerStyle(.inline)
                        .labelsHidden()
                    }
                case .returnToStation?, nil:
                    EmptyView()
                }
                if state.mode != nil {
                    Section {
                        TextField(tr("package.note"), text: bind(state.note) { send(.noteChanged($0)) }, axis: .vertical)
                            .frame(minHeight: minTouch)
                        WideButton(title: tr("package.confirm")) { send(.confirm) }.disabled(!state.canConfirm)
                    }
                }
                if !state.handoffs.isEmpty {
                    Section(tr("package.handoffs")) {
                        ForEach(state.handoffs) { h in
                            VStack(alignment: .leading) {
                                Text("\(clock(h.atMs)) · \(h.status.words)")
                                Text([h.from + " → " + h.to, h.reason?.words, h.note].compactMap { $0 }.joined(separator: " · "))
                                    .font(.caption)
                                if let proof = h.proof, state.pendingUploads.contains(proof) {
                                    Text(tr("package.uploadPending")).font(.caption).foregroundStyle(.orange)
                                }
                            }
                        }
                    }
                }
            } else {
                ProgressView()
            }
        }
        .navigationTitle(tr("package.title"))
        .refreshable { send(.reload) }
    }
}

/// What was handed over, item by item, for a partial delivery.
private struct PartialSection: View {
    let state: PackageState
    let send: (PackageAction) -> Void

    var body: some View {
        Section(tr("package.partial")) {
            ForEach(Array(state.partial.enumerated()), id: \.offset) { i, line in
                Stepper(line.words, value: bind(line.quantity) { send(.partialQuantity(index: i, quantity: $0)) },
                        in: 0...(state.package?.items[i].quantity ?? line.quantity))
                    .frame(minHeight: minTouch)
            }
        }
    }
}

/// The proof: a PIN, the household's pass, a signature, a photo, or a reason for none.
private struct ProofSection: View {
    let state: PackageState
    let send: (PackageAction) -> Void
    @State private var scanning = false
    @State private var picked: PhotosPickerItem?

    var body: some View {
        Section(tr("package.proof")) {
            Picker(tr("package.proof"), selection: bind(state.proof) { send(.chooseProof($0)) }) {
                ForEach(ProofChoice.allCases, id: \.self) { Text($0.words).tag($0) }
            }
            .pickerStyle(.segmented)
            .frame(minHeight: minTouch)
            switch state.proof {
            case .pin:
                TextField(tr("package.pin"), text: bind(state.pin) { send(.pinChanged($0)) })
                    .keyboardType(.numberPad)
                    .font(.title2.monospacedDigit())
                    .frame(minHeight: minTouch)
            case .pass:
                Button(state.passText == nil ? tr("package.scanPass") : tr("package.passScanned")) { scanning = true }
                    .frame(minHeight: minTouch)
            case .signature:
                SignaturePad(strokes: state.strokes, sized: { send(.canvasSized(width: $0, height: $1)) },
                             drawn: { send(.strokeDrawn($0)) })
                    .frame(height: 200)
                Button(tr("package.clearSignature")) { send(.clearSignature) }.frame(minHeight: minTouch)
            case .photo:
                PhotosPicker(state.photo == nil ? tr("package.takePhoto") : tr("package.photoTaken"),
                             selection: $picked, matching: .images)
                    .frame(minHeight: minTouch)
                    .onChange(of: picked) { _, item in
                        Task {
                            if let data = try? await item?.loadTransferable(type: Data.self) { send(.photoTaken(data)) }
                        }
                    }
            case .none:
                TextField(tr("package.noProofReason"), text: bind(state.noProofReason) { send(.noProofReasonChanged($0)) })
                    .frame(minHeight: minTouch)
            }
        }
        .sheet(isPresented: $scanning) {
            QRScannerView(paused: false) { text in
                scanning = false
                send(.passScanned(text))
            }
            .ignoresSafeArea()
        }
    }
}

/// A canvas the recipient signs on with a finger: finished strokes come from the state,
/// the stroke under the finger is drawn here until it ends.
struct SignaturePad: View {
    let strokes: [[StrokePoint]]
    let sized: (UInt32, UInt32) -> Void
    let drawn: ([StrokePoint]) -> Void
    @State private var current: [StrokePoint] = []

    var body: some View {
        GeometryReader { geo in
            Canvas { ctx, _ in
                for s in strokes + [current] where s.count > 1 {
                    var path = Path()
                    path.addLines(s.map { CGPoint(x: CGFloat($0.x), y: CGFloat($0.y)) })
                    ctx.stroke(path, with: .color(.primary), lineWidth: 3)
                }
            }
            .background(Color.gray.opacity(0.1))
            .gesture(
                DragGesture(minimumDistance: 0)
                    .onChanged { current.append(StrokePoint(x: Float($0.location.x), y: Float($0.location.y))) }
                    .onEnded { _ in
                        drawn(current)
                        current = []
                    })
            .onAppear { sized(UInt32(geo.size.width), UInt32(geo.size.height)) }
        }
        .accessibilityLabel(tr("package.signHere"))
    }
}

#Preview {
    NavigationStack { PackageView(state: .sample, send: { _ in }) }
}
#endif
