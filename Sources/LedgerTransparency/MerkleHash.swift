import LedgerCrypto

/// The two hashes of an RFC 6962 (§2.1) Merkle tree, over the journal: leaf i is
/// SHA-256(0x00 ‖ hash of entry i+1), an interior node SHA-256(0x01 ‖ left ‖ right). The domain
/// bytes keep a leaf from ever being read as a node.
public enum MerkleHash {
    /// The root of the empty tree: SHA-256 of nothing.
    public static let empty = Hash256(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")!

    /// `hasher`: a context to reuse (an audit hashes two tree nodes per entry); a fresh one
    /// for each hash when nil.
    public static func leaf(_ entryHash: Hash256, using hasher: SHA256.Hasher? = nil) throws(CryptoError) -> Hash256 {
        try hash(0x00, entryHash, using: hasher)
    }

    /// A leaf over arbitrary data (the test vectors of RFC 6962 hash byte strings, not entry hashes).
    public static func leaf(data: [UInt8]) throws(CryptoError) -> Hash256 {
        try SHA256.digest([0x00] + data)
    }

    public static func node(_ left: Hash256, _ right: Hash256, using hasher: SHA256.Hasher? = nil) throws(CryptoError) -> Hash256 {
        try hash(0x01, left, right, using: hasher)
    }

    /// SHA-256 of the domain byte and the hashes, assembled on the stack (an audit hashes two
    /// tree nodes per entry; none of them allocates).
    private static func hash(_ domain: UInt8, _ first: Hash256, _ second: Hash256? = nil, using hasher: SHA256.Hasher?) throws(CryptoError) -> Hash256 {
        try withUnsafeTemporaryAllocation(byteCount: 1 + 2 * Hash256.byteCount, alignment: 8) { buffer throws(CryptoError) in
            buffer[0] = domain
            first.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            var count = 33
            if let second {
                second.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0) }
                count = 65
            }
            let input = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            if let hasher { return try hasher.digest(raw: input) }
            return try SHA256.digest(raw: input)
        }
    }
}
