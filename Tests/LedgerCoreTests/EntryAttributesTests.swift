import LedgerCore
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

    @Test("a repeated key is refused")
    func repeatedKey() {
        #expect(EntryAttributes(pairs: [("a", "1"), ("b", "2"), ("a", "1")]) == nil)
        #expect(EntryAttributes(pairs: [(String, String)]())?.isEmpty == true)
    }
}
