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
        // Contiguous storage (arrays, Data): four big-endian loads, no allocation.
        if let hash = bytes.withContiguousStorageIfAvailable({ Hash256(raw: UnsafeRawBufferPointer($0)) }) {
            self = hash!
            return
        }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for (index, byte) in bytes.enumerated() {
            switch index / 8 {
            case 0: words.0 = words.0 << 8 | UInt64(byte)
            case 1: words.1 = words.1 << 8 | UInt64(byte)
            case 2: words.2 = words.2 << 8 | UInt64(byte)
            default: words.3 = words.3 << 8 | UInt64(byte)
            }
        }
        self.init(words: words)
    }

    /// Builds a digest from exactly 32 bytes in memory; nil for any other length. Not generic, so
    /// hot loops (an audit reads two per entry) pay no generic dispatch.
    public init?(raw: UnsafeRawBufferPointer) {
        guard raw.count == Self.byteCount else { return nil }
        func word(_ index: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
        self.init(words: (word(0), word(1), word(2), word(3)))
    }

    /// Parses 64 hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// Calls `body` with the 32 bytes, most significant first, in memory (no allocation).
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var bigEndian = (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
        return try Swift.withUnsafeBytes(of: &bigEndian, body)
    }

    /// The 32 bytes, most significant first.
    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.byteCount) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
            count = Self.byteCount
        }
    }

    /// Lowercase hex, the form used in every document, reply and export.
    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }
}
