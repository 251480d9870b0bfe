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
    /// audit's column buffers), into any `CanonicalOutput`. `attributes` appends the count and the
    /// sorted key/value pairs (with `appendUInt32` and `appendString`), or returns false when it
    /// cannot. Returns false if `attributes` did; `out` is then incomplete.
    @inlinable
    public static func encode<Out: CanonicalOutput, Text: Collection<UInt8>>(
        into out: inout Out, seq: Int64, timeMs: Int64, kind: Text, debit: Text?, credit: Text?, amount: Int64,
        actor: Text, ref: Text?, prevHash: Hash256, attributes: (inout Out) -> Bool
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
        prevHash.withUnsafeBytes { out.append(bytes: $0) }
        return true
    }

    /// An absent value encodes as the empty string.
    @inlinable
    static func appendOptionalString<Out: CanonicalOutput, Text: Collection<UInt8>>(_ text: Text?, to out: inout Out) {
        if let text { appendString(text, to: &out) } else { appendUInt32(0, to: &out) }
    }

    @inlinable
    public static func appendInt64<Out: CanonicalOutput>(_ value: Int64, to out: inout Out) {
        out.append(bigEndian: UInt64(bitPattern: value))
    }

    @inlinable
    public static func appendUInt32<Out: CanonicalOutput>(_ value: UInt32, to out: inout Out) {
        out.append(bigEndian: value)
    }

    @inlinable
    public static func appendString<Out: CanonicalOutput, Text: Collection<UInt8>>(_ utf8: Text, to out: inout Out) {
        appendUInt32(UInt32(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }
}

/// Where canonical bytes go: a growable array when an entry is sealed, or memory an audit set
/// aside for a row (which it then hashes in place).
public protocol CanonicalOutput {
    mutating func append(_ byte: UInt8)
    mutating func append(bytes: UnsafeRawBufferPointer)
    mutating func append<Text: Collection<UInt8>>(contentsOf text: Text)
    /// The integer's bytes, most significant first (`FixedWidthInteger.bigEndian`).
    mutating func append(bigEndian value: UInt64)
    mutating func append(bigEndian value: UInt32)
}

extension CanonicalOutput {
    @inlinable
    public mutating func append(bigEndian value: UInt64) {
        // In one append (one capacity check, not eight).
        withUnsafeBytes(of: value.bigEndian) { append(bytes: $0) }
    }

    @inlinable
    public mutating func append(bigEndian value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { append(bytes: $0) }
    }
}

extension Array: CanonicalOutput where Element == UInt8 {
    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) { append(contentsOf: bytes) }
}
