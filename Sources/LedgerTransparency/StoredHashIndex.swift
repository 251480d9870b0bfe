/// Where each complete subtree's hash lives: one integer per (level, index), in the order the
/// hashes are created as leaves are appended (the layout of Go's golang.org/x/mod/sumdb/tlog).
///
/// The subtree at `level` and `index` covers leaves index·2^level ..< (index+1)·2^level. Appending
/// leaf n creates its level-0 hash, then one hash per level for every complete subtree it closes,
/// and they get consecutive positions: the table of hashes is append-only, an audit can stream
/// it in position order beside the journal, and any subtree is one primary-key read.
public enum StoredHashIndex {
    public static func position(level: Int, index: Int64) -> Int64 {
        var n = index
        // Level L's n-th hash is written right after level L-1's (2n+1)-th hash.
        for _ in 0..<level { n = 2 * n + 1 }
        // Level 0's n-th hash is written at n + n/2 + n/4 + … .
        var position: Int64 = 0
        while n > 0 {
            position += n
            n >>= 1
        }
        return position + Int64(level)
    }

    /// How many hashes a tree of `size` leaves stores.
    public static func count(size: Int64) -> Int64 {
        guard size > 0 else { return 0 }
        var count: Int64 = 0
        var n = size
        // Each leaf adds one hash, plus one per complete subtree it closes: 2n - popcount(n).
        while n > 0 {
            count += n
            n >>= 1
        }
        return count
    }
}
