import ArgumentParser
import LedgerCLI
import Foundation
import LedgerStore
import LedgerTransparency

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ecoledger verify`: the full audit of a ledger file; exit status 0 only when it passes.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Audit a ledger: recompute the hash chain, replay the journal, compare every projection.",
        discussion: "Exit status 0 when the audit passes, 1 when it fails or the file cannot be read.")

    @Option(help: "Path of the ledger file.")
    var db: String

    @Option(name: .customLong("expect-head"), help: ArgumentHelp(
        "The head recorded elsewhere, as SEQ:HASH; a journal that does not reach it is reported as truncated.",
        valueName: "seq:hash"))
    var expectHead: String?

    @Option(help: ArgumentHelp("A checkpoint kept elsewhere: a signed checkpoint file (a witness's state) or a receipt (.tlog-proof); the journal's tree at its size must have its root.", valueName: "file"))
    var checkpoint: String?

    @Option(name: .customLong("log-key"), help: "The log's verifier key (NAME+KEYID+BASE64): checks --checkpoint and every checkpoint stored in the ledger.")
    var logKey: String?

    func validate() throws {
        if let expectHead, ExpectedHead(expectHead) == nil {
            throw ValidationError("--expect-head must be SEQ:HASH with a 64-digit hex hash, got \(expectHead.debugDescription)")
        }
        if checkpoint != nil, logKey == nil { throw ValidationError("--checkpoint needs --log-key, the key it must be signed with") }
    }

    func run() throws {
        try CLIFailure.report {
            let store = try LedgerStore.open(at: db, readOnly: true)
            let showProgress = isatty(STDERR_FILENO) == 1
            let key = try logKey.map { try NoteKey(verifierKey: $0) }
            var anchor: Checkpoint?
            if let checkpoint, let key {
                guard let data = FileManager.default.contents(atPath: checkpoint) else { throw CLIFailure.message("cannot read \(checkpoint)") }
                var text = String(decoding: data, as: UTF8.self)
                // A receipt (.tlog-proof) carries a checkpoint: use that.
                if text.hasPrefix(InclusionReceipt.header + "\n") { text = try InclusionReceipt(parsing: text).checkpoint.encoded }
                anchor = try Checkpoint.open(text, logKey: key).0
            }
            let result = try store.verify(expecting: expectHead.flatMap(ExpectedHead.init), logKey: key, anchor: anchor) { done, total in
                guard showProgress else { return }
                FileDescriptorOutput.writeStderr("\rverified \(done) of \(total) entries")
                if done == total { FileDescriptorOutput.writeStderr("\n") }
            }
            switch result {
            case .success(let report):
                print("OK entries=\(report.entries) head=\(report.head.seq):\(report.head.hash.hex)")
            case .failure(let failure):
                print("CHAIN_BROKEN seq=\(failure.seq) reason=\(failure.reason)")
                throw ExitCode.failure
            }
        }
    }
}
