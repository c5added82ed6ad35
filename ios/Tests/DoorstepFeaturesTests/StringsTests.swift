import DoorstepCore
import DoorstepFeatures
import DoorstepKit
import Foundation
import XCTest

/// The views cannot be compiled on Linux, but their words can be checked: every key they
/// use, and every key they build from a case, has words in English and 简体中文, and both
/// take the same arguments.
@MainActor
final class StringsTests: FeatureTestCase {
    /// The keys the views spell out: `tr("…"` with no interpolation.
    nonisolated static func literalKeys() throws -> Set<String> {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/DoorstepUI")
        let files = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? []
        let pattern = try NSRegularExpression(pattern: #"tr\("([A-Za-z0-9_.]+)""#)
        var keys = Set<String>()
        for f in files where f.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                keys.insert(String(text[Range(m.range(at: 1), in: text)!]))
            }
            // A key picked by a condition: tr(x ? "a" : "b", ...).
            let ternary = try NSRegularExpression(pattern: #"tr\([^"()]*\? "([A-Za-z0-9_.]+)" : "([A-Za-z0-9_.]+)""#)
            for m in ternary.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                keys.insert(String(text[Range(m.range(at: 1), in: text)!]))
                keys.insert(String(text[Range(m.range(at: 2), in: text)!]))
            }
        }
        return keys
    }

    /// The keys the views build from a case's name.
    func builtKeys() throws -> Set<String> {
        var keys = Set<String>()
        func add(_ prefix: String, _ names: [String]) { keys.formUnion(names.map { "\(prefix).\($0)" }) }
        let failures: [DoorstepFailure] = [
            .invalid(""), .notFound(""), .conflict(""), .refused(""), .unreachable(""), .codeRefused(""),
            .enrolAgain(""), .notEnrolled(""), .storeUnusable(""), .storage(""), .cancelled(""), .internal(""),
        ]
        add("failure", failures.map(\.kind))
        add("role", Role.allCases.map(\.rawValue))
        add("sex", Sex.allCases.map(\.rawValue))
        add("category", NeedCategory.allCases.map(\.rawValue))
        add("urgency", Urgency.allCases.map(\.rawValue))
        add("needStatus", NeedStatus.allCases.map(\.rawValue))
        add("target", ReferralTarget.allCases.map(\.rawValue))
        add("referralStatus", ReferralStatus.allCases.map(\.rawValue))
        add("outcome", VisitOutcome.allCases.map(\.rawValue))
        add("tier", DueTier.allCases.map(\.rawValue))
        add("stage", SyncStage.allCases.map(\.rawValue))
        add("problem", AnswerProblem.allCases.map(\.rawValue))
        add("packageStatus", PackageStatus.allCases.map(\.rawValue))
        add("fail", FailReason.allCases.map(\.rawValue))
        add("proof", ProofChoice.allCases.map(\.rawValue))
        add("handoff", HandoffMode.allCases.map(\.rawValue))
        add("tubeStatus", TubeStatus.allCases.map(\.rawValue))
        add("tubeResult", TubeResult.allCases.map(\.rawValue))
        for code in ["admitted", "priority", "duplicate", "expired", "not_yet_valid", "revoked", "unknown_key",
                     "forged", "unreadable", "in_open_tube"] {
            keys.insert("scan.\(code).title")
            keys.insert("scan.\(code).detail")
        }
        // Item lines name the core's catalogue items and their units.
        let catalogue = try seed { $0.itemCatalogue() }
        XCTAssertFalse(catalogue.isEmpty)
        add("item", catalogue.map(\.code))
        add("unit", catalogue.map(\.code))
        return keys
    }

    func testEveryKeyHasWordsInBothLanguagesWithTheSameArguments() async throws {
        let catalog = try Catalog.load()
        let literal = try Self.literalKeys()
        XCTAssertGreaterThan(literal.count, 100, "the views' keys were found")
        let keys = literal.union(try builtKeys())
        for key in keys.sorted() {
            let en = catalog.words(key, "en")
            let zh = catalog.words(key, "zh-Hans")
            XCTAssertFalse(en.isEmpty, "\(key) en")
            XCTAssertFalse(zh.isEmpty, "\(key) zh-Hans")
            XCTAssertEqual(arguments(en), arguments(zh), "\(key): \"\(en)\" and \"\(zh)\" take other arguments")
        }
        // Nothing in the catalog that no view uses.
        XCTAssertEqual(Set(catalog.strings.keys).subtracting(keys).sorted(), [])
    }

    /// The kinds of a format's arguments in order, whether numbered (`%2$@`) or not.
    private func arguments(_ format: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"%(?:(\d+)\$)?(ld|@|d)"#)
        var next = 0
        var args: [(Int, String)] = []
        for m in pattern.matches(in: format, range: NSRange(format.startIndex..., in: format)) {
            let kind = String(format[Range(m.range(at: 2), in: format)!])
            if let r = Range(m.range(at: 1), in: format) {
                args.append((Int(format[r])! - 1, kind))
            } else {
                args.append((next, kind))
                next += 1
            }
        }
        return args.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
