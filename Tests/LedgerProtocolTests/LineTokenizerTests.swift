import LedgerProtocol
import Testing

@Suite("Tokenizing request lines")
struct LineTokenizerTests {
    func parse(_ text: String) throws -> ParsedLine? { try LineTokenizer.parse(Array(text.utf8)) }

    func expectCode(_ code: ProtocolError.Code, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try LineTokenizer.parse(bytes)
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("verbs and keys are case-insensitive; values and ids are not")
    func caseRules() throws {
        let line = try #require(try parse("dropoff R-1 Point=CP-1 KG=2.5 ref=Abc"))
        #expect(line.verb == "DROPOFF")
        #expect(line.positional == ["R-1"])
        #expect(line.named == ["point": "CP-1", "kg": "2.5", "ref": "Abc"])
    }

    @Test("runs of spaces and tabs separate tokens; a trailing CR is dropped; blank lines are nil")
    func whitespace() throws {
        #expect(try parse("  PING \t  \r")?.verb == "PING")
        #expect(try parse("") == nil)
        #expect(try parse(" \t \r") == nil)
    }

    @Test("quoted tokens and values keep spaces and unescape \\\" and \\\\")
    func quoting() throws {
        let line = try #require(try parse(#"ACCOUNT OPEN R-1 kind=resident name="Juan \"JC\" dela Cruz" district="a\\b""#))
        #expect(line.named["name"] == #"Juan "JC" dela Cruz"#)
        #expect(line.named["district"] == #"a\b"#)
        #expect(try parse(#"AUTH "secret with spaces""#)?.positional == ["secret with spaces"])
        #expect(try parse(#"AUTH "a=b""#)?.positional == ["a=b"], "a quoted token is never key=value")
        #expect(try parse(#"X name="""#)?.named["name"] == "")
    }

    @Test("malformed lines are BAD_REQUEST", arguments: [
        #"X name="unterminated"#, #"X "abc"def"#, #"X ab"c"#, #"X "bad \n escape""#, #"X name="a"b"#, "k=v PING",
    ])
    func malformed(text: String) {
        expectCode(.badRequest, Array(text.utf8))
    }

    @Test("NUL and other control bytes, and invalid UTF-8, are BAD_REQUEST")
    func bytes() {
        expectCode(.badRequest, Array("PI".utf8) + [0] + Array("NG".utf8))
        expectCode(.badRequest, Array("PING".utf8) + [0x1b])
        expectCode(.badRequest, Array("PING".utf8) + [0x7f])
        expectCode(.badRequest, Array("AUTH ".utf8) + [0xc3, 0x28])
        expectCode(.badRequest, Array("AUTH ".utf8) + [0xff, 0xfe])
        expectCode(.badRequest, Array("AUTH a\rb".utf8))
    }

    @Test("a key given twice is BAD_ARGUMENT")
    func repeatedKey() {
        expectCode(.badArgument, Array("DROPOFF R-1 kg=1 KG=2".utf8))
    }

    @Test("UTF-8 text passes through untouched")
    func unicode() throws {
        #expect(try parse("POINT ADD CP-1 name=\"Barangay Niño Ñ 🌱\"")?.named["name"] == "Barangay Niño Ñ 🌱")
    }
}
