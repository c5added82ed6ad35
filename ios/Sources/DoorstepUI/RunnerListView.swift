#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// The runner's day: a walking route by building, urgent and medicine first; what to bring
/// back to the station; what is still held.
struct RunnerListView: View {
    let state: RunnerListState
    let send: (RunnerListAction) -> Void

    var body: some View {
        List {
            if let f = state.failure { FailureText(failure: f) }
            if let day = state.day {
                ForEach(day.stops) { stop in
                    Section(stop.building) {
                        ForEach(stop.packages) { p in
                            Button { send(.open(packageId: p.packageId)) } label: { PackageRow(package: p) }
                        }
                    }
                }
                if day.stops.isEmpty { Text(tr("runner.nothingOut")).foregroundStyle(.secondary) }
                if !day.toReturn.isEmpty {
                    Section(tr("runner.toReturn")) {
                        ForEach(day.toReturn) { p in
                            Button { send(.open(packageId: p.packageId)) } label: { PackageRow(package: p) }
                        }
                    }
                }
                if !day.itemsLeft.isEmpty {
                    Section(tr("runner.itemsLeft")) {
                        ForEach(Array(day.itemsLeft.enumerated()), id: \.offset) { _, line in Text(line.words) }
                    }
                }
            }
        }
        .listStyle(.insetGrouped)
        .refreshable { send(.refresh) }
        .overlay { if state.loading && state.day == nil { ProgressView() } }
    }
}

/// A package in the list: unit and address, urgency and medicine marked, its items.
struct PackageRow: View {
    let package: RunnerPackage

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text([package.unit, package.address].compactMap { $0 }.joined(separator: " ")).font(.headline)
                Spacer()
                if package.medicine { Text(tr("runner.medicine")).font(.caption.weight(.bold)).foregroundStyle(.red) }
                if package.urgency >= .high { Text(package.urgency.words).font(.caption.weight(.bold)).foregroundStyle(.orange) }
            }
            Text(package.items.map(\.words).joined(separator: "、")).font(.subheadline)
            Text(package.status.words).font(.caption).foregroundStyle(.secondary)
        }
        .frame(maxWidth: .infinity, minHeight: minTouch, alignment: .leading)
        .accessibilityElement(children: .combine)
    }
}

#Preview {
    RunnerListView(state: .sample, send: { _ in })
}
#endif
