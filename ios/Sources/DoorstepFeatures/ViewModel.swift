import DoorstepKit
import Foundation

/// What every screen's view model offers its view: the state to draw and one way in for
/// the user's actions. View models are the only place a screen's state changes; results of
/// async work come back to the main actor and land in `state`.
@MainActor
public protocol ViewModel: AnyObject {
    associatedtype State: Equatable
    associatedtype Action
    var state: State { get }
    /// Handles one action; the task ends when the action's work has landed in `state`
    /// (views ignore it, tests await it).
    @discardableResult func send(_ action: Action) -> Task<Void, Never>
}

/// Runs `work` on the main actor and hands a `DoorstepFailure` to `failed`; a bug that is
/// not a failure is reported as `.internal`.
@MainActor
func perform(
    _ failed: @escaping @MainActor (DoorstepFailure) -> Void,
    _ work: @escaping @MainActor () async throws -> Void
) -> Task<Void, Never> {
    Task { @MainActor in
        do {
            try await work()
        } catch let f as DoorstepFailure {
            failed(f)
        } catch is CancellationError {
            // The screen went away or a newer action replaced this one.
        } catch {
            failed(.internal(String(describing: error)))
        }
    }
}

/// Milliseconds since the epoch now.
public func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

extension String {
    /// The text trimmed, or nil when nothing is left.
    var trimmedOrNil: String? {
        let t = trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }
}
