import LedgerCrypto

/// A resident's personal data (name and district), kept outside the journal so that it can be
/// erased: the Data Privacy Act gives residents that right, and an append-only journal cannot
/// forget anything it holds.
///
/// The journal holds only `digest`, a salted commitment: the SHA-256 of `text`, which starts
/// with 16 random bytes, so a guessed name and district cannot be confirmed against it. The
/// audit recomputes the digest from the stored profile, so the profile cannot be changed
/// quietly either; once `account_erased` is journaled the profile is gone for good and the
/// audit expects it to be.
public struct Profile: Hashable, Sendable {
    public static let saltCount = 16
    static let header = "ecoledger-profile-v1"

    public let salt: [UInt8]
    public let name: String
    public let district: String?

    /// Validates the texts as free text and the salt's length.
    public init(name: String, district: String?, salt: [UInt8]) throws(LedgerError) {
        guard salt.count == Self.saltCount else { throw .invalid("salt", "a profile's salt is \(Self.saltCount) bytes") }
        self.name = try FreeText.validate(name, argument: "name")
        self.district = try district.map { text throws(LedgerError) in try FreeText.validate(text, argument: "district") }
        self.salt = salt
    }

    /// A profile with a fresh random salt.
    public static func make(name: String, district: String?) throws -> Profile {
        try Profile(name: name, district: district, salt: SecureRandom.bytes(saltCount))
    }

    /// The committed text: four lines (three without a district), each ending in LF:
    /// `ecoledger-profile-v1`, `salt HEX`, `name NAME`, `district DISTRICT`. Free text holds no
    /// control character, so the lines cannot be confused.
    public var text: String {
        var text = "\(Self.header)\nsalt \(Hex.encode(salt))\nname \(name)\n"
        if let district { text += "district \(district)\n" }
        return text
    }

    /// What the journal records (`profile_digest`): SHA-256 of `text`.
    public var digest: Hash256 {
        get throws { try SHA256.digest(Array(text.utf8)) }
    }
}
