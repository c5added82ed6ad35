#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import PhotosUI
import SwiftUI

/// The marshal's screen: first the site, lane, queue prefix and pause; then the camera, one
/// large card per outcome readable at arm's length, the day's count, manual entry for a
/// damaged code, a picture of a pass, and the way to the tubes.
struct MarshalView: View {
    let state: MarshalState
    let send: (MarshalAction) -> Void

    var body: some View {
        if state.ready {
            Scanning(state: state, send: send)
        } else {
            SetUp(state: state, send: send)
        }
    }
}

private struct SetUp: View {
    let state: MarshalState
    let send: (MarshalAction) -> Void

    var body: some View {
        Form {
            Section {
                TextField(tr("marshal.site"), text: bind(state.site) { send(.siteChanged($0)) })
                    .frame(minHeight: minTouch)
                TextField(tr("marshal.lane"), text: bind(state.lane) { send(.laneChanged($0)) })
                    .frame(minHeight: minTouch)
                TextField(tr("marshal.prefix"), text: bind(state.prefix) { send(.prefixChanged($0)) })
                    .textInputAutocapitalization(.characters)
                    .frame(minHeight: minTouch)
                Stepper(
                    state.pauseSeconds == 0 ? tr("marshal.pauseTap") : tr("marshal.pause", state.pauseSeconds),
                    value: bind(state.pauseSeconds) { send(.pauseChanged(seconds: $0)) }, in: 0...10)
                    .frame(minHeight: minTouch)
            }
            if let f = state.failure { Section { FailureText(failure: f) } }
            Section {
                WideButton(title: tr("marshal.begin")) { send(.begin) }.disabled(!state.canBegin || state.busy)
            }
        }
    }
}

private struct Scanning: View {
    let state: MarshalState
    let send: (MarshalAction) -> Void
    @State private var picked: PhotosPickerItem?

    var body: some View {
        ScrollView {
            VStack(spacing: 12) {
                QRScannerView(paused: state.paused || state.busy) { send(.scanned($0)) }
                    .frame(height: 220)
                    .clipShape(RoundedRectangle(cornerRadius: 12))
                if let card = state.card {
                    OutcomeCard(outcome: card.outcome, large: true)
                        .onTapGesture { send(.next) }
                }
                if state.paused {
                    WideButton(title: tr("marshal.next")) { send(.next) }
                }
                if let f = state.failure { FailureText(failure: f) }
                if let day = state.today {
                    Text(tr("marshal.today", day.scans, day.admitted)).font(.headline)
                }
                HStack {
                    TextField(tr("marshal.manual"), text: bind(state.manual) { send(.manualChanged($0)) })
                        .textFieldStyle(.roundedBorder)
                        .autocorrectionDisabled()
                        .onSubmit { send(.submitManual) }
                    Button(tr("marshal.check")) { send(.submitManual) }
                        .buttonStyle(.bordered)
                        .frame(minHeight: minTouch)
                }
                PhotosPicker(tr("marshal.picture"), selection: $picked, matching: .images)
                    .frame(minHeight: minTouch)
                    .onChange(of: picked) { _, item in
                        Task {
                            if let data = try? await item?.loadTransferable(type: Data.self) { send(.imagePicked(data)) }
                            picked = nil
                        }
                    }
                ForEach(state.recent) { OutcomeCard(outcome: $0.outcome, large: false) }
                HStack {
                    Button(tr("marshal.tubes")) { send(.openTubes) }.buttonStyle(.bordered)
                    Button(tr("marshal.changeSetUp")) { send(.changeSetUp) }.buttonStyle(.bordered)
                }
                .frame(minHeight: minTouch)
            }
            .padding()
        }
    }
}

/// An outcome as a card: green to let in, blue for the priority lane, red to stop, with the
/// number and lane or the reason.
struct OutcomeCard: View {
    let outcome: ScanOutcome
    let large: Bool

    private var colour: Color {
        switch outcome {
        case .admitted: return .green
        case .priority: return .blue
        case .duplicate, .inOpenTube: return .orange
        default: return .red
        }
    }

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(outcome.title).font(large ? .largeTitle.weight(.bold) : .headline)
            Text(outcome.detail).font(large ? .title2 : .subheadline)
        }
        .foregroundStyle(.white)
        .padding(large ? 20 : 10)
        .frame(maxWidth: .infinity, alignment: .leading)
        .background(colour, in: RoundedRectangle(cornerRadius: 12))
        .accessibilityElement(children: .combine)
    }
}

#Preview {
    MarshalView(state: .sample, send: { _ in })
}
#endif
