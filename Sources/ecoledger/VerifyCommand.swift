import ArgumentParser
import LedgerCLI
import Foundation
import LedgerPersistence
import LedgerStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ecoledger verify`: the full audit of a ledger (a file or a PostgreSQL database); exit status 0 only when it passes.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Audit a ledger: recompute the hash chain, replay the journal, compare every projection.",
        discussion: "Exit status 0 when the audit passes, 1 when it fails or the file cannot be read.")

    @Option(help: "The ledger: a file path, or postgres://USER@HOST:PORT/DATABASE.")
    var db: String

    @OptionGroup var audit: AuditOptions

    func run() throws {
        try CLIFailure.report {
            let store = try LedgerLocation(db).openForAudit()
            let showProgress = isatty(STDERR_FILENO) == 1
            let result = try audit.verify(store) { done, total in
                guard showProgress else { return }
                FileDescriptorOutput.writeStderr("\rverified \(done) of \(total) entries")
                if done == total { FileDescriptorOutput.writeStderr("\n") }
            }
            switch result {
            case .success(let report):
                print("OK entries=\(report.entries) head=\(report.head.seq):\(report.head.hash.hex)")
                let unchecked = report.cosignatures - report.cosignaturesVerified
                if unchecked > 0 {
                    FileDescriptorOutput.writeStderr("""
                        \(unchecked) of \(report.cosignatures) witness cosignature(s) were checked for form only: give each witness's key \
                        with --witness-key to check their signatures

                        """)
                }
            case .failure(let failure):
                print("CHAIN_BROKEN seq=\(failure.seq) reason=\(failure.reason)")
                throw ExitCode.failure
            }
        }
    }
}
