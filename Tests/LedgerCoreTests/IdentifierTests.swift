import LedgerCore
import LedgerCrypto
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
        let direct = try LedgerCryptoProbe.pbkdf2(password: "passwd", salt: "salt", iterations: 1)
        #expect(direct == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test("HMAC-SHA256 matches RFC 4231 test case 2")
    func hmacVector() throws {
        let mac = try HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("a PIN record is PBKDF2 of the PIN, keyed by HMAC with the server's key when there is one")
    func recordConstruction() throws {
        let salt = Array("salt".utf8)
        let stretched = try PBKDF2.sha256(password: Array("1234".utf8), salt: salt, iterations: 2)
        let plain = try PINRecord.make(for: PIN("1234"), salt: salt, iterations: 2)
        #expect(plain.text == "pbkdf2-sha256$2$\(Hex.encode(salt))$\(Hex.encode(stretched))")
        let keyBytes = [UInt8](repeating: 7, count: 32)
        let keyed = try PINRecord.make(for: PIN("1234"), salt: salt, iterations: 2, key: PINKey(bytes: keyBytes))
        #expect(keyed.text == "pbkdf2-sha256-keyed$2$\(Hex.encode(salt))$\(Hex.encode(try HMAC.sha256(key: keyBytes, message: stretched)))")
        #expect(PINRecord(text: keyed.text) == keyed)
        #expect(try keyed.matches(PIN("1234"), key: PINKey(bytes: keyBytes)))
        #expect(try !keyed.matches(PIN("1234"), key: PINKey(bytes: [UInt8](repeating: 8, count: 32))), "another key confirms nothing")
        #expect(throws: LedgerError.self) { try keyed.matches(PIN("1234")) }
    }

    @Test("free text refuses control characters and over-long values")
    func freeText() throws {
        #expect(try FreeText.validate("Juan dela Cruz", argument: "name") == "Juan dela Cruz")
        #expect(throws: LedgerError.self) { try FreeText.validate("", argument: "name") }
        #expect(throws: LedgerError.self) { try FreeText.validate("a\nb", argument: "name") }
        // Every control character, ASCII's and the C1 set, is refused; nothing else below 0x100 is.
        for value in UInt32(0)...0xFF {
            let text = "a" + String(Character(Unicode.Scalar(value)!)) + "b"
            let isControl = value < 0x20 || (0x7F...0x9F).contains(value)
            #expect((try? FreeText.validate(text, argument: "name")) == (isControl ? nil : text), "U+\(String(value, radix: 16))")
        }
        #expect(try FreeText.validate("Juan dela Cruz · Barangay Holy Spirit 🌱", argument: "name") == "Juan dela Cruz · Barangay Holy Spirit 🌱")
        #expect(throws: LedgerError.self) { try FreeText.validate(String(repeating: "é", count: 101), argument: "name") }
    }

    @Test("isFixed answers as the set of fixed actors does, and no token id is fixed")
    func fixedActors() {
        let candidates = Actor.fixed.map(\.rawValue) + ["tok-op", "ecoledgerd2", "Demo", "generato", "residents", "example ", "sys:issuance",
                                                        "ecoledger", "admin", "server", "witness", "auditor", ""]
        for text in candidates {
            let actor = Actor(unchecked: text)
            #expect(actor.isFixed == Actor.fixed.contains(actor), "\(text.debugDescription)")
        }
        #expect(candidates.filter { Actor(unchecked: $0).isFixed }.count == Actor.fixed.count)
    }
}
