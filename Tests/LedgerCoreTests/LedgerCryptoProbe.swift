import LedgerCrypto

/// Direct calls into LedgerCrypto for known-answer tests.
enum LedgerCryptoProbe {
    static func pbkdf2(password: String, salt: String, iterations: Int) throws -> String {
        Hex.encode(try PBKDF2.sha256(password: Array(password.utf8), salt: Array(salt.utf8), iterations: iterations))
    }
}
