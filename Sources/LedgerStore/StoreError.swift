/// Why a ledger file could not be created or opened; `description` is one line for the CLI.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(path: String)
    case alreadyExists(path: String)
    case notALedger(path: String, reason: String)
    /// A stored row could not be decoded (only a damaged or tampered file does this).
    case corrupt(String)

    public var description: String {
        switch self {
        case .missing(let path): "no ledger at \(path) (create one with: ecoledger init --db \(path))"
        case .alreadyExists(let path): "\(path) already exists; refusing to overwrite it"
        case .notALedger(let path, let reason): "\(path) is not an ecoledger ledger: \(reason)"
        case .corrupt(let what): "the ledger is damaged: \(what)"
        }
    }
}
