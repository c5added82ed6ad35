import DoorstepKit
import Foundation
import Observation

/// One outcome as the marshal's big card shows it.
public struct ScanCard: Equatable, Identifiable {
    public let id: Int
    public let outcome: ScanOutcome
    public let atMs: Int64
}

public struct MarshalState: Equatable {
    public var site: String
    public var lane: String
    public var prefix: String
    /// The set-up is done and the scanner is on.
    public var ready: Bool
    public var today: SiteDay?
    /// The last outcome, large.
    public var card: ScanCard?
    /// The outcomes before it, newest first (a few).
    public var recent: [ScanCard]
    /// After a result the scanner takes nothing until the next person is in front.
    public var paused: Bool
    /// Seconds after which a pause ends by itself; 0 waits for a tap.
    public var pauseSeconds: Int
    /// A damaged code typed by hand.
    public var manual: String
    public var busy: Bool
    public var failure: DoorstepFailure?

    public var canBegin: Bool { site.trimmedOrNil != nil && lane.trimmedOrNil != nil }
}

public enum MarshalAction {
    case siteChanged(String)
    case laneChanged(String)
    case prefixChanged(String)
    case pauseChanged(seconds: Int)
    /// Set-up done: the scanner opens.
    case begin
    /// Back to the set-up (another site or lane).
    case changeSetUp
    /// A code the camera read (the one nearest the centre).
    case scanned(String)
    /// A picture of a pass (a screenshot sent by chat): its QR code is read and scanned.
    case imagePicked(Data)
    case manualChanged(String)
    case submitManual
    /// The next person is in front: the scanner takes codes again.
    case next
    case openTubes
}

/// The marshal's scanner: the site and lane, one large card per outcome, a pause after each
/// result so a code is never read twice in a row, manual entry for damaged codes, and the
/// day's count. The core decides every outcome.
@MainActor @Observable
public final class MarshalViewModel: ViewModel {
    static let keep = 5
    static let siteKey = "marshal.site"
    static let laneKey = "marshal.lane"
    static let pauseKey = "marshal.pauseSeconds"

    public private(set) var state: MarshalState
    @ObservationIgnored private let checkin: CheckinService
    @ObservationIgnored private let settings: UserDefaults
    @ObservationIgnored private let onTubes: @MainActor (String, String) -> Void
    @ObservationIgnored private var cards = 0
    @ObservationIgnored private var resume: Task<Void, Never>?
    /// The first read; tests await it.
    @ObservationIgnored public private(set) var loaded: Task<Void, Never>?

    /// `settings` keeps the site, lane and pause between launches.
    public init(
        checkin: CheckinService, settings: UserDefaults = .standard,
        onTubes: @escaping @MainActor (_ site: String, _ lane: String) -> Void
    ) {
        self.checkin = checkin
        self.settings = settings
        self.onTubes = onTubes
        let pause = settings.object(forKey: Self.pauseKey) as? Int ?? 3
        state = MarshalState(
            site: settings.string(forKey: Self.siteKey) ?? "", lane: settings.string(forKey: Self.laneKey) ?? "1",
            prefix: "", ready: false, today: nil, card: nil, recent: [], paused: false, pauseSeconds: pause,
            manual: "", busy: false, failure: nil)
        loaded = perform({ [weak self] f in self?.state.failure = f }) { [weak self, checkin] in
            let prefix = try await checkin.queuePrefix()
            self?.state.prefix = prefix
        }
    }

    private func refreshToday() async {
        guard let site = state.site.trimmedOrNil else { return }
        if let day = try? await checkin.today(site: site) { state.today = day }
    }

    private func show(_ outcome: ScanOutcome) {
        cards += 1
        if let old = state.card {
            state.recent.insert(old, at: 0)
            if state.recent.count > Self.keep { state.recent.removeLast() }
        }
        state.card = ScanCard(id: cards, outcome: outcome, atMs: nowMs())
        state.paused = true
        resume?.cancel()
        let seconds = state.pauseSeconds
        guard seconds > 0 else { return }
        let card = cards
        resume = Task { @MainActor [weak self] in
            do { try await Task.sleep(for: .seconds(seconds)) } catch { return }
            guard let self, self.cards == card else { return }
            self.state.paused = false
        }
    }

    private func scan(_ text: String) -> Task<Void, Never> {
        state.busy = true
        let (site, lane) = (state.site, state.lane)
        return perform({ [weak self] f in
            self?.state.busy = false
            self?.state.failure = f
        }) { [weak self, checkin] in
            let outcome = try await checkin.scan(text, site: site, lane: lane)
            guard let self else { return }
            self.state.busy = false
            self.state.failure = nil
            self.show(outcome)
            await self.refreshToday()
        }
    }

    @discardableResult
    public func send(_ action: MarshalAction) -> Task<Void, Never> {
        switch action {
        case .siteChanged(let t):
            state.site = t
        case .laneChanged(let t):
            state.lane = t
        case .prefixChanged(let t):
            state.prefix = t
        case .pauseChanged(let s):
            state.pauseSeconds = max(0, s)
            settings.set(state.pauseSeconds, forKey: Self.pauseKey)
        case .begin:
            guard state.canBegin else { break }
            let (site, lane) = (state.site.trimmingCharacters(in: .whitespaces), state.lane.trimmingCharacters(in: .whitespaces))
            state.site = site
            state.lane = lane
            settings.set(site, forKey: Self.siteKey)
            settings.set(lane, forKey: Self.laneKey)
            state.busy = true
            return perform({ [weak self] f in
                self?.state.busy = false
                self?.state.failure = f
            }) { [weak self, checkin] in
                // The phone's prefix is read first; an empty field keeps it.
                await self?.loaded?.value
                guard let prefix = self?.state.prefix else { return }
                let kept: String
                if let p = prefix.trimmedOrNil {
                    kept = try await checkin.setQueuePrefix(p)
                } else {
                    kept = try await checkin.queuePrefix()
                }
                guard let self else { return }
                self.state.prefix = kept
                self.state.busy = false
                self.state.failure = nil
                self.state.ready = true
                self.state.paused = false
                await self.refreshToday()
            }
        case .changeSetUp:
            state.ready = false
        case .scanned(let text):
            // While paused, or while the last code is still being checked, the camera's
            // reads are dropped: the same code in view stays one scan.
            guard state.ready, !state.paused, !state.busy else { break }
            return scan(text)
        case .imagePicked(let data):
            guard state.ready, !state.busy else { break }
            state.busy = true
            return perform({ [weak self] f in
                self?.state.busy = false
                self?.state.failure = f
            }) { [weak self, checkin] in
                let text = try await checkin.decode(image: data)
                guard let self else { return }
                self.state.busy = false
                await self.scan(text).value
            }
        case .manualChanged(let t):
            state.manual = t
        case .submitManual:
            guard state.ready, !state.busy, let text = state.manual.trimmedOrNil else { break }
            state.manual = ""
            return scan(text)
        case .next:
            resume?.cancel()
            state.paused = false
        case .openTubes:
            onTubes(state.site, state.lane)
        }
        return Task {}
    }
}
