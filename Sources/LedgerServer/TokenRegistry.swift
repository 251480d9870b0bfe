import LedgerCore
import LedgerCrypto
import LedgerStore
import Synchronization

/// The access tokens, held in memory so `AUTH` compares the presented secret's hash with every
/// active token in constant time (no early exit, `CRYPTO_memcmp`), without a database lookup
/// whose timing could depend on the secret.
///
/// Reloaded from the store after every TOKEN ISSUE or REVOKE.
final class TokenRegistry: Sendable {
    private let tokens = Mutex<[TokenState]>([])

    func replace(with all: [TokenState]) {
        tokens.withLock { $0 = all }
    }

    /// The principal whose secret hashes to `secret`'s hash, if it is active.
    func authenticate(_ secret: String) throws -> Principal? {
        let presented = try SHA256.digest(Array(secret.utf8)).bytes
        let candidates = tokens.withLock { $0 }
        var match: TokenState?
        for token in candidates {
            // Every token is compared, whatever matched before.
            if ConstantTime.equal(token.secretHash.bytes, presented), !token.revoked { match = token }
        }
        return match.map { Principal(token: $0.id, role: $0.role, point: $0.point, merchant: $0.merchant) }
    }
}
