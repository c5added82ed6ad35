#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// Pooled tubes at the marshal's site: scan or type a tube's code to open it, scan
/// residents into it as it fills, seal it; the site's tubes, and the recall list of a
/// positive one.
struct TubesView: View {
    let state: TubesState
    let send: (TubesAction) -> Void

    var body: some View {
        List {
            Section {
                QRScannerView(paused: state.busy || state.current?.isFull == true) { send(.scanned($0)) }
                    .frame(height: 200)
                    .listRowInsets(EdgeInsets())
                if let f = state.failure { FailureText(failure: f) }
            }
            if let tube = state.current {
                Section(tr("tubes.filling", tube.code)) {
                    ProgressView(value: Double(tube.members), total: Double(max(tube.capacity, 1))) {
                        Text(tr("tubes.members", tube.members, tube.capacity)).font(.title2.weight(.semibold))
                    }
                    if let scan = state.lastScan {
                        OutcomeCard(outcome: scan.outcome, large: false)
                        if !scan.added { Text(tr("tubes.notAdded")).foregroundStyle(.red) }
                    }
                    WideButton(title: tr("tubes.seal")) { send(.seal) }.disabled(state.busy)
                }
            } else {
                Section(tr("tubes.new")) {
                    TextField(tr("tubes.code"), text: bind(state.code) { send(.codeChanged($0)) })
                        .autocorrectionDisabled()
                        .frame(minHeight: minTouch)
                    Stepper(tr("tubes.capacity", state.capacity),
                            value: bind(state.capacity) { send(.capacityChanged($0)) }, in: 1...20)
                        .frame(minHeight: minTouch)
                    WideButton(title: tr("tubes.open")) { send(.open) }.disabled(state.busy)
                }
            }
            Section(tr("tubes.list")) {
                ForEach(state.tubes) { t in
                    HStack {
                        VStack(alignment: .leading) {
                            Text(t.code).font(.headline)
                            Text(tr("tubes.row", t.members, t.capacity, t.status.words, t.result.words))
                                .font(.caption)
                        }
                        Spacer()
                        if t.status == .open, t.id != state.current?.id {
                            Button(tr("tubes.resume")) { send(.resume(tubeId: t.id)) }.buttonStyle(.bordered)
                        }
                        if t.result == .positive {
                            Button(tr("tubes.recall")) { send(.showRecall(tubeId: t.id)) }
                                .buttonStyle(.borderedProminent).tint(.red)
                        }
                    }
                    .frame(minHeight: minTouch)
                }
            }
        }
        .navigationTitle(tr("tubes.title", state.site))
        .refreshable { send(.refresh) }
        .sheet(isPresented: bind(state.recallOf != nil) { if !$0 { send(.closeRecall) } }) {
            RecallList(tube: state.recallOf, entries: state.recall) { send(.closeRecall) }
        }
    }
}

/// Who to call back from a positive tube: name, address and phone where this phone knows
/// them.
private struct RecallList: View {
    let tube: TubeInfo?
    let entries: [RecallEntry]
    let close: () -> Void

    var body: some View {
        NavigationStack {
            List(Array(entries.enumerated()), id: \.offset) { _, e in
                VStack(alignment: .leading) {
                    Text(e.name ?? tr("tubes.unknownName")).font(.headline)
                    if let a = e.address { Text(a) }
                    if let p = e.phone { Text(p).foregroundStyle(.blue) }
                    Text([clock(e.sampledAtMs), e.queueNo].compactMap { $0 }.joined(separator: " · "))
                        .font(.caption).foregroundStyle(.secondary)
                }
            }
            .navigationTitle(tr("tubes.recallTitle", tube?.code ?? ""))
            .toolbar { ToolbarItem(placement: .cancellationAction) { Button(tr("common.close"), action: close) } }
        }
    }
}

#Preview {
    NavigationStack { TubesView(state: .sample, send: { _ in }) }
}
#endif
