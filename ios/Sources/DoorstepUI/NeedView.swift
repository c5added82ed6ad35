#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// A need: its state and history, the moves its rules allow (the core refuses the others
/// and the failure says why), a referral, and a follow-up visit.
struct NeedView: View {
    let state: NeedState
    let send: (NeedAction) -> Void

    var body: some View {
        Form {
            if let f = state.failure { Section { FailureText(failure: f) } }
            if let n = state.need {
                Section {
                    Text("\(n.category.words) · \(n.urgency.words)").font(.title3.weight(.semibold))
                    Text(n.status.words).font(.headline)
                    if let d = n.drug { Text(d) }
                    if let d = n.details { Text(d).foregroundStyle(.secondary) }
                    if let at = n.runsOutAtMs { Text(tr("need.runsOut", when(at))).foregroundStyle(.red) }
                }
                Section(tr("need.move")) {
                    TextField(tr("need.note"), text: bind(state.note) { send(.noteChanged($0)) }, axis: .vertical)
                        .frame(minHeight: minTouch)
                    ForEach([NeedStatus.inProgress, .resolved, .cannotResolve, .open], id: \.self) { s in
                        if s != n.status {
                            Button(s.words) { send(.move(s)) }.frame(minHeight: minTouch).disabled(state.busy)
                        }
                    }
                }
                Section(tr("need.refer")) {
                    Picker(tr("need.referTo"), selection: bind(state.target) { send(.targetChosen($0)) }) {
                        ForEach(ReferralTarget.allCases, id: \.self) { Text($0.words).tag($0) }
                    }
                    .frame(minHeight: minTouch)
                    TextField(tr("need.targetName"), text: bind(state.targetName) { send(.targetNameChanged($0)) })
                        .frame(minHeight: minTouch)
                    WideButton(title: tr("need.referButton")) { send(.refer) }.disabled(state.busy)
                    ForEach(state.referrals) { r in
                        Text([r.target.words, r.targetName, r.status.words].compactMap { $0 }.joined(separator: " · "))
                    }
                }
                Section(tr("need.followUp")) {
                    HStack {
                        ForEach([1, 3, 7], id: \.self) { days in
                            Button(tr("need.inDays", days)) { send(.followUpIn(days: days)) }
                                .buttonStyle(.bordered)
                                .frame(minHeight: minTouch)
                                .disabled(state.busy)
                        }
                    }
                    ForEach(state.followUps) { f in
                        Text([when(f.dueAtMs), f.note].compactMap { $0 }.joined(separator: " · "))
                    }
                }
                if !state.history.isEmpty {
                    Section(tr("need.history")) {
                        ForEach(Array(state.history.enumerated()), id: \.offset) { _, c in
                            VStack(alignment: .leading) {
                                Text("\(when(c.atMs)) · \(c.to.words)")
                                Text([c.by, c.note].compactMap { $0 }.joined(separator: " · "))
                                    .font(.caption).foregroundStyle(.secondary)
                            }
                        }
                    }
                }
            } else {
                ProgressView()
            }
        }
        .navigationTitle(tr("need.title"))
    }
}

#Preview {
    NavigationStack { NeedView(state: .sample, send: { _ in }) }
}
#endif
