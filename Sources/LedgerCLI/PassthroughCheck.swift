import ArgumentParser

/// Commands that pass the rest of their line to the server (`call`, `kiosk`) check it here first,
/// so that an option written after the command (`HEAD --token-file F`) or a mistyped one
/// (`--token F`) is refused on this machine instead of being sent as a request: a secret in
/// that place would otherwise travel as a request line.
public enum PassthroughCheck {
    /// Throws a `ValidationError` for the first word of `command` that looks like an option.
    /// `options`: the long options the command has, without `--`.
    public static func refuseOptions(in command: [String], options: [String], usage: String) throws {
        for word in command {
            // A long dash pasted from formatted text (—token-file, –port) is an option typed wrong.
            if let first = word.unicodeScalars.first, [0x2012, 0x2013, 0x2014, 0x2015, 0x2212].contains(first.value) {
                let name = String(word.unicodeScalars.drop { [0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0x2D].contains($0.value) }.prefix { $0 != "=" })
                let hint = suggestion(for: name, among: options).map { "; did you mean --\($0)?" } ?? ""
                throw ValidationError("\(word.prefix { $0 != "=" }) begins with a long dash, not two hyphens\(hint) (nothing was sent)")
            }
            guard looksLikeOption(word) else { continue }
            let name = String(word.drop { $0 == "-" }.prefix { $0 != "=" })
            if options.contains(name) {
                throw ValidationError("--\(name) comes after the command, where it would be sent to the server; options go before it: \(usage)")
            }
            let hint = suggestion(for: name, among: options).map { "; did you mean --\($0)?" } ?? ""
            throw ValidationError("unknown option \(String(word.prefix { $0 != "=" }))\(hint) (nothing was sent)")
        }
    }

    /// A protocol word never begins with `-` followed by a letter: verbs, ids and key=value do not.
    static func looksLikeOption(_ word: String) -> Bool {
        let rest = word.drop { $0 == "-" }
        return rest.count < word.count && rest.first.map { $0.isLetter } == true
    }

    /// The option `name` most likely meant: one that begins with it or that it begins with, or
    /// one at most two edits away.
    public static func suggestion(for name: String, among options: [String]) -> String? {
        if let prefixed = options.first(where: { $0.hasPrefix(name) || name.hasPrefix($0) }) { return prefixed }
        let scored = options.map { ($0, distance(name, $0)) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
