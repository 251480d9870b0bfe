import LedgerCrypto

/// The ledger's state machine: decides a request, seals its entry onto the chain and
/// applies the entry's effects, all against one `LedgerStorage` (one transaction).
///
/// Holds one reusable SHA-256 context, so it is used by one task at a time (the writer).
public final class LedgerEngine {
    private let hasher: SHA256.Hasher

    public init() throws {
        hasher = try SHA256.Hasher()
    }

    /// The result of one request.
    public enum Outcome: Sendable {
        /// A new entry was appended.
        case appended(Entry)
        /// The request repeated an earlier one; nothing changed.
        case replayed(Entry)
        /// An entry was appended (a rejected PIN), but the request failed with the error.
        case rejected(Entry, LedgerError)
    }

    /// Executes `request` at wall-clock time `timeMs`. Throws `LedgerError` for a refused
    /// request (the storage is unchanged) or the storage's own errors.
    public func execute<S: LedgerStorage>(_ request: LedgerRequest, in storage: inout S, timeMs: Int64) throws -> Outcome {
        // Before anything, a retry's answer included: a revoked token learns nothing more.
        try ActorRules.check(request.actor, in: storage)
        switch try Rules.decide(request, in: storage) {
        case .replay(let entry):
            return .replayed(entry)
        case .append(let body, let pin, let profile):
            return .appended(try append(body, pin: pin, profile: profile, in: &storage, timeMs: timeMs))
        case .appendAndFail(let body, let error):
            return .rejected(try append(body, pin: nil, in: &storage, timeMs: timeMs), error)
        }
    }

    /// Seals `body` as the next entry and applies it. Entry times never go backwards: a wall
    /// clock behind the head's time is raised to it.
    func append<S: LedgerStorage>(_ body: EntryBody, pin: PINRecord?, profile: Profile? = nil, in storage: inout S,
                                  timeMs: Int64) throws -> Entry {
        let head = try storage.head()
        let entry = try Entry.seal(body, seq: head.seq + 1, timeMs: max(timeMs, head.timeMs), after: head.hash, hasher: hasher)
        let changes = try Effects.changes(of: entry, in: storage)
        try storage.append(entry)
        for change in changes { try storage.apply(change, seq: entry.seq) }
        if let pin, let account = body[AttributeKey.account] {
            try storage.savePINRecord(pin, for: AccountID(unchecked: account))
        }
        if let profile, let account = body[AttributeKey.account] {
            try storage.saveProfile(profile, for: AccountID(unchecked: account))
        }
        return entry
    }
}
