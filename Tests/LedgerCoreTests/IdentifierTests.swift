import LedgerCore
import Testing

@Suite("Identifiers and PINs")
struct IdentifierTests {
    @Test("ids are 1 to 64 of letters, digits, . _ - :", arguments: ["R-0001", "sys:issuance", "a", "CP_1.north", String(repeating: "x", count: 64)])
    func validIDs(text: String) throws {
        #expect(try AccountID(text).rawValue == text)
    }

    @Test("anything else is refused", arguments: ["", String(repeating: "x", count: 65), "a b", "a\"b", "ñ", "a=b", "a\u{0}", "tab\t", "ＡＢ", "a/b"])
    func invalidIDs(text: String) {
        #expect(throws: LedgerError.self) { try AccountID(text) }
    }

    @Test("PINs are 4 to 8 ASCII digits", arguments: ["1234", "12345678", "0000"])
    func validPINs(text: String) throws {
        _ = try PIN(text)
    }

    @Test("other PINs are refused", arguments: ["123", "123456789", "12a4", "", "١٢٣٤", " 1234"])
    func invalidPINs(text: String) {
        #expect(throws: LedgerError.self) { try PIN(text) }
    }

    @Test("a PIN record is salted PBKDF2, round-trips through its text, and matches only its PIN")
    func pinRecord() throws {
        let a = try PINRecord.make(for: PIN("1234"), iterations: 1000)
        let b = try PINRecord.make(for: PIN("1234"), iterations: 1000)
        #expect(a.salt != b.salt, "each record has its own salt")
        #expect(a.hash != b.hash)
        let parsed = try #require(PINRecord(text: a.text))
        #expect(parsed == a)
        #expect(try parsed.matches(PIN("1234")))
        #expect(try !parsed.matches(PIN("1235")))
        #expect(PINRecord(text: "plain$1234") == nil)
        #expect(PINRecord(text: "pbkdf2-sha256$0$00$00") == nil)
    }

    @Test("PBKDF2-HMAC-SHA256 matches the RFC 7914 test vector")
    func pbkdf2Vector() throws {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64 (first 32 bytes here).
        let record = try PINRecord.make(for: PIN("1234"), salt: Array("salt".utf8), iterations: 1)
        #expect(record.iterations == 1)
        let direct = try LedgerCryptoProbe.pbkdf2(password: "passwd", salt: "salt", iterations: 1)
        #expect(direct == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test("free text refuses control characters and over-long values")
    func freeText() throws {
        #expect(try FreeText.validate("Juan dela Cruz", argument: "name") == "Juan dela Cruz")
        #expect(throws: LedgerError.self) { try FreeText.validate("", argument: "name") }
        #expect(throws: LedgerError.self) { try FreeText.validate("a\nb", argument: "name") }
        #expect(throws: LedgerError.self) { try FreeText.validate(String(repeating: "é", count: 101), argument: "name") }
    }
}
