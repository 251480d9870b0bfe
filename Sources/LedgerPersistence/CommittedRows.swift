import LedgerCore

/// What the single writer reads of the committed ledger, inside its batch's transaction, when
/// its memory (`WriterState`) does not hold a row yet: each engine answers these with its own
/// queries, and `WriteBatch` lays the batch's changes over the answers.
package protocol CommittedRows {
    func account(_ id: AccountID) throws -> AccountState?
    func pinRecord(_ id: AccountID) throws -> PINRecord?
    func point(_ id: PointID) throws -> PointState?
    func material(_ code: MaterialCode) throws -> MaterialState?
    func token(_ id: TokenID) throws -> TokenState?
    func hold(_ dropoff: Int64) throws -> HoldState?
    func scheme() throws -> SchemeState
    func entry(seq: Int64) throws -> Entry?
    func entry(ref: ClientRef) throws -> Entry?
    /// The seq of the reversal of entry `seq`, if it was reversed.
    func reversal(of seq: Int64) throws -> Int64?
    /// The points of the account's drop-offs whose time is at least `timeMs`.
    func earned(by account: AccountID, since timeMs: Int64) throws -> Points
    /// The points of every entry crediting the account whose time is after `timeMs`.
    func credited(to account: AccountID, after timeMs: Int64) throws -> Points
    /// The account's held drop-offs after `timeMs` that are not posted: (seq, centipoints).
    func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> [(seq: Int64, centipoints: Int64)]
}
