#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// First run: the station's address and the one-time code, typed or scanned from the
/// dashboard's QR.
struct FirstRunView: View {
    let state: FirstRunState
    let send: (FirstRunAction) -> Void
    @State private var scanning = false

    var body: some View {
        Form {
            Section {
                Text(tr("firstRun.intro")).font(.body)
            }
            Section(tr("firstRun.server")) {
                TextField("https://", text: bind(state.server) { send(.serverChanged($0)) })
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                    .keyboardType(.URL)
                    .frame(minHeight: minTouch)
            }
            Section(tr("firstRun.code")) {
                TextField(tr("firstRun.codeHint"), text: bind(state.code) { send(.codeChanged($0)) })
                    .textInputAutocapitalization(.characters)
                    .autocorrectionDisabled()
                    .frame(minHeight: minTouch)
                Button(tr("firstRun.scanCode")) { scanning = true }
                    .frame(minHeight: minTouch)
            }
            if let f = state.failure {
                Section { FailureText(failure: f) }
            }
            Section {
                WideButton(title: state.busy ? tr("firstRun.enrolling") : tr("firstRun.enrol")) { send(.enrol) }
                    .disabled(!state.canEnrol)
            }
        }
        .navigationTitle(tr("app.name"))
        .sheet(isPresented: $scanning) {
            QRScannerView(paused: false) { code in
                scanning = false
                send(.codeScanned(code))
            }
            .ignoresSafeArea()
        }
    }
}

#Preview {
    NavigationStack { FirstRunView(state: .sample, send: { _ in }) }
}
#endif
