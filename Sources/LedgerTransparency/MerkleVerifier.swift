import LedgerCrypto

/// Checks RFC 6962 proofs as RFC 9162 §2.1.3.2 and §2.1.4.2 say: what a resident's or a
/// witness's verifier runs, with nothing but the proof, the sizes and the roots.
public enum MerkleVerifier {
    /// Whether `proof` shows `leaf` at `index` in the tree of `size` leaves with root `root`.
    public static func verifyInclusion(leaf: Hash256, index: Int64, size: Int64, proof: [Hash256], root: Hash256) throws -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leaf
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = try MerkleHash.node(p, r)
                while fn & 1 == 0, fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = try MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Whether `proof` shows the tree of `old` leaves with root `oldRoot` is a prefix of the tree
    /// of `new` leaves with root `newRoot`.
    public static func verifyConsistency(old: Int64, new: Int64, oldRoot: Hash256, newRoot: Hash256, proof: [Hash256]) throws -> Bool {
        guard old >= 0, old <= new else { return false }
        if old == new { return proof.isEmpty && oldRoot == newRoot }
        if old == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if old & (old - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = old - 1, sn = new - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = try MerkleHash.node(c, fr)
                sr = try MerkleHash.node(c, sr)
                while fn & 1 == 0, fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = try MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}
