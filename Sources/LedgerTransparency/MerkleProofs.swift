import LedgerCrypto

/// Reads the hash of a complete subtree (level, index) of a stored tree.
public protocol SubtreeHashReader {
    func subtreeHash(level: Int, index: Int64) throws -> Hash256
}

/// RFC 6962 §2.1 roots, inclusion proofs (PATH) and consistency proofs (PROOF/SUBPROOF) over a
/// stored tree. Every range the recursion needs is either a complete aligned subtree (one read)
/// or the tree's right edge (at most one such range per proof, made of O(log n) complete ones),
/// so a proof costs O(log n) reads whatever the size.
public struct MerkleProver<Reader: SubtreeHashReader> {
    let reader: Reader

    public init(_ reader: Reader) {
        self.reader = reader
    }

    /// MTH(D[0:size]).
    public func root(size: Int64) throws -> Hash256 {
        size == 0 ? MerkleHash.empty : try hash(0, size)
    }

    /// PATH(index, D[0:size]): the leaf's sibling first, the root's child last.
    public func inclusionProof(index: Int64, size: Int64) throws -> [Hash256] {
        guard index >= 0, index < size else { throw MerkleError.outOfRange("index \(index) is not below size \(size)") }
        var proof: [Hash256] = []
        try path(index, 0, size, into: &proof)
        return proof
    }

    /// PROOF(old, D[0:new]): empty when old is 0 or equals new.
    public func consistencyProof(old: Int64, new: Int64) throws -> [Hash256] {
        guard old >= 0, old <= new else { throw MerkleError.outOfRange("old size \(old) is above new size \(new)") }
        guard old > 0, old < new else { return [] }
        var proof: [Hash256] = []
        try subproof(old, 0, new, complete: true, into: &proof)
        return proof
    }

    /// MTH(D[start:end]); `start` is a multiple of the largest power of two below end - start.
    func hash(_ start: Int64, _ end: Int64) throws -> Hash256 {
        let width = end - start
        if width & (width - 1) == 0, start % width == 0 {
            return try reader.subtreeHash(level: width.trailingZeroBitCount, index: start / width)
        }
        let k = Self.split(width)
        return try MerkleHash.node(try hash(start, start + k), try hash(start + k, end))
    }

    func path(_ m: Int64, _ start: Int64, _ end: Int64, into proof: inout [Hash256]) throws {
        let width = end - start
        guard width > 1 else { return }
        let k = Self.split(width)
        if m < k {
            try path(m, start, start + k, into: &proof)
            proof.append(try hash(start + k, end))
        } else {
            try path(m - k, start + k, end, into: &proof)
            proof.append(try hash(start, start + k))
        }
    }

    func subproof(_ m: Int64, _ start: Int64, _ end: Int64, complete: Bool, into proof: inout [Hash256]) throws {
        let width = end - start
        if m == width {
            if !complete { proof.append(try hash(start, end)) }
            return
        }
        let k = Self.split(width)
        if m <= k {
            try subproof(m, start, start + k, complete: complete, into: &proof)
            proof.append(try hash(start + k, end))
        } else {
            try subproof(m - k, start + k, end, complete: false, into: &proof)
            proof.append(try hash(start, start + k))
        }
    }

    /// The largest power of two strictly below `width` (width ≥ 2).
    static func split(_ width: Int64) -> Int64 {
        Int64(1) << (63 - (width - 1).leadingZeroBitCount)
    }
}

/// A proof asked for sizes the tree does not have, or that does not verify.
public enum MerkleError: Error, Equatable, Sendable, CustomStringConvertible {
    case outOfRange(String)
    case invalidProof(String)

    public var description: String {
        switch self {
        case .outOfRange(let why), .invalidProof(let why): why
        }
    }
}
