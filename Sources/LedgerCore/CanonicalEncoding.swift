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
        out.append(version)
        appendInt64(seq, to: &out)
        appendInt64(timeMs, to: &out)
        appendString(body.kind.rawValue, to: &out)
        appendString(body.debit?.rawValue ?? "", to: &out)
        appendString(body.credit?.rawValue ?? "", to: &out)
        appendInt64(body.amount.centipoints, to: &out)
        appendString(body.actor.rawValue, to: &out)
        appendString(body.ref?.rawValue ?? "", to: &out)
        let keys = body.attributes.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        appendUInt32(UInt32(keys.count), to: &out)
        for key in keys {
            appendString(key, to: &out)
            appendString(body.attributes[key]!, to: &out)
        }
        out.append(contentsOf: prevHash.bytes)
        return out
    }

    static func appendInt64(_ value: Int64, to out: inout [UInt8]) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    static func appendString(_ text: String, to out: inout [UInt8]) {
        let utf8 = text.utf8
        appendUInt32(UInt32(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }
}
