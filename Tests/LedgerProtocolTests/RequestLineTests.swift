@testable import LedgerProtocol
import Testing

/// `ecoledger call`'s argv → one request line → the server's tokenizer → the same tokens.
@Suite("Request lines from arguments")
struct RequestLineTests {
    /// SplitMix64: a seeded generator, so a failure replays.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Printable text with everything the quoting must handle: spaces, quotes, backslashes,
    /// `=`, non-ASCII letters that case-map, emoji.
    static let alphabet: [Unicode.Scalar] = Array("aZ09 _-=:.\"\\'ſıßé漢\u{1F600}\u{A0}".unicodeScalars)

    static func text(_ generator: inout Seeded, minLength: Int = 0) -> String {
        var out = ""
        for _ in 0..<Int.random(in: minLength...12, using: &generator) {
            out.unicodeScalars.append(alphabet.randomElement(using: &generator)!)
        }
        return out
    }

    @Test("any argv without control characters becomes one line that tokenizes back to the same arguments")
    func roundTrip() throws {
        var generator = Seeded(state: 20261125)
        for _ in 0..<5_000 {
            var argv = [Self.text(&generator, minLength: 1)]
            var expectedNamed: [String: String] = [:], expectedPositional: [String] = []
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                if Bool.random(using: &generator) {
                    let key = "k" + String(Int.random(in: 0...99, using: &generator))
                    guard expectedNamed[key] == nil else { continue }
                    let value = Self.text(&generator)
                    argv.append(key + "=" + value)
                    expectedNamed[key] = value
                } else {
                    let text = Self.text(&generator, minLength: 1)
                    if let (key, value) = RequestLine.named(text) {
                        // Typed as key=value, it is one: unless that key is taken already.
                        guard expectedNamed[key.lowercased()] == nil else { continue }
                        expectedNamed[key.lowercased()] = value
                    } else {
                        expectedPositional.append(text)
                    }
                    argv.append(text)
                }
            }
            let line = try RequestLine.encode(argv)
            #expect(!line.unicodeScalars.contains { $0 == "\n" || $0 == "\r" })
            let parsed = try #require(try LineTokenizer.parse(Array(line.utf8)), "\(argv) → \(line)")
            #expect(parsed.verb == LineTokenizer.asciiUppercased(argv[0]), "\(argv) → \(line)")
            #expect(parsed.positional == expectedPositional, "\(argv) → \(line)")
            #expect(parsed.named == expectedNamed, "\(argv) → \(line)")
        }
    }

    @Test("an argument with a control character is refused, whatever it hides", arguments: ["\n", "\r", "\t", "\u{0}", "\u{7F}", "\u{85}"])
    func controlCharacters(control: String) {
        #expect(throws: ProtocolError.self) {
            try RequestLine.encode(["ACCOUNT", "OPEN", "R-X", "kind=resident", "name=\"Ana\"\(control)POINT ADD CP-INJECTED name=injected"])
        }
    }

    @Test("quotes and backslashes inside a value are escaped, not passed through")
    func escapes() throws {
        #expect(try RequestLine.encode(["POINT", "ADD", "CP-1", "name=a\"b\\c"]) == #"POINT ADD CP-1 name="a\"b\\c""#)
        #expect(try RequestLine.encode(["POINT", "ADD", "CP-1", "name=\"Ana\""]) == #"POINT ADD CP-1 name="\"Ana\"""#)
        #expect(try RequestLine.encode(["BALANCE", "R-1"]) == "BALANCE R-1")
    }
}
