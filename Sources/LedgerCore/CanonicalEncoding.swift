import LedgerCrypto

/// The byte string that an entry's hash covers, version 1 (specified in docs/LEDGER.md).
///
/// Deterministic and unambiguous: integers are fixed-width big-endian, every string is
/// length-prefixed, attributes are sorted by key, and the first byte is the version. Two
/// different entries never encode to the same bytes, and an independent verifier can
/// rebuild the bytes from the exported fields alone.
public enum CanonicalEncoding {
    public static let version: UInt8 = 1

    public static func encode(seq: Int64, timeMs: Int64, body: EntryBody, prevHash: Hash256) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + body.attributes.count * 24)
        _ = encode(into: &out, seq: seq, timeMs: timeMs, kind: body.kind.rawValue.utf8, debit: body.debit?.rawValue.utf8,
               credit: body.credit?.rawValue.utf8, amount: body.amount.centipoints, actor: body.actor.rawValue.utf8,
               ref: body.ref?.rawValue.utf8, prevHash: prevHash) { out in
            appendUInt32(UInt32(body.attributes.count), to: &out)
            for pair in body.attributes.pairs {
                appendString(pair.key.utf8, to: &out)
                appendString(pair.value.utf8, to: &out)
            }
            return true
        }
        return out
    }

    /// The layout itself, over the fields' UTF-8 bytes wherever they are (Swift strings, or an
    /// audit's column buffers). `attributes` appends the count and the sorted key/value pairs
    /// (with `appendUInt32` and `appendString`), or returns false when it cannot.
    /// Returns false if `attributes` did; `out` is then incomplete.
    @inlinable
    public static func encode<Text: Collection<UInt8>>(
        into out: inout [UInt8], seq: Int64, timeMs: Int64, kind: Text, debit: Text?, credit: Text?, amount: Int64,
        actor: Text, ref: Text?, prevHash: Hash256, attributes: (inout [UInt8]) -> Bool
    ) -> Bool {
        out.append(version)
        appendInt64(seq, to: &out)
        appendInt64(timeMs, to: &out)
        appendString(kind, to: &out)
        appendOptionalString(debit, to: &out)
        appendOptionalString(credit, to: &out)
        appendInt64(amount, to: &out)
        appendString(actor, to: &out)
        appendOptionalString(ref, to: &out)
        guard attributes(&out) else { return false }
        prevHash.withUnsafeBytes { out.append(contentsOf: $0) }
        return true
    }

    /// An absent value encodes as the empty string.
    @inlinable
    static func appendOptionalString<Text: Collection<UInt8>>(_ text: Text?, to out: inout [UInt8]) {
        if let text { appendString(text, to: &out) } else { appendUInt32(0, to: &out) }
    }

    @inlinable
    public static func appendInt64(_ value: Int64, to out: inout [UInt8]) {
        // Big-endian, in one append (one capacity check, not eight).
        withUnsafeBytes(of: UInt64(bitPattern: value).bigEndian) { out.append(contentsOf: $0) }
    }

    @inlinable
    public static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    @inlinable
    public static func appendString<Text: Collection<UInt8>>(_ utf8: Text, to out: inout [UInt8]) {
        appendUInt32(UInt32(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }
}
