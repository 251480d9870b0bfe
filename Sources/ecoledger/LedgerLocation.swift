import LedgerCore
import LedgerPersistence
import LedgerPostgres
import LedgerStore

/// Where `--db` says a ledger is: a SQLite file (a path), or a PostgreSQL database
/// (`postgres://USER@HOST:PORT/DB?…`, docs/OPERATIONS.md "Running on PostgreSQL").
enum LedgerLocation: CustomStringConvertible {
    case file(String)
    case postgres(PostgresURL)

    init(_ text: String) throws {
        self = PostgresURL.isPostgres(text) ? .postgres(try PostgresURL(text)) : .file(text)
    }

    var description: String {
        switch self {
        case .file(let path): path
        case .postgres(let url): url.description
        }
    }

    /// Opens the existing ledger for reading (a file read-only: the server may be running).
    func openForReading() throws -> any LedgerWriting {
        switch self {
        case .file(let path): try LedgerStore.open(at: path, readOnly: true)
        case .postgres(let url): try PostgresLedger.open(url: url, password: try url.password())
        }
    }

    /// Opens the existing ledger to be read table by table (`copy`, `export`).
    func openForRows() throws -> any LedgerRowReading {
        switch self {
        case .file(let path): try LedgerStore.open(at: path, readOnly: true)
        case .postgres(let url): try PostgresLedger.open(url: url, password: try url.password())
        }
    }

    /// Opens the existing ledger for reading and auditing.
    func openForAudit() throws -> any LedgerAuditing {
        switch self {
        case .file(let path): try LedgerStore.open(at: path, readOnly: true)
        case .postgres(let url): try PostgresLedger.open(url: url, password: try url.password())
        }
    }
}
