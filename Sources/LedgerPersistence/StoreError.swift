/// Why a ledger file could not be created or opened; `description` is one line for the CLI.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(path: String)
    case alreadyExists(path: String)
    case notALedger(path: String, reason: String)
    /// A stored row could not be decoded (only a damaged or tampered file does this).
    case corrupt(String)
    /// The storage refused the write (disk full, I/O error); the transaction was rolled back,
    /// nothing was written, and writes work again once the cause is gone.
    case unavailable(String)
    /// The ledger's database server could not be reached or stopped answering (a failover, a
    /// network fault); the detail names hosts and is for the operator's log, not for clients.
    /// Nothing was written unless the request's ref says otherwise on retry.
    case unreachable(String)
    /// The file was made by an older version and has not been opened for writing since, so it
    /// lacks tables or columns this version reads (`Schema.migrations`).
    case needsUpgrade(path: String, migration: String)
    /// A file next to the ledger (a key, a token) could not be created or read.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): "no ledger at \(path) (create one with: ecoledger init --db \(path))"
        case .alreadyExists(let path): "\(path) already exists; refusing to overwrite it"
        case .notALedger(let path, let reason): "\(path) is not an ecoledger ledger: \(reason)"
        case .corrupt(let what): "the ledger is damaged: \(what)"
        case .unavailable(let why), .unreachable(let why): "storage unavailable: \(why)"
        case .needsUpgrade(let path, let migration):
            "\(path) was made by an older ecoledger and lacks \(migration): start ecoledgerd on it once (it upgrades the file), then try again"
        case .io(let path, let reason): "\(path): \(reason)"
        }
    }
}
