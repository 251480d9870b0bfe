import LedgerCore
import LedgerCrypto
import Testing

@Suite("Canonical encoding")
struct CanonicalEncodingTests {
    let actor = Actor(unchecked: "a")

    func encode(_ body: EntryBody, seq: Int64 = 1, time: Int64 = 0) -> [UInt8] {
        CanonicalEncoding.encode(seq: seq, timeMs: time, body: body, prevHash: .zero)
    }

    @Test("moving a boundary between two fields changes the bytes")
    func lengthPrefixes() {
        let a = EntryBody(kind: .redemption, debit: AccountID(unchecked: "ab"), credit: AccountID(unchecked: "c"), amount: Points(centipoints: 1),
                          actor: actor, ref: ClientRef(unchecked: "r"))
        let b = EntryBody(kind: .redemption, debit: AccountID(unchecked: "a"), credit: AccountID(unchecked: "bc"), amount: Points(centipoints: 1),
                          actor: actor, ref: ClientRef(unchecked: "r"))
        #expect(encode(a) != encode(b))
        let c = EntryBody(kind: .pointAdded, actor: actor, attributes: ["name": "ab", "point": "c"])
        let d = EntryBody(kind: .pointAdded, actor: actor, attributes: ["name": "a", "point": "bc"])
        #expect(encode(c) != encode(d))
        let e = EntryBody(kind: .pointAdded, actor: actor, attributes: ["nam": "eab"])
        let f = EntryBody(kind: .pointAdded, actor: actor, attributes: ["name": "ab"])
        #expect(encode(e) != encode(f))
    }

    @Test("every field is covered: changing any one changes the bytes")
    func everyFieldCovered() {
        let base = EntryBody(kind: .dropoff, debit: .issuance, credit: AccountID(unchecked: "R-1"), amount: Points(centipoints: 5),
                             actor: actor, ref: ClientRef(unchecked: "r"), attributes: ["grams": "1"])
        let variants = [
            EntryBody(kind: .donation, debit: base.debit, credit: base.credit, amount: base.amount, actor: actor, ref: base.ref, attributes: base.attributes),
            EntryBody(kind: .dropoff, debit: .forfeit, credit: base.credit, amount: base.amount, actor: actor, ref: base.ref, attributes: base.attributes),
            EntryBody(kind: .dropoff, debit: base.debit, credit: AccountID(unchecked: "R-2"), amount: base.amount, actor: actor, ref: base.ref, attributes: base.attributes),
            EntryBody(kind: .dropoff, debit: base.debit, credit: base.credit, amount: Points(centipoints: 6), actor: actor, ref: base.ref, attributes: base.attributes),
            EntryBody(kind: .dropoff, debit: base.debit, credit: base.credit, amount: base.amount, actor: Actor(unchecked: "b"), ref: base.ref, attributes: base.attributes),
            EntryBody(kind: .dropoff, debit: base.debit, credit: base.credit, amount: base.amount, actor: actor, ref: nil, attributes: base.attributes),
            EntryBody(kind: .dropoff, debit: base.debit, credit: base.credit, amount: base.amount, actor: actor, ref: base.ref, attributes: ["grams": "2"]),
            EntryBody(kind: .dropoff, debit: base.debit, credit: base.credit, amount: base.amount, actor: actor, ref: base.ref, attributes: [:]),
        ]
        let original = encode(base)
        for variant in variants { #expect(encode(variant) != original) }
        #expect(encode(base, seq: 2) != original)
        #expect(encode(base, time: 1) != original)
        #expect(CanonicalEncoding.encode(seq: 1, timeMs: 0, body: base, prevHash: Hash256(hex: String(repeating: "1", count: 64))!) != original)
    }

    @Test("the layout is version, seq, time, strings with 4-byte lengths, sorted attributes, prev_hash")
    func layout() {
        let body = EntryBody(kind: .pointClosed, actor: Actor(unchecked: "x"), attributes: ["point": "P"])
        let bytes = encode(body, seq: 258, time: -1)
        var expected: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 1, 2]           // version, seq 258
        expected += [UInt8](repeating: 0xff, count: 8)                // time -1
        expected += [0, 0, 0, 12] + Array("point_closed".utf8)        // kind
        expected += [0, 0, 0, 0, 0, 0, 0, 0]                          // debit, credit empty
        expected += [UInt8](repeating: 0, count: 8)                   // amount 0
        expected += [0, 0, 0, 1] + Array("x".utf8) + [0, 0, 0, 0]     // actor, ref empty
        expected += [0, 0, 0, 1] + [0, 0, 0, 5] + Array("point".utf8) + [0, 0, 0, 1] + Array("P".utf8)
        expected += [UInt8](repeating: 0, count: 32)                  // prev_hash
        #expect(bytes == expected)
    }

