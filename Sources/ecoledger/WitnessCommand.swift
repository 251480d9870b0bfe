import ArgumentParser
import LedgerCLI
import Foundation
import LedgerPersistence
import LedgerCrypto
import LedgerHost
import LedgerProtocol
import LedgerStore
import LedgerTransparency
import LedgerWire

/// `ecoledger witness`: an independent witness of the log (c2sp.org/tlog-witness semantics over
/// the line protocol). It keeps the last checkpoint it accepted; it cosigns a new one only after
/// checking the log's signature and a consistency proof from the accepted one, so once anyone
/// holds its cosignature, the operator can never show a different history without being caught.
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Witness the log: check each new checkpoint is consistent with the last one accepted, then cosign it.",
        discussion: """
            A checkpoint smaller than, or inconsistent with, the one in --state is refused: nothing is cosigned, both
            checkpoints are written to stderr and appended to STATE.evidence, and with --once the exit status is 1.
            """)

    @OptionGroup var client: ClientOptions

    @Option(help: "The witness's key file (ecoledger key new).")
    var key: String

    @Option(help: "The witness's name: its cosignatures carry it, and the server must know the key under it (ecoledgerd --witness).")
    var name: String

    @Option(name: .customLong("log-key"), help: "The log's verifier key (NAME+KEYID+BASE64).")
    var logKey: String

    @Option(help: "Where the last accepted checkpoint is kept.")
    var state: String

    @Flag(help: "Witness once and exit (0: cosigned or nothing new; 1: refused or failed).")
    var once = false

    @Option(help: "Seconds between rounds when not --once.")
    var interval = 10.0

    @Option(help: "Seconds a round may take before it is abandoned (a log that stalls cannot hold the witness).")
    var timeout = 30.0

    func run() async throws {
        try await CLIFailure.reportAsync {
            let signer = try NoteSigner(name: name, kind: .cosignatureV1, seed: try KeyFile.load(key))
            let log = try NoteKey(verifierKey: logKey)
            // One round at a time on a state: two overlapping runs (cron, a stalled log) could
            // otherwise each move the state, one of them backwards, and cosign two histories.
            let lock = try StateLock(path: state + ".lock")
            defer { lock.release() }
            var lastEvidence: String?
            while true {
                do {
                    switch try await withTimeout(seconds: timeout, { try await round(signer: signer, log: log) }) {
                    case .success(let outcome): print(outcome)
                    case .failure(let refusal): throw refusal
                    }
                } catch let refusal as Refusal {
                    FileDescriptorOutput.writeStderr("ecoledger witness: REFUSED \(refusal.reason)\n--- accepted\n\(refusal.accepted)--- offered\n\(refusal.offered)")
                    // The same fork seen again is kept once.
                    let found = "\(refusal.reason)\n--- accepted\n\(refusal.accepted)--- offered\n\(refusal.offered)\n"
                    if found != lastEvidence { Self.append("\(WallClock.now()) " + found, to: state + ".evidence") }
                    lastEvidence = found
                    if once { throw ExitCode.failure }
                } catch {
                    if once { throw error }
                    FileDescriptorOutput.writeStderr("ecoledger witness: \(error)\n")
                }
                if once { return }
                try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
            }
        }
    }

    /// Why a checkpoint was not cosigned: the operator's log misbehaved.
    struct Refusal: Error {
        let reason: String
        let accepted: String
        let offered: String
    }

    /// One round: fetch, check, cosign, remember.
    func round(signer: NoteSigner, log: NoteKey) async throws -> Result<String, Refusal> {
        try await client.withSession { connection in
            do {
                return .success(try await check(connection, signer: signer, log: log))
            } catch let refusal as Refusal {
                return .failure(refusal)
            }
        }
    }

    func check(_ connection: LedgerConnection, signer: NoteSigner, log: NoteKey) async throws -> String {
        let reply = try await connection.call("CHECKPOINT")[0]
        guard reply.hasPrefix("OK "), let encoded = Reply.field("note", in: reply), let bytes = Base64.decode(encoded) else {
            throw CLIFailure.message("CHECKPOINT: \(reply)")
        }
        let offeredText = String(decoding: bytes, as: UTF8.self)
        let (offered, note) = try Checkpoint.open(offeredText, logKey: log)
        if let data = FileManager.default.contents(atPath: state) {
            let acceptedText = String(decoding: data, as: UTF8.self)
            let (accepted, _) = try Checkpoint.open(acceptedText, logKey: log)
            func refuse(_ why: String) -> Refusal { Refusal(reason: why, accepted: acceptedText, offered: offeredText) }
            if offered.size < accepted.size {
                throw refuse("the log offers size \(offered.size), smaller than the \(accepted.size) already accepted")
            }
            if offered.size == accepted.size {
                guard offered.root == accepted.root else { throw refuse("two different roots for size \(offered.size): the log forked") }
                if try Cosignature.verify(note, witness: signer.key) != nil { return "nothing new: size \(offered.size) already cosigned" }
            } else {
                let lines = try await connection.call("CONSISTENCY \(accepted.size) \(offered.size)")
                guard lines[0].hasPrefix("OK n=") else { throw CLIFailure.message("CONSISTENCY: \(lines[0])") }
                let proof = try lines.dropFirst().map { line -> Hash256 in
                    guard line.hasPrefix("hash="), let raw = Base64.decode(String(line.dropFirst(5))), let hash = Hash256(bytes: raw) else {
                        throw CLIFailure.message("CONSISTENCY: a malformed line")
                    }
                    return hash
                }
                guard try MerkleVerifier.verifyConsistency(old: accepted.size, new: offered.size, oldRoot: accepted.root,
                                                           newRoot: offered.root, proof: proof) else {
                    throw refuse("size \(offered.size) is not consistent with the accepted size \(accepted.size): history was rewritten")
                }
            }
        }
        let time = UInt64(WallClock.now() / 1000)
        let line = try Cosignature.sign(note, by: signer, time: time)
        let cosigned = try await connection.call("COSIGN \(offered.size) name=\(name) signature=\(Base64.encode(line.bytes))")[0]
        guard cosigned.hasPrefix("OK ") else { throw CLIFailure.message("COSIGN: \(cosigned)") }
        try Self.replace(state, with: offeredText)
        return "cosigned \(offered.origin) size \(offered.size)"
    }

    /// Runs `body`, abandoning it after `seconds`.
    func withTimeout<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                throw CLIFailure.message("the round took longer than \(seconds) s; abandoned, nothing cosigned")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// An exclusive lock on a file beside the state, held for the witness's whole run.
    final class StateLock {
        private let descriptor: Int32

        init(path: String) throws {
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw CLIFailure.message("cannot open \(path)") }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                close(descriptor)
                throw CLIFailure.message("another witness run holds \(path); not starting a second one on the same state")
            }
        }

        func release() {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
    }

    /// Writes `text` to `path` atomically (a new file renamed over the old), owner-only.
    static func replace(_ path: String, with text: String) throws {
        let temporary = path + ".new"
        try? FileManager.default.removeItem(atPath: temporary)
        try SecretFile.create(temporary, contents: Array(text.utf8))
        guard rename(temporary, path) == 0 else { throw CLIFailure.message("cannot replace \(path)") }
    }

    static func append(_ text: String, to path: String) {
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try? handle.close()
        } else {
            try? SecretFile.create(path, contents: Array(text.utf8))
        }
    }
}
