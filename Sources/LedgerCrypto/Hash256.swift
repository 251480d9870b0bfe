/// A SHA-256 digest: the unit of the hash chain (entry hashes, prev-hashes, the head).
///
/// Stored as four big-endian 64-bit words so it is a plain value: no heap allocation,
/// cheap to compare, hash and copy.
public struct Hash256: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    /// The genesis value: hash(0) is 32 zero bytes.
    public static let zero = Hash256(words: (0, 0, 0, 0))

    private var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (w0, w1, w2, w3) = words
    }

    /// Builds a digest from exactly 32 bytes; returns nil for any other length.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == Self.byteCount else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            words[index / 8] = words[index / 8] << 8 | UInt64(byte)
        }
        self.init(words: (words[0], words[1], words[2], words[3]))
    }

    /// Parses 64 hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// The 32 bytes, most significant first.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// Lowercase hex, the form used in every document, reply and export.
    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }
}
