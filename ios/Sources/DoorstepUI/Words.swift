#if canImport(SwiftUI) && canImport(UIKit)
import DoorstepFeatures
import DoorstepKit
import Foundation

/// The app's words: every string a screen shows comes from Localizable.xcstrings (English
/// and 简体中文) through `tr`, so each language has one place. The Linux suite checks that
/// every key used here has words in both.
func tr(_ key: String, _ args: CVarArg...) -> String {
    let format = Bundle.module.localizedString(forKey: key, value: nil, table: nil)
    return args.isEmpty ? format : String(format: format, locale: Locale.current, arguments: args)
}

/// Whether labels that templates carry in both languages show in Chinese.
var prefersChinese: Bool {
    Locale.preferredLanguages.first?.hasPrefix("zh") ?? true
}

extension DoorstepFailure {
    /// Words a person can read, then the core's detail in smaller print.
    var words: String { tr("failure.\(kind)") }
}

extension Role {
    var words: String { tr("role.\(rawValue)") }
}

extension Tag {
    var words: String {
        switch self {
        case .custom(let name): return name
        case .elderlyAlone: return tr("tag.elderlyAlone")
        case .disability: return tr("tag.disability")
        case .childInHardship: return tr("tag.childInHardship")
        case .stranded: return tr("tag.stranded")
        case .frontlineFamily: return tr("tag.frontlineFamily")
        case .pregnant: return tr("tag.pregnant")
        case .chronicIllness: return tr("tag.chronicIllness")
        case .lowIncome: return tr("tag.lowIncome")
        }
    }
}

extension Sex {
    var words: String { tr("sex.\(rawValue)") }
}

extension NeedCategory {
    var words: String { tr("category.\(rawValue)") }
}

extension Urgency {
    var words: String { tr("urgency.\(rawValue)") }
}

extension NeedStatus {
    var words: String { tr("needStatus.\(rawValue)") }
}

extension ReferralTarget {
    var words: String { tr("target.\(rawValue)") }
}

extension ReferralStatus {
    var words: String { tr("referralStatus.\(rawValue)") }
}

extension VisitOutcome {
    var words: String { tr("outcome.\(rawValue)") }
}

extension DueTier {
    var words: String { tr("tier.\(rawValue)") }
}

extension DueReason {
    var words: String {
        switch self {
        case .lifeNeed(let category, let urgency, let runsOut):
            let base = tr("reason.lifeNeed", category.words, urgency.words)
            guard let runsOut else { return base }
            return base + " · " + tr("reason.runsOut", when(runsOut))
        case .openNeeds(let count, let top): return tr("reason.openNeeds", count, top.words)
        case .neverVisited(let attempts):
            return attempts == 0 ? tr("reason.neverVisitedYet") : tr("reason.neverVisited", attempts)
        case .visitOverdue(let ms): return tr("reason.visitOverdue", Int(ms / 86_400_000))
        case .followUpOverdue(let ms): return tr("reason.followUpOverdue", Int(ms / 86_400_000))
        }
    }
}

extension SyncStage {
    var words: String { tr("stage.\(rawValue)") }
}

extension PackageStatus {
    var words: String { tr("packageStatus.\(rawValue)") }
}

extension TubeStatus {
    var words: String { tr("tubeStatus.\(rawValue)") }
}

extension TubeResult {
    var words: String { tr("tubeResult.\(rawValue)") }
}

extension AnswerProblem {
    var words: String { tr("problem.\(rawValue)") }
}

extension FailReason {
    var words: String { tr("fail.\(rawValue)") }
}

extension ProofChoice {
    var words: String { tr("proof.\(rawValue)") }
}

extension HandoffMode {
    var words: String { tr("handoff.\(rawValue)") }
}

extension ItemLine {
    /// `大米 5 公斤`, or the drug, its dose and the boxes.
    var words: String {
        let unit = tr("unit.\(item)")
        if let name, let dose { return "\(name) \(dose) × \(quantity) \(unit)" }
        return "\(tr("item.\(item)")) \(quantity) \(unit)"
    }
}

extension ScanOutcome {
    /// The card's headline.
    var title: String { tr("scan.\(code).title") }

    /// The card's second line: the number, the lane, when, why.
    var detail: String {
        switch self {
        case .admitted(let no, let lane): return tr("scan.admitted.detail", no, lane)
        case .priority(let no, let lane, let flags):
            var why: [String] = []
            if flags.elderly { why.append(tr("priority.elderly")) }
            if flags.disability { why.append(tr("priority.disability")) }
            if flags.pregnancy { why.append(tr("priority.pregnancy")) }
            if flags.child { why.append(tr("priority.child")) }
            return tr("scan.priority.detail", no, lane, why.joined(separator: "、"))
        case .duplicate(let at, let no): return tr("scan.duplicate.detail", clock(at), no)
        case .expired(let until): return tr("scan.expired.detail", when(until))
        case .notYetValid(let from): return tr("scan.not_yet_valid.detail", when(from))
        case .revoked: return tr("scan.revoked.detail")
        case .unknownKey(let key): return tr("scan.unknown_key.detail", key)
        case .forged: return tr("scan.forged.detail")
        case .unreadable: return tr("scan.unreadable.detail")
        case .inOpenTube(let code): return tr("scan.in_open_tube.detail", code)
        }
    }
}

/// A time of day, as the phone shows it.
func clock(_ ms: Int64) -> String {
    Date(timeIntervalSince1970: Double(ms) / 1000).formatted(date: .omitted, time: .shortened)
}

/// A day and time, as the phone shows it.
func when(_ ms: Int64) -> String {
    Date(timeIntervalSince1970: Double(ms) / 1000).formatted(date: .abbreviated, time: .shortened)
}
#endif
