import Foundation

/// The journal's `attrs` column: a JSON object of string values with sorted keys, so the
/// stored text is deterministic and readable with SQLite's json functions.
enum AttributesJSON {
    static func encode(_ attributes: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a [String: String] cannot fail.
        return String(decoding: try! encoder.encode(attributes), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }
}
