import LedgerCrypto

/// The two hashes of an RFC 6962 (§2.1) Merkle tree, over the journal: leaf i is
/// SHA-256(0x00 ‖ hash of entry i+1), an interior node SHA-256(0x01 ‖ left ‖ right). The domain
/// bytes keep a leaf from ever being read as a node.
public enum MerkleHash {
    /// The root of the empty tree: SHA-256 of nothing.
    public static let empty = Hash256(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")!

    public static func leaf(_ entryHash: Hash256) throws(CryptoError) -> Hash256 {
        try SHA256.digest([0x00] + entryHash.bytes)
    }

    /// A leaf over arbitrary data (the test vectors of RFC 6962 hash byte strings, not entry hashes).
    public static func leaf(data: [UInt8]) throws(CryptoError) -> Hash256 {
        try SHA256.digest([0x00] + data)
    }

    public static func node(_ left: Hash256, _ right: Hash256) throws(CryptoError) -> Hash256 {
        try SHA256.digest([0x01] + left.bytes + right.bytes)
    }
}
