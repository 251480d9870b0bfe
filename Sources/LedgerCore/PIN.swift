import LedgerCrypto

/// A resident's PIN as typed: 4 to 8 ASCII digits. It is never stored; only a `PINRecord` is.
public struct PIN: Sendable {
    let digits: String

    public init(_ text: String) throws(LedgerError) {
        let utf8 = text.utf8
        guard (4...8).contains(utf8.count), utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .invalid("pin", "a PIN is 4 to 8 digits")
        }
        digits = text
    }
}

/// A salted PBKDF2-HMAC-SHA256 hash of a PIN, stored as
/// `pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX` so the cost can change without a migration.
///
/// The journal never holds this record: it holds `digest`, the SHA-256 of the record text,
/// so an exported ledger gives nothing to brute-force yet an audit can still check the
/// stored record against the journal.
public struct PINRecord: Hashable, Sendable {
    /// Default PBKDF2 cost. A 4-8 digit PIN cannot resist an offline search whatever the cost;
    /// the real defences are the salt, the lock after 5 wrong tries, and the journal holding
    /// only a digest. This keeps a check near 10 ms on the reference machine.
    public static let defaultIterations = 20_000
    static let prefix = "pbkdf2-sha256"

    public let iterations: Int
    public let salt: [UInt8]
    public let hash: [UInt8]

    /// Hashes `pin` with a fresh 16-byte random salt.
    public static func make(for pin: PIN, iterations: Int = defaultIterations) throws -> PINRecord {
        try make(for: pin, salt: SecureRandom.bytes(16), iterations: iterations)
    }

    /// Hashes `pin` with the given salt (deterministic; tests replay from a seed).
    public static func make(for pin: PIN, salt: [UInt8], iterations: Int) throws -> PINRecord {
        let hash = try PBKDF2.sha256(password: Array(pin.digits.utf8), salt: salt, iterations: iterations)
        return PINRecord(iterations: iterations, salt: salt, hash: hash)
    }

    init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// Parses the stored text form; nil if it is not one.
    public init?(text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.prefix, let iterations = Int(parts[1]), iterations > 0,
              iterations <= Int(Int32.max), let salt = Hex.decode(parts[2]), let hash = Hex.decode(parts[3]),
              !salt.isEmpty, hash.count == 32
        else { return nil }
        self.init(iterations: iterations, salt: salt, hash: hash)
    }

    public var text: String { "\(Self.prefix)$\(iterations)$\(Hex.encode(salt))$\(Hex.encode(hash))" }

    /// What the journal records: SHA-256 of `text`.
    public var digest: Hash256 {
        get throws { try SHA256.digest(Array(text.utf8)) }
    }

    /// Whether `pin` hashes to this record, compared in constant time.
    public func matches(_ pin: PIN) throws -> Bool {
        let candidate = try PBKDF2.sha256(password: Array(pin.digits.utf8), salt: salt, iterations: iterations)
        return ConstantTime.equal(candidate, hash)
    }
}
