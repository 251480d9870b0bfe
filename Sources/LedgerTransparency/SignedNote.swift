import Foundation
import LedgerCrypto

/// A signed note (c2sp.org/signed-note): text ending in a newline, a blank line, then one or more
/// signature lines `— NAME BASE64(keyID ‖ signature)`. What is signed is the text, final newline
/// included. Unknown signatures are kept and ignored, which is how witnesses' cosignatures ride
/// along with the log's own.
public struct SignedNote: Sendable, Equatable {
    public struct Signature: Sendable, Equatable {
        public let name: String
        public let keyID: UInt32
        /// The bytes after the key ID (for a cosignature: timestamp ‖ signature).
        public let payload: [UInt8]

        public init(name: String, keyID: UInt32, payload: [UInt8]) {
            self.name = name
            self.keyID = keyID
            self.payload = payload
        }

        /// The signature as the line carries it: key ID (4 bytes, big-endian) ‖ payload.
        public var bytes: [UInt8] {
            (0..<4).map { UInt8(truncatingIfNeeded: keyID >> (24 - 8 * $0)) } + payload
        }

        public var line: String {
            "— \(name) \(Base64.encode(bytes))\n"
        }
    }

    /// The signed text, ending in a newline.
    public let text: String
    public var signatures: [Signature]

    public init(text: String, signatures: [Signature] = []) {
        self.text = text
        self.signatures = signatures
    }

    /// The note as it is sent and stored.
    public var encoded: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// Parses a note; splits text from signatures at the last blank line.
    public init(parsing note: String) throws(NoteError) {
        guard !note.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw .malformed("a note holds no control characters but newlines")
        }
        guard let split = note.range(of: "\n\n", options: .backwards) else { throw .malformed("a note has a blank line before its signatures") }
        text = String(note[..<split.lowerBound]) + "\n"
        let block = note[split.upperBound...]
        guard !block.isEmpty, block.hasSuffix("\n") else { throw .malformed("a note's signature lines end in a newline") }
        var signatures: [Signature] = []
        for line in block.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("— ") else { throw .malformed("a signature line starts with an em dash and a space") }
            let fields = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, NoteKey.isValidName(String(fields[0])), let data = Base64.decode(String(fields[1])),
                  data.count > 4 else { throw .malformed("a signature line is `— NAME BASE64`") }
            let bytes = Array(data)
            signatures.append(Signature(name: String(fields[0]), keyID: bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) },
                                        payload: Array(bytes.dropFirst(4))))
        }
        self.signatures = signatures
    }

    /// Adds `signer`'s Ed25519 signature of the text.
    public mutating func sign(with signer: NoteSigner) throws {
        signatures.append(Signature(name: signer.key.name, keyID: signer.key.keyID, payload: try signer.sign(Array(text.utf8))))
    }

    /// Whether `key` (type 0x01) signed this note. A signature line with the key's name and ID
    /// that does not verify makes the note invalid, as signed-note requires.
    public func isSigned(by key: NoteKey) throws(NoteError) -> Bool {
        var found = false
        for signature in signatures where signature.name == key.name && signature.keyID == key.keyID {
            guard Ed25519.verify(publicKey: key.publicKey, message: Array(text.utf8), signature: signature.payload) else {
                throw .unverified("the signature of \(key.name) does not verify")
            }
            found = true
        }
        return found
    }
}
