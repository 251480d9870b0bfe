import Foundation
import LedgerCrypto

/// A tree head as c2sp.org/tlog-checkpoint writes it: the body of a signed note with three lines,
/// the log's origin, the tree size in decimal and the base64 root hash.
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: Int64
    public let root: Hash256

    public init(origin: String, size: Int64, root: Hash256) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    public var text: String {
        "\(origin)\n\(size)\n\(Data(root.bytes).base64EncodedString())\n"
    }

    /// Reads a checkpoint body (extension lines, which ecoledger never writes, are refused).
    public init(text: String) throws(NoteError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard text.hasSuffix("\n"), lines.count == 4, !lines[0].isEmpty else {
            throw .malformed("a checkpoint is three lines: origin, size, root")
        }
        guard let size = Int64(lines[1]), size >= 0, String(size) == lines[1] else {
            throw .malformed("a checkpoint's size is a decimal number without leading zeros")
        }
        guard let data = Base64.decode(String(lines[2])), let root = Hash256(bytes: data) else {
            throw .malformed("a checkpoint's root is the base64 of 32 bytes")
        }
        self.init(origin: String(lines[0]), size: size, root: root)
    }

    /// Opens a signed checkpoint: parses it and checks the log's signature.
    public static func open(_ note: String, logKey: NoteKey) throws(NoteError) -> (Checkpoint, SignedNote) {
        let signed = try SignedNote(parsing: note)
        let checkpoint = try Checkpoint(text: signed.text)
        guard checkpoint.origin == logKey.name else {
            throw .unverified("the checkpoint is for \(checkpoint.origin), not \(logKey.name)")
        }
        guard try signed.isSigned(by: logKey) else { throw .unverified("the checkpoint is not signed by \(logKey.verifierKey)") }
        return (checkpoint, signed)
    }
}

/// Witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1): a witness's Ed25519
/// signature, key type 0x04, of `cosignature/v1\ntime T\n` followed by the checkpoint body, where
/// T is when it cosigned (seconds since the epoch). The line's payload is T (8 bytes, big-endian)
/// followed by the 64-byte signature.
public enum Cosignature {
    static func message(time: UInt64, checkpointText: String) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n\(checkpointText)".utf8)
    }

    /// The signature line a witness adds to `note`.
    public static func sign(_ note: SignedNote, by witness: NoteSigner, time: UInt64) throws -> SignedNote.Signature {
        precondition(witness.key.kind == .cosignatureV1, "witness keys are cosignature/v1 keys")
        let signature = try witness.sign(message(time: time, checkpointText: note.text))
        let timestamp = (0..<8).map { UInt8(truncatingIfNeeded: time >> (56 - 8 * UInt64($0))) }
        return SignedNote.Signature(name: witness.key.name, keyID: witness.key.keyID, payload: timestamp + signature)
    }

    /// The time `witness` cosigned `note`, or nil when it did not. A line with the witness's name
    /// and key ID that does not verify is an error.
    public static func verify(_ note: SignedNote, witness: NoteKey) throws(NoteError) -> UInt64? {
        var latest: UInt64?
        // Every line with the witness's name and key ID must verify, not only the first.
        for signature in note.signatures where signature.name == witness.name && signature.keyID == witness.keyID {
            guard signature.payload.count == 8 + Ed25519.signatureCount else { throw .malformed("a cosignature is 76 bytes") }
            let time = signature.payload.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard time <= UInt64(Int64.max),
                  Ed25519.verify(publicKey: witness.publicKey, message: message(time: time, checkpointText: note.text),
                                 signature: Array(signature.payload.dropFirst(8))) else {
                throw .unverified("the cosignature of \(witness.name) does not verify")
            }
            latest = max(latest ?? 0, time)
        }
        return latest
    }
}
