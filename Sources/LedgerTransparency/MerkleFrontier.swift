import LedgerCrypto

/// The right edge of a Merkle tree: the hashes of the complete subtrees its leaves decompose into,
/// largest first (at most 64). Enough to append a leaf, to know which stored hashes it creates,
/// and to compute the root, without reading anything else.
public struct MerkleFrontier: Sendable, Equatable {
    /// Leaves so far.
    public private(set) var size: Int64 = 0
    /// (level, hash) of each complete subtree on the right edge, from the left.
    public private(set) var subtrees: [(level: Int, hash: Hash256)] = []

    public init() {}

    /// The frontier of a tree of `size` leaves, its subtree hashes read from storage.
    public init(size: Int64, reading hash: (_ level: Int, _ index: Int64) throws -> Hash256) throws {
        self.size = size
        var start: Int64 = 0
        for level in stride(from: 62, through: 0, by: -1) where size & (Int64(1) << level) != 0 {
            subtrees.append((level, try hash(level, start >> level)))
            start += Int64(1) << level
        }
    }

    public static func == (lhs: MerkleFrontier, rhs: MerkleFrontier) -> Bool {
        lhs.size == rhs.size && lhs.subtrees.elementsEqual(rhs.subtrees) { $0.level == $1.level && $0.hash == $1.hash }
    }

    /// Appends a leaf; returns the hashes to store, at their positions, in position order.
    @discardableResult
    public mutating func append(leaf: Hash256) throws(CryptoError) -> [(position: Int64, hash: Hash256)] {
        var created: [(position: Int64, hash: Hash256)] = []
        try append(leaf: leaf, using: nil, into: &created)
        return created
    }

    /// Appends a leaf, adding the hashes to store to `created`, in position order: an audit
    /// reuses one array and one `hasher` for every leaf, so nothing is allocated per entry.
    public mutating func append(leaf: Hash256, using hasher: SHA256.Hasher?,
                                into created: inout [(position: Int64, hash: Hash256)]) throws(CryptoError) {
        let index = size
        created.append((StoredHashIndex.position(level: 0, index: index), leaf))
        var hash = leaf
        var level = 0
        // Every complete subtree of the same height to the left merges with the new one.
        while let last = subtrees.last, last.level == level {
            hash = try MerkleHash.node(last.hash, hash, using: hasher)
            subtrees.removeLast()
            level += 1
            created.append((StoredHashIndex.position(level: level, index: index >> level), hash))
        }
        subtrees.append((level, hash))
        size += 1
    }

    /// The root hash of the tree so far (RFC 6962 MTH).
    public func root() throws(CryptoError) -> Hash256 {
        guard var hash = subtrees.last?.hash else { return MerkleHash.empty }
        for subtree in subtrees.dropLast().reversed() {
            hash = try MerkleHash.node(subtree.hash, hash)
        }
        return hash
    }
}
