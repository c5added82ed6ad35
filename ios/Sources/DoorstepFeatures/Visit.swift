import DoorstepKit
import Foundation
import Observation

public struct VisitState: Equatable {
    public var form: VisitForm?
    /// Text typed into number, text and date fields, by question, until the core takes it.
    public var typed: [String: String]
    /// The core's refusal of the last answer to a question.
    public var refused: [String: DoorstepFailure]
    public var outcome: VisitOutcome
    public var note: String
    public var finished: FinishedVisit?
    public var busy: Bool
    public var failure: DoorstepFailure?
}

public enum VisitAction {
    /// A yes/no, choice or date answer, stored at once.
    case answered(questionId: String, Answer)
    /// Text typed into a number, text or date field; stored after a pause in typing.
    case typed(questionId: String, text: String)
    /// A photo taken for a photo question; the reference the app stored it under.
    case photoTaken(questionId: String, reference: String)
    case outcomeChosen(VisitOutcome)
    case noteChanged(String)
    case finish
    case discard
    case done
    case openNeed(needId: String)
}

/// A visit's checklist: the core decides which questions show (`show_if`), refuses bad
/// answers, keeps the draft, and raises needs on finish.
@MainActor @Observable
public final class VisitViewModel: ViewModel {
    /// Typing pauses this long before a typed answer is stored.
    public static let typingPause: Duration = .milliseconds(400)

    public private(set) var state = VisitState(
        form: nil, typed: [:], refused: [:], outcome: .met, note: "", finished: nil, busy: false, failure: nil)
    @ObservationIgnored private let visitId: String
    @ObservationIgnored private let visits: VisitService
    @ObservationIgnored private let onClose: @MainActor (String?) -> Void
    @ObservationIgnored private let onNeed: @MainActor (String) -> Void
    @ObservationIgnored private var typing: [String: Task<Void, Never>] = [:]
    // Answers go to the core one at a time in the order given, so an older form never
    // lands after a newer one.
    @ObservationIgnored private var lastWrite: Task<Void, Never>?

    public init(
        visitId: String, visits: VisitService, onClose: @escaping @MainActor (String?) -> Void,
        onNeed: @escaping @MainActor (String) -> Void
    ) {
        self.visitId = visitId
        self.visits = visits
        self.onClose = onClose
        self.onNeed = onNeed
        loaded = perform({ [weak self] f in self?.state.failure = f }) { [weak self, visits] in
            let form = try await visits.form(visitId: visitId)
            self?.state.form = form
        }
    }

    /// The first read of the form; tests await it.
    @ObservationIgnored public private(set) var loaded: Task<Void, Never>?

    /// Queues a write after every write before it.
    private func enqueue(_ work: @escaping @MainActor () async -> Void) -> Task<Void, Never> {
        let previous = lastWrite
        let t = Task { @MainActor in
            await previous?.value
            await work()
        }
        lastWrite = t
        return t
    }

    private func store(_ questionId: String, _ answer: Answer?) async {
        do {
            let form = try await visits.answer(visitId: visitId, questionId: questionId, answer)
            state.form = form
            state.refused[questionId] = nil
            state.failure = nil
        } catch let f as DoorstepFailure {
            state.refused[questionId] = f
        } catch {
            state.refused[questionId] = .internal(String(describing: error))
        }
    }

    /// What typed text reads as for its question: nil clears the answer; a number field
    /// holding something else is refused here, as the core takes only numbers there.
    private func reading(_ questionId: String, _ text: String) -> Result<Answer?, DoorstepFailure> {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty { return .success(nil) }
        let kind = state.form?.questions.first { $0.question.id == questionId }?.question.kind
        switch kind {
        case .number?:
            guard let v = Double(t.replacingOccurrences(of: ",", with: ".")) else {
                return .failure(.invalid("\(questionId): \"\(t)\" is not a number"))
            }
            return .success(.number(v))
        case .date?:
            return .success(.date(t))
        default:
            return .success(.text(text))
        }
    }

    @discardableResult
    public func send(_ action: VisitAction) -> Task<Void, Never> {
        switch action {
        case .answered(let q, let a):
            typing[q]?.cancel()
            return enqueue { [weak self] in await self?.store(q, a) }
        case .photoTaken(let q, let reference):
            return enqueue { [weak self] in await self?.store(q, .photo(reference)) }
        case .typed(let q, let text):
            state.typed[q] = text
            typing[q]?.cancel()
            switch reading(q, text) {
            case .failure(let f):
                state.refused[q] = f
                return Task {}
            case .success(let answer):
                // One answer per pause in typing, not one change-log entry per key.
                let t = Task { @MainActor [weak self] in
                    do { try await Task.sleep(for: Self.typingPause) } catch { return }
                    guard let self else { return }
                    await self.enqueue { [weak self] in await self?.store(q, answer) }.value
                }
                typing[q] = t
                return t
            }
        case .outcomeChosen(let o):
            state.outcome = o
        case .noteChanged(let t):
            state.note = t
        case .finish:
            // Answers still waiting for a pause in typing are stored first.
            let waiting = Array(typing.values)
            typing.removeAll()
            for t in waiting { t.cancel() }
            let pendingTexts = state.typed
            state.busy = true
            state.failure = nil
            let (outcome, note) = (state.outcome, state.note.trimmedOrNil)
            return enqueue { [weak self] in
                guard let self else { return }
                for (q, text) in pendingTexts where self.isUnstored(q, text) {
                    if case .success(let a) = self.reading(q, text) { await self.store(q, a) }
                }
                do {
                    let done = try await self.visits.finish(visitId: self.visitId, outcome: outcome, note: note)
                    self.state.finished = done
                    self.state.busy = false
                } catch let f as DoorstepFailure {
                    self.state.busy = false
                    self.state.failure = f
                } catch {
                    self.state.busy = false
                    self.state.failure = .internal(String(describing: error))
                }
            }
        case .discard:
            return perform({ [weak self] f in self?.state.failure = f }) { [weak self, visits, visitId] in
                let household = self?.state.form?.householdId
                try await visits.discard(visitId: visitId)
                self?.onClose(household)
            }
        case .done:
            onClose(state.form?.householdId)
        case .openNeed(let id):
            onNeed(id)
        }
        return Task {}
    }

    /// Whether typed text differs from the answer the core holds for the question.
    private func isUnstored(_ questionId: String, _ text: String) -> Bool {
        guard case .success(let a) = reading(questionId, text) else { return false }
        let stored = state.form?.questions.first { $0.question.id == questionId }?.answer
        return stored != a
    }
}
