#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// A household: residents with tags, open needs, visit history, follow-ups; add or edit a
/// resident.
struct HouseholdView: View {
    let state: HouseholdState
    let send: (HouseholdAction) -> Void

    var body: some View {
        List {
            if let f = state.failure, state.edit == nil { FailureText(failure: f) }
            if let h = state.household {
                Section {
                    Text([h.address, h.unit].compactMap { $0 }.joined(separator: " ")).font(.title3.weight(.semibold))
                    if let phone = h.phone { Text(phone).foregroundStyle(.secondary) }
                    Button(tr("household.visitAll")) { send(.startVisit(residentId: nil)) }
                        .frame(minHeight: minTouch)
                }
            }
            if !state.drafts.isEmpty {
                Section(tr("household.drafts")) {
                    ForEach(state.drafts, id: \.visitId) { d in
                        Button(tr("household.resume", d.title.text(chinese: prefersChinese))) {
                            send(.resumeVisit(visitId: d.visitId))
                        }
                        .frame(minHeight: minTouch)
                    }
                }
            }
            Section(tr("household.residents")) {
                ForEach(state.residents) { r in
                    VStack(alignment: .leading, spacing: 6) {
                        HStack {
                            Text(r.name).font(.headline)
                            Text([r.sex.words, r.birthYear.map(String.init)].compactMap { $0 }.joined(separator: " · "))
                                .font(.subheadline).foregroundStyle(.secondary)
                        }
                        if !r.tags.isEmpty { TagChips(tags: r.tags) }
                        HStack {
                            Button(tr("household.visit")) { send(.startVisit(residentId: r.id)) }
                                .buttonStyle(.borderedProminent)
                            Button(tr("household.edit")) { send(.edit(residentId: r.id)) }
                                .buttonStyle(.bordered)
                        }
                        .frame(minHeight: minTouch)
                    }
                }
                Button(tr("household.addResident")) { send(.edit(residentId: nil)) }.frame(minHeight: minTouch)
            }
            if !state.needs.isEmpty {
                Section(tr("household.needs")) {
                    ForEach(state.needs) { n in
                        Button { send(.openNeed(needId: n.id)) } label: {
                            VStack(alignment: .leading) {
                                Text("\(n.category.words) · \(n.urgency.words)").font(.headline)
                                Text(n.status.words).font(.caption)
                                if let d = n.drug ?? n.details { Text(d).font(.caption).foregroundStyle(.secondary) }
                            }
                            .frame(maxWidth: .infinity, minHeight: minTouch, alignment: .leading)
                        }
                    }
                }
            }
            if !state.followUps.isEmpty {
                Section(tr("household.followUps")) {
                    ForEach(state.followUps) { f in
                        Text([when(f.dueAtMs), f.note].compactMap { $0 }.joined(separator: " · "))
                    }
                }
            }
            if !state.visits.isEmpty {
                Section(tr("household.history")) {
                    ForEach(state.visits) { v in
                        VStack(alignment: .leading) {
                            Text("\(when(v.finishedAtMs)) · \(v.outcome.words)")
                            Text(v.worker).font(.caption).foregroundStyle(.secondary)
                            if let note = v.note { Text(note).font(.caption) }
                        }
                    }
                }
            }
        }
        .navigationTitle(tr("household.title"))
        .sheet(isPresented: bind(state.edit != nil) { if !$0 { send(.cancelEdit) } }) {
            if let e = state.edit {
                ResidentEditor(edit: e, busy: state.busy, failure: state.failure, send: send)
            }
        }
    }
}

/// The form of a resident being added or edited; tags as chips.
struct ResidentEditor: View {
    let edit: ResidentEdit
    let busy: Bool
    let failure: DoorstepFailure?
    let send: (HouseholdAction) -> Void

    private func change(_ f: (inout ResidentEdit) -> Void) {
        var e = edit
        f(&e)
        send(.editChanged(e))
    }

    var body: some View {
        NavigationStack {
            Form {
                TextField(tr("resident.name"), text: bind(edit.name) { v in change { $0.name = v } })
                Picker(tr("resident.sex"), selection: bind(edit.sex) { v in change { $0.sex = v } }) {
                    ForEach(Sex.allCases, id: \.self) { Text($0.words).tag($0) }
                }
                TextField(tr("resident.birthYear"), text: bind(edit.birthYear) { v in change { $0.birthYear = v } })
                    .keyboardType(.numberPad)
                TextField(tr("resident.phone"), text: bind(edit.phone) { v in change { $0.phone = v } })
                    .keyboardType(.phonePad)
                Section(tr("resident.tags")) {
                    TagChips(tags: Tag.builtin, chosen: edit.tags) { send(.toggleTag($0)) }
                }
                TextField(tr("resident.notes"), text: bind(edit.notes) { v in change { $0.notes = v } }, axis: .vertical)
                if let failure { FailureText(failure: failure) }
            }
            .navigationTitle(edit.residentId == nil ? tr("resident.add") : tr("resident.edit"))
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(tr("common.cancel")) { send(.cancelEdit) } }
                ToolbarItem(placement: .confirmationAction) {
                    Button(tr("common.save")) { send(.saveResident) }.disabled(busy)
                }
            }
        }
    }
}

#Preview {
    NavigationStack { HouseholdView(state: .sample, send: { _ in }) }
}
#endif
