import LedgerCore

/// What a successful request returns.
public struct WriteReceipt: Sendable {
    public let entry: Entry
    /// True when the request repeated an earlier one with the same ref: nothing changed.
    public let replayed: Bool
    /// Current balances of the entry's debit and credit accounts (empty for non-transfers).
    public let balances: [AccountID: Points]

    public init(entry: Entry, replayed: Bool, balances: [AccountID: Points]) {
        self.entry = entry
        self.replayed = replayed
        self.balances = balances
    }
}
