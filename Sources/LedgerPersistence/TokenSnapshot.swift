import LedgerCore

/// Every token, and the seq of the last entry the read saw: later snapshots have larger seqs.
public struct TokenSnapshot: Sendable {
    public let tokens: [TokenState]
    public let asOf: Int64

    public init(tokens: [TokenState], asOf: Int64) {
        self.tokens = tokens
        self.asOf = asOf
    }
}
