import Foundation
import LedgerCrypto

/// A signed-note key (c2sp.org/signed-note): a name, a signature type and an Ed25519 public key.
/// Its text form, the verifier key, is `NAME+KEYID+BASE64(type ‖ public key)` with KEYID the first
/// four bytes of SHA-256(NAME ‖ 0x0A ‖ type ‖ public key), as 8 hex digits.
///
/// Type 0x01 is the log's own Ed25519 signature; 0x04 a witness's timestamped cosignature
/// (c2sp.org/tlog-cosignature).
public struct NoteKey: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: UInt8, Sendable {
        case ed25519 = 0x01
        case cosignatureV1 = 0x04
    }

    public let name: String
    public let kind: Kind
    public let publicKey: [UInt8]
    public let keyID: UInt32

    public init(name: String, kind: Kind, publicKey: [UInt8]) throws(NoteError) {
        guard Self.isValidName(name) else { throw .malformed("a key name is non-empty, without spaces or +: \(name.debugDescription)") }
        guard publicKey.count == Ed25519.publicKeyCount else { throw .malformed("an Ed25519 public key is 32 bytes") }
        self.name = name
        self.kind = kind
        self.publicKey = publicKey
        keyID = Self.keyID(name: name, kind: kind, publicKey: publicKey)
    }

    /// Parses a verifier key `NAME+KEYID+BASE64`, checking the key ID against the key.
    public init(verifierKey text: String) throws(NoteError) {
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].utf8.count == 8, let id = UInt32(parts[1], radix: 16),
              let data = Base64.decode(String(parts[2])), let type = data.first, let kind = Kind(rawValue: type)
        else { throw .malformed("not a verifier key (NAME+KEYID+BASE64 of an Ed25519 key): \(text.debugDescription)") }
        try self.init(name: String(parts[0]), kind: kind, publicKey: Array(data.dropFirst()))
        guard keyID == id else { throw .malformed("the key ID \(parts[1]) does not match the key (it is \(Self.hex8(keyID)))") }
    }

    /// `NAME+KEYID+BASE64(type ‖ public key)`.
    public var verifierKey: String {
        "\(name)+\(Self.hex8(keyID))+\(Data([kind.rawValue] + publicKey).base64EncodedString())"
    }

    public var description: String { verifierKey }

    static func keyID(name: String, kind: Kind, publicKey: [UInt8]) -> UInt32 {
        // SHA-256 cannot fail on a valid context; a failure here is a broken libcrypto.
        let digest = try! SHA256.digest(Array(name.utf8) + [0x0A, kind.rawValue] + publicKey).bytes
        return digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func hex8(_ id: UInt32) -> String {
        let digits = String(id, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Non-empty, valid text, no Unicode white space and no `+`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace || $0.properties.generalCategory == .control }
    }
}

/// A signer: an Ed25519 private key under a name (the log's origin, or a witness's name).
public struct NoteSigner: Sendable {
    public let key: NoteKey
    let privateKey: Ed25519.PrivateKey

    public init(name: String, kind: NoteKey.Kind = .ed25519, seed: [UInt8]) throws {
        privateKey = try Ed25519.PrivateKey(seed: seed)
        key = try NoteKey(name: name, kind: kind, publicKey: privateKey.publicKey)
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        try privateKey.sign(message)
    }
}

/// A signed note, checkpoint, cosignature or proof that is malformed or does not verify.
public enum NoteError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unverified(String)

    public var description: String {
        switch self {
        case .malformed(let why), .unverified(let why): why
        }
    }
}
