#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// The sync bar on every home screen: what waits to go up, the last sync, a running sync's
/// stage and counts, a failure in words, and (opened) refused changes and conflicts.
struct SyncBarView: View {
    let state: SyncBarState
    let send: (SyncBarAction) -> Void

    private var line: String {
        if state.running, let p = state.progress {
            return p.total > 0
                ? tr("sync.progressOf", p.stage.words, Int(p.done), Int(p.total))
                : tr("sync.progress", p.stage.words, Int(p.done))
        }
        if state.running { return tr("sync.starting") }
        if state.pending == 0, state.lastSyncAtMs != nil { return tr("sync.allSynced") }
        return tr("sync.pending", Int(state.pending))
    }

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            HStack {
                VStack(alignment: .leading) {
                    Text(line).font(.callout.weight(.medium))
                    if let at = state.lastSyncAtMs {
                        Text(tr("sync.last", when(at))).font(.caption).foregroundStyle(.secondary)
                    } else {
                        Text(tr("sync.never")).font(.caption).foregroundStyle(.secondary)
                    }
                }
                Spacer()
                if state.running {
                    ProgressView()
                } else {
                    Button(tr("sync.now")) { send(.syncNow) }
                        .buttonStyle(.bordered)
                        .frame(minHeight: minTouch)
                }
            }
            if let f = state.failure {
                FailureText(failure: f)
                if state.mustEnrolAgain {
                    Button(tr("sync.enrolAgain")) { send(.enrolAgain) }.frame(minHeight: minTouch)
                }
            }
            if !state.refused.isEmpty || !state.conflicts.isEmpty {
                Button(tr(state.expanded ? "sync.hideDetails" : "sync.showDetails", state.refused.count, state.conflicts.count)) {
                    send(.toggleDetails)
                }
                .frame(minHeight: minTouch)
            }
            if state.expanded {
                ForEach(state.refused, id: \.opId) { r in
                    Text(tr("sync.refused", r.entity, r.reason)).font(.caption)
                }
                if !state.refused.isEmpty {
                    Button(tr("sync.retry")) { send(.retryRefused) }.frame(minHeight: minTouch)
                }
                ForEach(state.conflicts, id: \.id) { c in
                    HStack {
                        Text(tr("sync.conflict", c.entity, c.field, c.kept, c.lost)).font(.caption)
                        Spacer()
                        Button(tr("sync.reviewed")) { send(.reviewed(conflictId: c.id)) }.frame(minHeight: minTouch)
                    }
                }
            }
        }
        .padding(.horizontal)
        .padding(.vertical, 8)
        .background(.thinMaterial)
    }
}

#Preview {
    SyncBarView(state: .sample, send: { _ in })
}
#endif
