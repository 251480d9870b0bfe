import Foundation
import LedgerCrypto

/// A receipt for one entry, as a c2sp.org/tlog-proof@v1 file (`.tlog-proof`):
///
///     c2sp.org/tlog-proof@v1
///     extra BASE64(the entry's canonical bytes)
///     index SEQ-1
///     BASE64(hash) …           the RFC 6962 inclusion proof, leaf's sibling first
///
///     the signed checkpoint (with witness cosignatures)
///
/// The `extra` line lets a verifier recompute the entry's hash (its canonical bytes end in the
/// previous hash, and hash = SHA-256(previous hash ‖ canonical bytes)) and show what it says.
public struct InclusionReceipt: Sendable, Equatable {
    public static let header = "c2sp.org/tlog-proof@v1"

    /// The entry's canonical bytes (the `extra` line); nil in a proof file made elsewhere.
    public let canonicalBytes: [UInt8]?
    public let index: Int64
    public let proof: [Hash256]
    public let checkpoint: SignedNote

    public init(canonicalBytes: [UInt8]?, index: Int64, proof: [Hash256], checkpoint: SignedNote) {
        self.canonicalBytes = canonicalBytes
        self.index = index
        self.proof = proof
        self.checkpoint = checkpoint
    }

    public var encoded: String {
        var out = "\(Self.header)\n"
        if let canonicalBytes { out += "extra \(Data(canonicalBytes).base64EncodedString())\n" }
        out += "index \(index)\n"
        for hash in proof { out += Data(hash.bytes).base64EncodedString() + "\n" }
        return out + "\n" + checkpoint.encoded
    }

    public init(parsing text: String) throws(NoteError) {
        var rest = Substring(text)
        func line() throws(NoteError) -> Substring {
            guard let newline = rest.firstIndex(of: "\n") else { throw .malformed("the receipt ends early") }
            defer { rest = rest[rest.index(after: newline)...] }
            return rest[..<newline]
        }
        guard try line() == Self.header else { throw .malformed("a receipt starts with \(Self.header)") }
        var next = try line()
        var extra: [UInt8]?
        if next.hasPrefix("extra ") {
            guard let data = Base64.decode(String(next.dropFirst(6))) else { throw .malformed("the extra line is base64") }
            extra = data
            next = try line()
        }
        guard next.hasPrefix("index "), let index = Int64(next.dropFirst(6)), index >= 0, String(index) == next.dropFirst(6) else {
            throw .malformed("the index line is `index N`")
        }
        var proof: [Hash256] = []
        while true {
            let hashLine = try line()
            if hashLine.isEmpty { break }
            guard let data = Base64.decode(String(hashLine)), let hash = Hash256(bytes: data) else {
                throw .malformed("a proof line is the base64 of 32 bytes")
            }
            proof.append(hash)
        }
        self.init(canonicalBytes: extra, index: index, proof: proof, checkpoint: try SignedNote(parsing: String(rest)))
    }

    /// The entry's hash: SHA-256(previous hash ‖ canonical bytes), the previous hash being the
    /// last 32 bytes of the canonical bytes.
    public func entryHash() throws -> Hash256 {
        guard let canonicalBytes else { throw NoteError.malformed("the receipt does not carry its entry (no extra line)") }
        guard canonicalBytes.count > Hash256.byteCount else { throw NoteError.malformed("the entry bytes are too short") }
        return try SHA256.digest(Array(canonicalBytes.suffix(Hash256.byteCount)) + canonicalBytes)
    }

    /// Checks the log's signature and the inclusion proof of `leaf` (by default, the leaf of the
    /// entry in the extra line); returns the checkpoint.
    public func verify(logKey: NoteKey, leaf: Hash256? = nil) throws -> Checkpoint {
        let (checkpoint, _) = try Checkpoint.open(checkpoint.encoded, logKey: logKey)
        guard index < checkpoint.size else { throw NoteError.unverified("entry \(index + 1) is beyond the checkpoint's \(checkpoint.size) entries") }
        guard try MerkleVerifier.verifyInclusion(leaf: leaf ?? MerkleHash.leaf(entryHash()), index: index, size: checkpoint.size,
                                                 proof: proof, root: checkpoint.root) else {
            throw NoteError.unverified("the inclusion proof does not lead to the checkpoint's root")
        }
        return checkpoint
    }
}
