import CLibEdit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The console's line input (`ecoledger connect` on a terminal), through libedit: arrow keys and
/// Emacs-style editing, a history kept in a file (Up recalls, Ctrl-R searches), and Tab
/// completion of the verbs and `key=`s the server says the caller may use (`HELP`).
///
/// Lines that carry a secret or personal data (an `AUTH`, a `pin=`, `old=`, `name=` or `district=`)
/// are never written to the history.
/// libedit's state is global to the process, so there is one editor at a time.
public final class LineEditor {
    private let historyFile: String?
    /// The most lines kept in the history file.
    public static let historyLimit: Int32 = 1000

    /// `historyFile`: loaded now and written by `save` (owner-only); nil keeps no history.
    /// `commands`: what completion offers (see `Completions`).
    public init(historyFile: String?, commands: Completions) {
        self.historyFile = historyFile
        Completions.current = commands
        ecl_setup(complete)
        stifle_history(Self.historyLimit)
        if let historyFile, FileManager.default.fileExists(atPath: historyFile) { _ = read_history(historyFile) }
    }

    /// The next line, without its newline; nil at end of input (Ctrl-D).
    public func readLine(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.trimmingCharacters(in: .whitespaces).isEmpty, !Self.isSecret(line) { add_history(raw) }
        return line
    }

    /// Writes the history file, owner-only (it holds what an operator typed).
    public func save() {
        guard let historyFile else { return }
        let descriptor = open(historyFile, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
        chmod(historyFile, 0o600)
        _ = write_history(historyFile)
    }

    /// The keys whose values never go to the history: PINs, and a resident's personal data
    /// (an erased resident's name must not survive in a console's history file).
    static let keptOutKeys = ["pin=", "old=", "name=", "district="]

    /// Whether a line holds a token, a PIN or personal data (`keptOutKeys`).
    static func isSecret(_ line: String) -> Bool {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        guard let first = words.first else { return false }
        return first == "auth" || words.contains { word in keptOutKeys.contains { word.hasPrefix($0) } }
    }

    /// The verbs (one or two words) and the `key=`s of each, from `HELP`'s usage lines.
    public struct Completions: Sendable {
        var verbs: [[String]] = []
        var keys: [String: [String]] = [:]

        public init() {}

        /// From `HELP`'s lines: `command=VERB usage=TEXT …` (already parsed into fields).
        public init(help: [(command: String, usage: String)]) {
            for (command, usage) in help {
                let words = command.split(separator: " ").map(String.init)
                verbs.append(words)
                keys[command] = usage.split(separator: " ").compactMap { token -> String? in
                    let bare = token.drop { $0 == "[" }
                    guard let equals = bare.firstIndex(of: "="), bare[..<equals].allSatisfy({ $0.isLowercase || $0 == "_" }),
                          equals > bare.startIndex else { return nil }
                    return String(bare[...equals])
                }
            }
        }

        /// What may follow `before` (the words already typed) for a word starting `prefix`.
        func candidates(before: [String], prefix: String) -> [String] {
            let typed = before.map { $0.uppercased() }
            let upperPrefix = prefix.uppercased()
            // A verb's first word, or the second word of a two-word verb.
            if typed.isEmpty || (typed.count == 1 && verbs.contains { $0.count == 2 && $0[0] == typed[0] }) {
                let position = typed.count
                let words = verbs.filter { $0.count > position && Array($0.prefix(position)) == typed }.map { $0[position] }
                return Array(Set(words)).filter { $0.hasPrefix(upperPrefix) }.sorted()
            }
            // Keys of the command typed so far (its one- or two-word verb).
            let verb = verbs.first { $0.count == 2 && typed.count >= 2 && Array(typed.prefix(2)) == $0 }
                ?? verbs.first { $0.count == 1 && $0[0] == typed[0] }
            guard let verb else { return [] }
            let used = Set(typed.compactMap { word in word.firstIndex(of: "=").map { String(word[...$0]).lowercased() } })
            return (keys[verb.joined(separator: " ")] ?? []).filter { $0.hasPrefix(prefix.lowercased()) && !used.contains($0) }
        }

        nonisolated(unsafe) static var current = Completions()
        /// The matches of the completion in progress (libedit asks for them one at a time).
        nonisolated(unsafe) static var matches: [String] = []
    }
}

/// libedit's completion hook: the candidates for the word being typed, or none (never file
/// names, libedit's default).
private func complete(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    let prefix = text.map { String(cString: $0) } ?? ""
    let line = ecl_line_buffer().map { String(cString: $0) } ?? ""
    let before = String(line.utf8.prefix(Int(start))) ?? ""
    let words = before.split(separator: " ").map(String.init)
    LineEditor.Completions.matches = LineEditor.Completions.current.candidates(before: words, prefix: prefix)
    // Never file names (libedit's default); a key is followed by its value, not a space.
    ecl_completion_done(LineEditor.Completions.matches.allSatisfy { $0.hasSuffix("=") } ? 0 : 32)
    guard !LineEditor.Completions.matches.isEmpty else { return nil }
    return rl_completion_matches(text, nextMatch)
}

/// libedit's generator: the `state`-th match, as a string it frees.
private func nextMatch(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    let matches = LineEditor.Completions.matches
    guard Int(state) < matches.count else { return nil }
    return strdup(matches[Int(state)])
}
