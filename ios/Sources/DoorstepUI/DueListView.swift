#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// The due list of my areas in the core's order, each entry with why; search by name,
/// pinyin, initials, phone tail or address.
struct DueListView: View {
    let state: DueListState
    let send: (DueListAction) -> Void

    var body: some View {
        List {
            if let f = state.failure { FailureText(failure: f) }
            if let results = state.results {
                Section(tr("due.results", results.count)) {
                    ForEach(results) { r in
                        Button { send(.open(householdId: r.householdId)) } label: {
                            VStack(alignment: .leading) {
                                Text(r.name).font(.headline)
                                Text(r.address).font(.subheadline).foregroundStyle(.secondary)
                                if !r.tags.isEmpty { Text(r.tags.map(\.words).joined(separator: "、")).font(.caption) }
                            }
                            .frame(maxWidth: .infinity, minHeight: minTouch, alignment: .leading)
                        }
                    }
                }
            } else {
                ForEach(state.items) { item in
                    Button { send(.open(householdId: item.householdId)) } label: { DueRow(item: item) }
                }
                if state.items.isEmpty, !state.loading {
                    Text(tr("due.empty")).foregroundStyle(.secondary)
                }
            }
        }
        .listStyle(.plain)
        .searchable(text: bind(state.query) { send(.queryChanged($0)) }, prompt: tr("due.search"))
        .refreshable { send(.refresh) }
        .overlay { if state.loading && state.items.isEmpty { ProgressView() } }
    }
}

/// One entry: who, where, the tier's colour and every reason in words.
struct DueRow: View {
    let item: DueItem

    var colour: Color {
        switch item.tier {
        case .life: return .red
        case .vulnerable: return .orange
        case .overdue: return .yellow
        case .neverVisited: return .blue
        }
    }

    var body: some View {
        HStack(alignment: .top, spacing: 12) {
            RoundedRectangle(cornerRadius: 3).fill(colour).frame(width: 6)
            VStack(alignment: .leading, spacing: 4) {
                Text(item.name ?? item.address).font(.headline)
                if item.name != nil { Text(item.address).font(.subheadline).foregroundStyle(.secondary) }
                Text(item.tier.words).font(.caption.weight(.bold)).foregroundStyle(colour)
                ForEach(Array(item.reasons.enumerated()), id: \.offset) { _, r in
                    Text(r.words).font(.caption)
                }
                if !item.tags.isEmpty {
                    Text(item.tags.map(\.words).joined(separator: "、")).font(.caption).foregroundStyle(.secondary)
                }
            }
        }
        .frame(maxWidth: .infinity, minHeight: minTouch, alignment: .leading)
        .accessibilityElement(children: .combine)
    }
}

#Preview {
    DueListView(state: .sample, send: { _ in })
}
#endif
