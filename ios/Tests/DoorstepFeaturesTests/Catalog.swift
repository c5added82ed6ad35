import Foundation
import XCTest

/// The app's string catalog (DoorstepUI's Localizable.xcstrings), read as the JSON it is.
struct Catalog {
    static let languages = ["en", "zh-Hans"]
    static var url: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/DoorstepUI/Resources/Localizable.xcstrings")
    }

    let strings: [String: [String: String]]

    static func load() throws -> Catalog {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let entries = json?["strings"] as? [String: Any] ?? [:]
        var out: [String: [String: String]] = [:]
        for (key, entry) in entries {
            let locs = (entry as? [String: Any])?["localizations"] as? [String: Any] ?? [:]
            var words: [String: String] = [:]
            for (lang, loc) in locs {
                let unit = (loc as? [String: Any])?["stringUnit"] as? [String: Any]
                if let v = unit?["value"] as? String { words[lang] = v }
            }
            out[key] = words
        }
        return Catalog(strings: out)
    }

    /// The words of `key` in `language`, or a failure when there are none.
    func words(_ key: String, _ language: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        guard let w = strings[key]?[language] else {
            XCTFail("no \(language) words for \(key)", file: file, line: line)
            return ""
        }
        return w
    }
}
