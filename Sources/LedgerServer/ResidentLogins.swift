import LedgerCore
import Synchronization

/// The accounts with an `AUTH RESIDENT` being checked right now. One attempt per account at a
/// time: a PIN check takes milliseconds on the read threads and a wrong PIN counts towards the
/// lock only once journaled, so parallel guesses must not all be checked in that window. An
/// attempt that finds its account busy fails at once, like a wrong PIN, without a PIN check.
final class ResidentLogins: Sendable {
    private let busy = Mutex<Set<AccountID>>([])

    /// False when another attempt for `account` is under way.
    func begin(_ account: AccountID) -> Bool {
        busy.withLock { $0.insert(account).inserted }
    }

    func end(_ account: AccountID) {
        _ = busy.withLock { $0.remove(account) }
    }
}
