import LedgerCore

extension LedgerRequest {
    /// The client's ref, for the commands that carry one: what the writer looks up, for a whole
    /// batch at once, to answer a retry with its first outcome.
    var clientRef: ClientRef? {
        switch command {
        case .dropoff(let dropoff): dropoff.ref
        case .redeem(let spend), .donate(let spend): spend.ref
        case .settle(_, _, let ref), .reverse(_, _, let ref): ref
        default: nil
        }
    }
}
