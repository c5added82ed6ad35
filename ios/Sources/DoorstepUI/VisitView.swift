#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import SwiftUI

/// A visit's checklist: the questions the core shows now, each with its answer and the
/// core's refusal; the outcome, a note, finish. Once finished, the needs it raised.
struct VisitView: View {
    let state: VisitState
    let send: (VisitAction) -> Void

    var body: some View {
        Form {
            if let f = state.failure { Section { FailureText(failure: f) } }
            if let done = state.finished {
                FinishedSection(done: done, send: send)
            } else if let form = state.form {
                ForEach(form.questions) { q in
                    QuestionSection(
                        shown: q, typed: state.typed[q.id], refused: state.refused[q.id],
                        issue: form.issues.first { $0.questionId == q.id && $0.problem != .missing },
                        send: send)
                }
                Section(tr("visit.outcome")) {
                    Picker(tr("visit.outcome"), selection: bind(state.outcome) { send(.outcomeChosen($0)) }) {
                        ForEach(VisitOutcome.allCases, id: \.self) { Text($0.words).tag($0) }
                    }
                    .pickerStyle(.inline)
                    .labelsHidden()
                    TextField(tr("visit.note"), text: bind(state.note) { send(.noteChanged($0)) }, axis: .vertical)
                        .frame(minHeight: minTouch)
                    let missing = form.issues.filter { $0.problem == .missing }.count
                    if missing > 0, state.outcome == .met {
                        Text(tr("visit.missing", missing)).foregroundStyle(.red)
                    }
                }
                Section {
                    WideButton(title: tr("visit.finish")) { send(.finish) }.disabled(state.busy)
                    WideButton(title: tr("visit.discard"), role: .destructive, prominent: false) { send(.discard) }
                }
            } else {
                ProgressView()
            }
        }
        .navigationTitle(state.form?.title.text(chinese: prefersChinese) ?? tr("visit.title"))
    }
}

/// One question: its label, an input fitted to its kind, and why an answer was refused.
private struct QuestionSection: View {
    let shown: ShownQuestion
    let typed: String?
    let refused: DoorstepFailure?
    let issue: AnswerIssue?
    let send: (VisitAction) -> Void

    private var id: String { shown.question.id }

    var body: some View {
        Section(shown.question.label.text(chinese: prefersChinese) + (shown.question.required ? " *" : "")) {
            switch shown.question.kind {
            case .yesNo:
                let now: Bool? = { if case .yesNo(let v)? = shown.answer { return v } else { return nil } }()
                Chips(options: [("yes", tr("common.yes")), ("no", tr("common.no"))],
                      chosen: now.map { [$0 ? "yes" : "no"] } ?? []) {
                    send(.answered(questionId: id, .yesNo($0 == "yes")))
                }
            case .single(let options):
                let now: [String] = { if case .single(let v)? = shown.answer { return [v] } else { return [] } }()
                Chips(options: options.map { ($0.id, $0.label.text(chinese: prefersChinese)) }, chosen: now) {
                    send(.answered(questionId: id, .single($0)))
                }
            case .multi(let options):
                let now: [String] = { if case .multi(let v)? = shown.answer { return v } else { return [] } }()
                Chips(options: options.map { ($0.id, $0.label.text(chinese: prefersChinese)) }, chosen: now) { o in
                    send(.answered(questionId: id, .multi(now.contains(o) ? now.filter { $0 != o } : now + [o])))
                }
            case .number(_, _, _, let unit):
                let stored: String = { if case .number(let v)? = shown.answer { return v.formatted() } else { return "" } }()
                HStack {
                    TextField("", text: bind(typed ?? stored) { send(.typed(questionId: id, text: $0)) })
                        .keyboardType(.decimalPad)
                    if let unit { Text(unit.text(chinese: prefersChinese)).foregroundStyle(.secondary) }
                }
                .frame(minHeight: minTouch)
            case .text(let maxLength):
                let stored: String = { if case .text(let v)? = shown.answer { return v } else { return "" } }()
                let now = typed ?? stored
                TextField("", text: bind(now) { send(.typed(questionId: id, text: $0)) }, axis: .vertical)
                    .frame(minHeight: minTouch)
                Text(tr("visit.textLimit", now.count, maxLength)).font(.caption)
                    .foregroundStyle(now.count > maxLength ? Color.red : Color.secondary)
            case .date:
                let stored: String = { if case .date(let v)? = shown.answer { return v } else { return "" } }()
                TextField(tr("visit.dateHint"), text: bind(typed ?? stored) { send(.typed(questionId: id, text: $0)) })
                    .frame(minHeight: minTouch)
            case .photo:
                let stored: String? = { if case .photo(let v)? = shown.answer { return v } else { return nil } }()
                Text(stored ?? tr("visit.photoNotHere")).font(.caption)
            }
            if let refused {
                FailureText(failure: refused)
            } else if let issue {
                Text(issue.problem.words).foregroundStyle(.red)
            }
        }
    }
}

/// The needs a finished visit raised, each a way into its need.
private struct FinishedSection: View {
    let done: FinishedVisit
    let send: (VisitAction) -> Void

    var body: some View {
        Section(done.needs.isEmpty ? tr("visit.noNeeds") : tr("visit.needsRaised")) {
            Text(tr("visit.done")).font(.title3.weight(.semibold))
            ForEach(done.needs) { n in
                Button { send(.openNeed(needId: n.id)) } label: {
                    VStack(alignment: .leading) {
                        Text("\(n.category.words) · \(n.urgency.words)").font(.headline)
                        if let more = n.drug ?? n.details { Text(more).font(.caption) }
                    }
                    .frame(maxWidth: .infinity, minHeight: minTouch, alignment: .leading)
                }
            }
            WideButton(title: tr("visit.backToHousehold")) { send(.done) }
        }
    }
}

/// Choices as chips that wrap onto the next line; `pick` gets the option's id.
struct Chips: View {
    let options: [(String, String)]
    let chosen: [String]
    let pick: (String) -> Void

    var body: some View {
        ViewThatFits {
            HStack { buttons }
            VStack(alignment: .leading) { buttons }
        }
    }

    @ViewBuilder private var buttons: some View {
        ForEach(options.indices, id: \.self) { i in
            let option = options[i]
            Button(option.1) { pick(option.0) }
                .buttonStyle(.bordered)
                .tint(chosen.contains(option.0) ? .green : .gray)
                .frame(minHeight: minTouch)
                .accessibilityAddTraits(chosen.contains(option.0) ? .isSelected : [])
        }
    }
}

#Preview {
    NavigationStack { VisitView(state: .sample, send: { _ in }) }
}
#endif
