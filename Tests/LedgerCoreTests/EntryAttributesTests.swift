@testable import LedgerCore
import Testing

@Suite("Entry attributes")
struct EntryAttributesTests {
    @Test("kept sorted by key in byte order, whichever way they were made")
    func sorted() {
        let literal: EntryAttributes = ["rate": "1800", "B": "x", "grams": "1500", "a": "y"]
        #expect(literal.keys == ["B", "a", "grams", "rate"], "uppercase sorts before lowercase, as bytes")
        #expect(EntryAttributes(["rate": "1800", "B": "x", "grams": "1500", "a": "y"]) == literal)
        #expect(EntryAttributes(pairs: [("grams", "1500"), ("a", "y"), ("rate", "1800"), ("B", "x")]) == literal)
        #expect(literal["grams"] == "1500" && literal["point"] == nil)
        #expect(Array(literal.map(\.value)) == ["x", "y", "1500", "1800"])
    }

    @Test("setting a value replaces it, inserts a new key in its place, and nil removes it")
    func subscriptSet() {
        var attributes: EntryAttributes = ["material": "PET", "point": "CP-1"]
        attributes["rate"] = "1800"
        attributes["grams"] = "1000"
        attributes["point"] = "CP-2"
        #expect(attributes.keys == ["grams", "material", "point", "rate"])
        #expect(attributes["point"] == "CP-2")
        attributes["material"] = nil
        attributes["absent"] = nil
        #expect(attributes == ["grams": "1000", "point": "CP-2", "rate": "1800"])
        #expect(attributes.count == 3 && !attributes.isEmpty)
    }

    @Test("keys match byte for byte: two spellings of one text are two keys")
    func byteKeys() {
        let attributes = EntryAttributes(["caf\u{E9}": "composed", "grams": "5"])
        #expect(attributes["caf\u{E9}"] == "composed")
        #expect(attributes["cafe\u{301}"] == nil, "canonically equal, but other bytes")
        #expect(attributes.index(of: "grams") == 1 && attributes.index(of: "gram") == nil && attributes.index(of: "gramsx") == nil)
    }

    @Test("an integer attribute is read exactly as Int64's own spelling, and nothing else")
    func canonicalIntegers() {
        func reference(_ text: String) -> Int64? { Int64(text).flatMap { String($0) == text ? $0 : nil } }
        var texts = ["", "-", "+", "0", "-0", "00", "01", "+1", "1", "-1", " 1", "1 ", "1a", "٣", "9223372036854775807",
                     "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "99999999999999999999", "--1"]
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("-+0123456789 x")
        for _ in 0..<20_000 {
            texts.append(String((0..<Int.random(in: 0...21, using: &random)).map { _ in alphabet.randomElement(using: &random)! }))
            texts.append(String(Int64.random(in: .min ... .max, using: &random)))
        }
        for text in texts { #expect(Attributes.canonicalInteger(text) == reference(text), "\(text.debugDescription)") }
        #expect(Attributes.canonicalInteger("-9223372036854775808") == .min)
        #expect(Attributes.canonicalInteger("9223372036854775807") == .max)
    }

    @Test("a repeated key is refused")
    func repeatedKey() {
        #expect(EntryAttributes(pairs: [("a", "1"), ("b", "2"), ("a", "1")]) == nil)
        #expect(EntryAttributes(pairs: [(String, String)]())?.isEmpty == true)
    }
}
