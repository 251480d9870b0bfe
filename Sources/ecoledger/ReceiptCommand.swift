import ArgumentParser
import LedgerCLI
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerProtocol
import LedgerStore
import LedgerTransparency

/// `ecoledger receipt`: fetch a receipt (a c2sp.org/tlog-proof file) and check one offline.
struct ReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Fetch and verify receipts: proofs that an entry is in the log the operator signed.",
        subcommands: [Get.self, Verify.self])

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get", abstract: "Fetch the receipt of entry SEQ and write it as a .tlog-proof text file.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The entry's seq.")
        var seq: Int64

        @Option(help: "Where to write it (default: stdout).")
        var out: String?

        func run() async throws {
            try await CLIFailure.reportAsync {
                let reply = try await client.withSession { try await $0.call("RECEIPT \(seq)") }[0]
                guard reply.hasPrefix("OK "), let encoded = Reply.field("proof", in: reply),
                      let bytes = Base64.decode(encoded) else { throw CLIFailure.message(reply) }
                if let out {
                    guard FileManager.default.createFile(atPath: out, contents: Data(bytes)) else { throw CLIFailure.message("cannot write \(out)") }
                } else {
                    FileDescriptorOutput.writeStdout(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check a receipt: the log's signature, the inclusion proof and K witness cosignatures; print the entry.",
            discussion: "Exit status 0 only when everything checks.")

        @Argument(help: "The .tlog-proof file.")
        var file: String

        @Option(name: .customLong("log-key"), help: "The log's verifier key (NAME+KEYID+BASE64), from a source you trust.")
        var logKey: String

        @Option(name: .customLong("witness-key"), help: "A witness's verifier key. Repeatable.")
        var witnessKeys: [String] = []

        @Option(help: "How many of the witnesses must have cosigned (default: all given).")
        var witnesses: Int?

        @Option(parsing: .unconditional, help: ArgumentHelp("Show the entry's time at this UTC offset, such as the scheme's +08:00 (default: this machine's zone).", valueName: "±HH:MM"))
        var tz: String?

        func validate() throws {
            if let tz, SchemeState.offsetMinutes(parsing: tz) == nil { throw ValidationError("--tz must be ±HH:MM, such as +08:00, got \(tz.debugDescription)") }
        }

        func run() throws {
            try CLIFailure.report {
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIFailure.message("cannot read \(file)") }
                let receipt = try InclusionReceipt(parsing: String(decoding: data, as: UTF8.self))
                let log = try NoteKey(verifierKey: logKey)
                let keys = try witnessKeys.map { try NoteKey(verifierKey: $0) }
                let checkpoint = try receipt.verify(logKey: log)
                // Each witness counts once: by its public key, however often or under whatever names it is given.
                var cosigned: [String] = [], counted: Set<[UInt8]> = []
                for key in keys where !counted.contains(key.publicKey) {
                    if try Cosignature.verify(receipt.checkpoint, witness: key) != nil {
                        counted.insert(key.publicKey)
                        cosigned.append(key.name)
                    }
                }
                let needed = witnesses ?? keys.count
                guard cosigned.count >= needed else {
                    throw CLIFailure.message("\(cosigned.count) of the \(needed) witness cosignatures needed (cosigned by: \(cosigned.isEmpty ? "none" : cosigned.joined(separator: ", ")))")
                }
                let entry = try CanonicalDecoding.decode(try require(receipt.canonicalBytes))
                guard entry.seq == receipt.index + 1 else { throw CLIFailure.message("the receipt's entry is seq \(entry.seq), but its index says \(receipt.index + 1)") }
                let offset = tz.flatMap(SchemeState.offsetMinutes(parsing:))
                    ?? TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(entry.timeMs / 1000))) / 60
                print(EntryDescription.describe(entry, offsetMinutes: offset))
                // Every signature line that is not the log's own is a witness's claim, checked or not.
                let carried = receipt.checkpoint.signatures.filter { $0.name != log.name || $0.keyID != log.keyID }.count
                let witnessed = keys.isEmpty
                    ? "it carries \(carried) witness cosignature(s), not checked (give each witness's key with --witness-key)"
                    : "cosigned by \(cosigned.count) witness(es)\(cosigned.isEmpty ? "" : ": " + cosigned.joined(separator: ", "))"
                        + (carried > cosigned.count ? "; it carries \(carried) in all, \(carried - cosigned.count) of them not checked" : "")
                print("in \(checkpoint.origin) at size \(checkpoint.size) (root \(Base64.encode(checkpoint.root.bytes))); \(witnessed)")
            }
        }
    }
}

/// Unwraps, or fails with a clear message.
func require<T>(_ value: T?, _ what: @autoclosure () -> String = "the receipt does not carry its entry") throws -> T {
    guard let value else { throw CLIFailure.message(what()) }
    return value
}