    @Test("attributes are ordered by the bytes of their keys, whatever order they were given in")
    func attributeOrder() {
        let body = EntryBody(kind: .materialSet, actor: actor, attributes: ["rate": "1", "Name": "x", "min_grams": "2", "name": "y"])
        let bytes = encode(body)
        let keys = ["Name", "min_grams", "name", "rate"].map { Array($0.utf8) }
        var last = 0
        for key in keys {
            let position = bytes.indices.first { index in index > last && bytes[index...].starts(with: key) }
            #expect(position != nil)
            last = position ?? last
        }
    }

    @Test("SHA-256 through EVP matches the FIPS 180-2 vector for \"abc\"")
    func sha256() throws {
        #expect(try SHA256.digest(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let hasher = try SHA256.Hasher()
        #expect(try hasher.digest(Array("a".utf8), Array("bc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try hasher.digest([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

@Suite("Reading canonical bytes back")
struct CanonicalDecodingTests {
    static func entry(_ attributes: EntryAttributes, debit: String = "sys:issuance") -> Entry {
        let body = EntryBody(kind: .dropoff, debit: AccountID(unchecked: debit), credit: AccountID(unchecked: "R-1"),
                             amount: Points(centipoints: 4500), actor: .example, ref: ClientRef(unchecked: "k-1"), attributes: attributes)
        let prev = Hash256(bytes: [UInt8](repeating: 7, count: 32))!
        let canonical = CanonicalEncoding.encode(seq: 8, timeMs: 1_767_225_600_000, body: body, prevHash: prev)
        return Entry(seq: 8, timeMs: 1_767_225_600_000, body: body, prevHash: prev, hash: try! SHA256.digest(prev.bytes + canonical))
    }

    @Test("an entry's canonical bytes decode to the same entry and hash, and read like a drop-off")
    func roundTrip() throws {
        let original = Self.entry(["point": "CP-1", "material": "PET", "grams": "2500", "rate": "1800"])
        let decoded = try CanonicalDecoding.decode(original.canonicalBytes)
        #expect(decoded.hash == original.hash && decoded.canonicalBytes == original.canonicalBytes)
        #expect(EntryDescription.describe(decoded) == "seq 8, 2026-01-01 00:00 UTC: drop-off of 2.5 kg PET at CP-1, 45.00 points to R-1")
    }

    @Test("bytes holding what the ledger never writes are refused: control characters, invalid ids, trailing bytes")
    func refusals() {
        #expect(throws: LedgerError.self) { try CanonicalDecoding.decode(Self.entry(["point": "\u{1B}[2K\rR-0001"]).canonicalBytes) }
        #expect(throws: LedgerError.self) { try CanonicalDecoding.decode(Self.entry(["point": "CP-1"], debit: "bad id").canonicalBytes) }
        #expect(throws: LedgerError.self) { try CanonicalDecoding.decode(Self.entry(["point": "CP-1"]).canonicalBytes + [0]) }
        #expect(throws: LedgerError.self) { try CanonicalDecoding.decode(Array(Self.entry(["point": "CP-1"]).canonicalBytes.dropLast())) }
    }
}
