import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerProtocol
import Synchronization

/// The access tokens, held in memory so `AUTH` compares the presented secret's hash with every
/// active token in constant time (no early exit, `CRYPTO_memcmp`), without a database lookup
/// whose timing could depend on the secret, and so every command can check, cheaply, that the
/// token its connection logged in with is still active.
///
/// Reloaded from the store after every TOKEN ISSUE or REVOKE. A revoke marks its token revoked
/// here *before* it is written, so no command that starts after the REVOKE was received runs
/// under that token (and the writer refuses an entry whose actor is no longer active).
final class TokenRegistry: Sendable {
    private let tokens = Mutex<(all: [TokenState], asOf: Int64)>(([], -1))
    private let active = Mutex<Set<TokenID>>([])
    /// Revoked here ahead of the store: see `revokeAhead`.
    private let revokedAhead = Mutex<Set<TokenID>>([])

    /// Takes a snapshot of the tokens read when the journal ended at `asOf`. Reloads race one
    /// another (a TOKEN ISSUE's reload can finish after a later REVOKE's), so an older snapshot
    /// than the one held is ignored: it would bring a revoked token back.
    func replace(with snapshot: TokenSnapshot) {
        tokens.withLock { current in
            guard snapshot.asOf >= current.asOf else { return }
            current = (snapshot.tokens, snapshot.asOf)
            active.withLock { $0 = Set(snapshot.tokens.filter { !$0.revoked }.map(\.id)) }
        }
    }

    /// Stops `id` working at once, before its revocation is committed. `settle` (after the
    /// commit, or its failure) makes the store the only truth again.
    func revokeAhead(_ id: TokenID) {
        _ = revokedAhead.withLock { $0.insert(id) }
    }

    func settle(_ snapshot: TokenSnapshot, revokedAhead id: TokenID) {
        replace(with: snapshot)
        _ = revokedAhead.withLock { $0.remove(id) }
    }

    /// Whether `id` may still be used.
    func isActive(_ id: TokenID) -> Bool {
        guard !revokedAhead.withLock({ $0.contains(id) }) else { return false }
        return active.withLock { $0.contains(id) }
    }

    /// The principal whose secret hashes to `secret`'s hash, if it is active.
    func authenticate(_ secret: String) throws -> Principal? {
        let presented = try SHA256.digest(Array(secret.utf8)).bytes
        let candidates = tokens.withLock { $0.all }
        var match: TokenState?
        for token in candidates {
            // Every token is compared, whatever matched before.
            if ConstantTime.equal(token.secretHash.bytes, presented), !token.revoked { match = token }
        }
        guard let match, isActive(match.id) else { return nil }
        return Principal(token: match.id, role: match.role, point: match.point, merchant: match.merchant)
    }
}
