import ArgumentParser
import LedgerCLI
import LedgerCore
import LedgerPersistence
import LedgerStore

/// `ecoledger backup`: a consistent copy of a ledger that may be in use, audited before it
/// counts as a backup.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a ledger consistently while the server keeps writing, then audit the copy and print its head.",
        discussion: """
            The copy (mode 0600) is the ledger as of one commit: SQLite's online backup on one read snapshot. It is then \
            audited like `ecoledger verify`; prints `backup COPY entries=N head=SEQ:HASH`. Record the head: `restore \
            --expect-head` checks a copy against it. Exit status 1 when the copy cannot be made or fails its audit \
            (the failed copy is kept, for evidence). The keys are not in the ledger: back up DB.log-key and DB.pin-key \
            once, separately (docs/OPERATIONS.md).
            """)

    @Option(help: "The ledger to copy.")
    var db: String

    @Option(help: "Where to write the copy; must not exist.")
    var to: String

    @Option(name: .customLong("log-key"), help: "The log's verifier key (NAME+KEYID+BASE64), to check the copy's checkpoints with.")
    var logKey: String?

    func run() throws {
        try CLIFailure.report {
            let store = try LedgerStore.open(at: db, readOnly: true)
            try store.backup(to: to)
            try store.close()
            let copy = try LedgerStore.open(at: to, readOnly: true)
            defer { try? copy.close() }
            switch try AuditOptions.verify(copy, logKey: logKey) {
            case .success(let report):
                print("backup \(to) entries=\(report.entries) head=\(report.head.seq):\(report.head.hash.hex)")
            case .failure(let failure):
                throw CLIFailure.message("the copy \(to) fails its audit at seq \(failure.seq): \(failure.reason); the ledger itself is damaged: run ecoledger verify --db \(db)")
            }
        }
    }
}

/// `ecoledger restore`: puts an audited backup in place of a lost ledger, never over one.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Audit a backup, refuse it if it fails or is behind what you expect, then write it as a new ledger file.",
        discussion: """
            --db must not exist: move a damaged ledger aside first and keep it. The copy is audited first; with \
            --expect-head (the head `backup` printed, or a later one you recorded) or --checkpoint (a witness's \
            state file or a receipt, with --log-key) a copy whose journal does not reach them is refused. Prints \
            `restored DB entries=N head=SEQ:HASH`. Start ecoledgerd on it with the ledger's own --key and \
            --pin-key files and --origin (docs/OPERATIONS.md, "Restoring").
            """)

    @Option(help: "The backup to restore.")
    var from: String

    @Option(help: "Where to write the restored ledger; must not exist.")
    var db: String

    @OptionGroup var audit: AuditOptions

    func run() throws {
        try CLIFailure.report {
            let source = try LedgerStore.open(at: from, readOnly: true)
            defer { try? source.close() }
            let report: AuditReport
            switch try audit.verify(source) {
            case .success(let passed):
                report = passed
            case .failure(let failure):
                throw CLIFailure.message("refused: the backup \(from) fails its audit at seq \(failure.seq): \(failure.reason)")
            }
            try LedgerStore.restore(from: source, to: db)
            print("restored \(db) entries=\(report.entries) head=\(report.head.seq):\(report.head.hash.hex)")
        }
    }
}
