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

/// The server's secret PIN key (a "pepper"): 32 random bytes kept in a 0600 file next to the
/// ledger, never in it. A keyed PIN record can only be checked with it, so a copy of the
/// database alone confirms no PIN, however few digits PINs have.
public struct PINKey: Sendable, Equatable {
    public static let byteCount = 32
    let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(LedgerError) {
        guard bytes.count == Self.byteCount else { throw .invalid("pin key", "must be \(Self.byteCount) bytes") }
        self.bytes = bytes
    }
}

/// A salted PBKDF2-HMAC-SHA256 hash of a PIN, keyed with the server's `PINKey`:
/// `pbkdf2-sha256-keyed$ITERATIONS$SALT_HEX$HASH_HEX`, where HASH = HMAC-SHA256(key,
/// PBKDF2-HMAC-SHA256(pin, salt, iterations)). The cost can change without a migration.
///
/// Records made without a key (`pbkdf2-sha256$…`, HASH = the PBKDF2 output itself) are those
/// of offline tools (`init --example`, `generate`) and of ledgers from before the key existed;
/// they are still checked, and setting the PIN through the server re-keys them.
///
/// The journal never holds this record: it holds `digest`, the SHA-256 of the record text,
/// so an exported ledger gives nothing to brute-force yet an audit can still check the
/// stored record against the journal.
public struct PINRecord: Hashable, Sendable {
    /// PBKDF2 cost of the records made now: a check near 0.5 ms here. Stretching cannot
    /// protect a space of 10,000 PINs (4 digits; 10^8 at 8): with the record and the key, every
    /// PIN is tried in seconds at any cost a server can pay per redemption, so what protects a PIN
    /// is the key (outside the database: the record alone confirms no guess), the lock after 5
    /// wrong tries (online guessing), and the journal holding only a digest. The 20,000 rounds
    /// used before 2026-12-05 cost every redemption 10–13 ms of the server's CPU and cost an
    /// attacker with the key about 2 minutes per 4-digit PIN instead of 5 s. Records keep their own count,
    /// so older ones still check (docs/LEDGER.md, "Why the PIN cost is low").
    public static let defaultIterations = 1_000
    static let prefix = "pbkdf2-sha256"
    static let keyedPrefix = "pbkdf2-sha256-keyed"

    public let iterations: Int
    public let salt: [UInt8]
    public let hash: [UInt8]
    /// Whether `hash` was keyed with a `PINKey`.
    public let keyed: Bool

    /// Hashes `pin` with a fresh 16-byte random salt.
    public static func make(for pin: PIN, key: PINKey? = nil, iterations: Int = defaultIterations) throws -> PINRecord {
        try make(for: pin, salt: SecureRandom.bytes(16), iterations: iterations, key: key)
    }

    /// Hashes `pin` with the given salt (deterministic; tests replay from a seed).
    public static func make(for pin: PIN, salt: [UInt8], iterations: Int, key: PINKey? = nil) throws -> PINRecord {
        let stretched = try PBKDF2.sha256(password: Array(pin.digits.utf8), salt: salt, iterations: iterations)
        guard let key else { return PINRecord(iterations: iterations, salt: salt, hash: stretched, keyed: false) }
        return PINRecord(iterations: iterations, salt: salt, hash: try HMAC.sha256(key: key.bytes, message: stretched), keyed: true)
    }

    init(iterations: Int, salt: [UInt8], hash: [UInt8], keyed: Bool) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
        self.keyed = keyed
    }

    /// Parses the stored text form; nil if it is not one.
    public init?(text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.prefix || parts[0] == Self.keyedPrefix, let iterations = Int(parts[1]), iterations > 0,
              iterations <= Int(Int32.max), let salt = Hex.decode(parts[2]), let hash = Hex.decode(parts[3]),
              !salt.isEmpty, hash.count == 32
        else { return nil }
        self.init(iterations: iterations, salt: salt, hash: hash, keyed: parts[0] == Self.keyedPrefix)
    }

    public var text: String { "\(keyed ? Self.keyedPrefix : Self.prefix)$\(iterations)$\(Hex.encode(salt))$\(Hex.encode(hash))" }

    /// What the journal records: SHA-256 of `text`.
    public var digest: Hash256 {
        get throws { try SHA256.digest(Array(text.utf8)) }
    }

    /// Whether `pin` hashes to this record, compared in constant time. A keyed record cannot
    /// be checked without the key.
    public func matches(_ pin: PIN, key: PINKey? = nil) throws -> Bool {
        let stretched = try PBKDF2.sha256(password: Array(pin.digits.utf8), salt: salt, iterations: iterations)
        guard keyed else { return ConstantTime.equal(stretched, hash) }
        guard let key else { throw LedgerError.forbidden("this PIN record is keyed and the server's PIN key is not loaded") }
        return ConstantTime.equal(try HMAC.sha256(key: key.bytes, message: stretched), hash)
    }
}
