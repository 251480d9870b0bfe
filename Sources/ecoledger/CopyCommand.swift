import ArgumentParser
import Foundation
import LedgerCLI
import LedgerPersistence
import LedgerPostgres
import LedgerStore

#if canImport(Glibc)
import Glibc
#endif

/// `ecoledger copy`: moves a ledger between engines (a file and PostgreSQL, either way) with
/// its entries, hashes, tree, checkpoints, cosignatures and log key unchanged, so the log goes
/// on and witnesses accept its next checkpoint. The copy is audited before it is reported done.
struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a ledger to a new file or PostgreSQL database, and audit the copy.",
        discussion: """
            Either side is a file path or postgres://USER@HOST:PORT/DATABASE (the password from passfile= or PGPASSWORD). \
            The target must not hold a ledger or anything else. The source is read on one snapshot, so a ledger being \
            served can be copied; stop ecoledgerd first when the copy is to replace it. Exit status 0 only when the copy \
            passes the audit.
            """)

    @Option(help: "The ledger to copy (a file path or a postgres:// URL).")
    var from: String

    @Option(help: "Where to create the copy (a new file path or an empty PostgreSQL database).")
    var to: String

    @OptionGroup var audit: AuditOptions

    func run() throws {
        try CLIFailure.report {
            let source = try LedgerLocation(from), target = try LedgerLocation(to)
            let showProgress = isatty(STDERR_FILENO) == 1
            let progress: (String, Int) -> Void = { table, rows in
                if showProgress { FileDescriptorOutput.writeStderr("\rcopying \(table): \(rows) rows   ") }
            }
            try Self.copy(from: source, to: target, progress: progress)
            if showProgress { FileDescriptorOutput.writeStderr("\n") }
            switch try audit.verify(try target.openForAudit()) {
            case .success(let report):
                print("copied \(source) to \(target) entries=\(report.entries) head=\(report.head.seq):\(report.head.hash.hex); the copy passed the audit")
            case .failure(let failure):
                print("CHAIN_BROKEN seq=\(failure.seq) reason=\(failure.reason)")
                FileDescriptorOutput.writeStderr("the copy at \(target) failed its audit: do not use it; remove it, audit the source, and copy again\n")
                throw ExitCode.failure
            }
        }
    }

    static func copy(from source: LedgerLocation, to target: LedgerLocation, progress: @escaping (String, Int) -> Void) throws {
        let opened = try source.openForRows()
        let read = { (body: (any LedgerRowSource) throws -> Void) in try opened.withRowSource(body) }
        switch target {
        case .file(let path):
            let store = try LedgerStore.create(at: path)
            defer { try? store.close() }
            try read { source in try store.withRowSink { sink in try LedgerCopy.copy(from: source, to: sink, progress: progress) } }
        case .postgres(let url):
            let ledger = try PostgresLedger.create(url: url, password: try url.password())
            defer { ledger.close() }
            try read { source in try ledger.withRowSink { sink in try LedgerCopy.copy(from: source, to: sink, progress: progress) } }
        }
    }
}
