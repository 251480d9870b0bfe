import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
import LedgerHost

/// Setting up a ledger before the server accepts connections: the first administrator token,
/// and the `--demo` catalogue.
public enum Bootstrap {
    /// Why the start-up could not go on.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// What `adminToken` did.
    public enum AdminTokenOutcome: Equatable, Sendable {
        /// The ledger already had an active admin token; the file was not read.
        case alreadyPresent
        /// The secret in the file became an admin token.
        case issued(TokenID)
        /// The file did not exist: a new 256-bit secret was written to it (0600) and issued.
        case generated(TokenID)
    }

    /// At least this many bits of secret in an administrator-chosen token.
    public static let minimumTokenBits = 128

    /// When the ledger has no active admin token, the secret in `file` becomes one; when `file`
    /// does not exist, a new secret is generated and written to it (mode 0600). The secret is
    /// never logged. A chosen secret must carry at least 128 bits (`secretBits`).
    public static func adminToken(from file: String, store: any LedgerDatabase) throws -> AdminTokenOutcome {
        guard try !store.read({ try $0.tokens() }).contains(where: { $0.role == .admin && !$0.revoked }) else { return .alreadyPresent }
        guard FileManager.default.fileExists(atPath: file) else {
            let secret = Hex.encode(try SecureRandom.bytes(32))
            try SecretFile.create(file, contents: Array((secret + "\n").utf8))
            return .generated(try issue(.admin, secret: secret, store: store))
        }
        guard let secret = try adminTokenSecret(in: file) else { throw Failure(description: "cannot read the admin token file \(file)") }
        // A secret that was ever issued must not come back: if its token was revoked, it
        // stays revoked whatever file holds it.
        let hash = try SHA256.digest(Array(secret.utf8))
        if let earlier = try store.read({ try $0.tokens() }).first(where: { $0.secretHash == hash }) {
            throw Failure(description: "the secret in \(file) belongs to token \(earlier.id)\(earlier.revoked ? ", which was revoked" : "")"
                          + "; put a new secret in the file, or remove it and ecoledgerd writes one")
        }
        return .issued(try issue(.admin, secret: secret, store: store))
    }

    /// The secret in an existing admin token file, checked as `adminToken` would check it (owner
    /// only, at least 128 bits); nil when there is no file. ecoledgerd asks this before it
    /// creates or changes anything, so a weak or exposed token leaves nothing behind.
    public static func adminTokenSecret(in file: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        try refuseIfOthersCanRead(file)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Failure(description: "cannot read the admin token file \(file)")
        }
        let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let bits = secretBits(secret)
        guard bits >= minimumTokenBits else {
            throw Failure(description: "the admin token in \(file) carries about \(bits) bits of secret; at least \(minimumTokenBits) are needed "
                          + "(32 hex digits, e.g. from `openssl rand -hex 16`), or remove the file and ecoledgerd writes a new one")
        }
        return secret
    }

    /// An upper bound on the bits of secret in `text`: its length times the bits per
    /// character of the smallest usual alphabet that holds it (hex 4, base64 6, printable
    /// ASCII 6.5). 0 for text with spaces, controls or non-ASCII characters, which are refused.
    ///
    /// Text that is obviously not random counts as 0: fewer than 8 different characters
    /// (`000…`, `aaaa…`, `passwordpassword…`), or a shorter piece repeated.
    public static func secretBits(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return 0 }
        guard Set(bytes).count >= 8 else { return 0 }
        for period in 1...max(1, bytes.count / 2) where bytes.count % period == 0 && period < bytes.count {
            if (period..<bytes.count).allSatisfy({ bytes[$0] == bytes[$0 - period] }) { return 0 }
        }
        func isHex(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) || (0x41...0x46).contains(byte) }
        func isBase64(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || "+/-_=".utf8.contains(byte)
        }
        if bytes.allSatisfy(isHex) { return bytes.count * 4 }
        if bytes.allSatisfy(isBase64) { return bytes.count * 6 }
        return bytes.count * 13 / 2
    }

    /// The server's PIN key from `file` (64 hex digits). When the file does not exist it is
    /// created (0600) with a new random key, unless the ledger already holds keyed PIN records:
    /// then the key is lost, and a new one would lock every resident out, so start-up stops.
    /// `replacingLost`: create a new key even so (`--new-pin-key`); residents whose PIN was
    /// keyed with the lost key then need a new PIN (`ACCOUNT PIN`).
    public static func pinKey(file: String, store: any LedgerDatabase, replacingLost: Bool = false) throws -> (key: PINKey, created: Bool) {
        guard FileManager.default.fileExists(atPath: file) else {
            guard try replacingLost || !store.read({ try $0.hasKeyedPINRecords() }) else {
                throw Failure(description: "the PIN key file \(file) is missing, but the ledger holds PIN records made with it; "
                              + "restore it from your backup (docs/OPERATIONS.md, \"Resident PINs\"), or start once with --new-pin-key "
                              + "and give those residents new PINs")
            }
            let bytes = try SecureRandom.bytes(PINKey.byteCount)
            try SecretFile.create(file, contents: Array((Hex.encode(bytes) + "\n").utf8))
            return (try PINKey(bytes: bytes), true)
        }
        return (try readPINKey(file), false)
    }

    /// The PIN key in an existing `file`: owner-only, 64 hex digits.
    public static func readPINKey(_ file: String) throws -> PINKey {
        try refuseIfOthersCanRead(file)
        guard let data = FileManager.default.contents(atPath: file),
              let bytes = Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              bytes.count == PINKey.byteCount else {
            throw Failure(description: "\(file) does not hold a PIN key (\(PINKey.byteCount * 2) hex digits)")
        }
        return try PINKey(bytes: bytes)
    }

    private static func refuseIfOthersCanRead(_ file: String) throws {
        if SecretFile.isExposed(file) {
            throw Failure(description: "\(file) holds a secret and others on this machine may read or change it; run: chmod 600 \(file)")
        }
    }

    /// Issues a token whose secret is given (the first admin token, the demo's tokens).
    @discardableResult
    public static func issue(_ role: Role, point: PointID? = nil, merchant: AccountID? = nil, secret: String, store: any LedgerDatabase) throws -> TokenID {
        let id = try TokenID("tok-\(role.rawValue)-" + Hex.encode(SecureRandom.bytes(4)))
        _ = try store.submitOne(LedgerRequest(actor: .server, command: .issueToken(
            id: id, role: role, point: point, merchant: merchant, secretHash: SHA256.digest(Array(secret.utf8)))))
        return id
    }
}
