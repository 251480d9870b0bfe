import ArgumentParser
import Foundation
import LedgerPersistence
import LedgerCLI
import LedgerCore
import LedgerHost
import LedgerProtocol
import LedgerKiosk
import LedgerStore
import LedgerTransparency
import LedgerWire

#if canImport(Glibc)
import Glibc
#endif

/// `ecoledger kiosk`: a collection point's client on a flaky network. A drop-off is written to a
/// durable local queue with its ref before anything is sent, then delivered in order whenever
/// the server answers; a retry reuses the ref, so nothing is ever credited twice.
struct KioskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk",
        abstract: "Queue a drop-off (or SETTLE, REVERSE) durably, then deliver the queue in order; or show it (status), or deliver it now (flush).",
        discussion: """
            ecoledger kiosk --queue DIR [connection options] DROPOFF R-1 point=CP-1 material=PET kg=2.5
            ecoledger kiosk --queue DIR status
            ecoledger kiosk --queue DIR flush [--every SECONDS]
            ecoledger kiosk --queue DIR receipt ID|REF [--out FILE]   (a kept receipt, for ecoledger receipt verify)
            A request gets ref=kq-QUEUEID-RANDOM unless it carries its own. Exit status: 0 when the request \
            (or every request flush delivered) was answered OK, 1 when the server refused it (it will not \
            be retried), 3 when it is still queued (the server could not be reached, or did not answer \
            within --timeout: the next kiosk or flush sends it again, with the same ref). REDEEM and DONATE are not queued: they need \
            the resident present, and a queue must not keep PINs on disk.
            """)

    @Option(help: ArgumentHelp("The queue's folder (created 0700); its file is queue.sqlite.", valueName: "dir"))
    var queue: String

    @OptionGroup var client: ClientOptions

    @Option(help: ArgumentHelp("With flush: keep running, delivering whatever is queued every SECONDS.", valueName: "seconds"))
    var every: Double?

    @Option(help: ArgumentHelp("Give up on a delivery when the server sends nothing for this long (the request stays queued).", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: ArgumentHelp("With receipt: write the receipt to this file instead of standard output.", valueName: "file"))
    var out: String?

    // Not passthrough: options may follow `flush` (`flush --every 30`), and an unknown option is
    // refused here, never queued.
    @Argument(help: "status, flush, or the command to queue and its arguments.")
    var command: [String] = []

    /// The commands that carry a ref and no PIN.
    static let queueable = Set(CommandCatalogue.queueable)
    /// Errors after which the same request may well succeed later: it stays queued.
    static let transient: Set<String> = ["UNAVAILABLE", "SHUTTING_DOWN", "INTERNAL", "TIMEOUT", "NOT_AUTHENTICATED"]

    /// Exit status for "still queued".
    static let stillQueued = ExitCode(3)

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give a command to queue, or status, or flush") }
        if let every, every < 1 || every > 86_400 { throw ValidationError("--every must be 1 to 86400 seconds") }
        guard timeout >= 1, timeout <= 3_600 else { throw ValidationError("--timeout must be 1 to 3600 seconds") }
    }

    func run() async throws {
        try await CLIFailure.reportAsync {
            // Only a request creates a queue: status, flush and receipt on a mistyped folder say so.
            let verb = command.first?.uppercased()
            let outbox = try KioskQueue(folder: queue, create: !["STATUS", "FLUSH", "RECEIPT"].contains(verb ?? ""))
            // How this queue is delivered, for the hints of runs that name no server (receipt).
            if client.tokenFile != nil, verb != "STATUS", verb != "RECEIPT" { try outbox.setSetting("flush", flushCommand()) }
            defer { try? outbox.close() }
            switch command.map({ $0.uppercased() }) {
            case ["STATUS"]:
                try status(outbox)
            case ["FLUSH"]:
                try await flush(outbox)
            case let words where words.first == "RECEIPT":
                guard words.count == 2 else { throw CLIFailure.message("give the request's id or ref: ecoledger kiosk --queue \(queue) receipt ID|REF") }
                try receipt(outbox, command[1])
            default:
                try await submit(outbox)
            }
        }
    }

    private func submit(_ outbox: KioskQueue) async throws {
        guard let verb = command.first?.uppercased(), Self.queueable.contains(verb) else {
            throw CLIFailure.message("a kiosk queues DROPOFF, SETTLE and REVERSE (each carries a ref, so a retry is never applied twice); "
                                     + "REDEEM and DONATE need the resident present and their PIN, which no queue keeps: use ecoledger call")
        }
        var arguments = command
        var ref = arguments.first { $0.lowercased().hasPrefix("ref=") }.map { String($0.dropFirst(4)) }
        if ref == nil {
            ref = try outbox.newRef()
            arguments.append("ref=\(ref!)")
        }
        let line: String
        do {
            line = try RequestLine.encode(arguments)
            // Refused here, not after hours in a queue: a request the server could never parse.
            guard let parsed = try LineTokenizer.parse(Array(line.utf8)) else { throw CLIFailure.message("empty request") }
            _ = try CommandCatalogue.parse(parsed)
        } catch let error as ProtocolError {
            FileDescriptorOutput.writeStderr("ecoledger: error: \(error.code.rawValue) \(error.message)\n")
            throw ExitCode(2)
        }
        let item: KioskQueue.Item
        do {
            item = try outbox.enqueue(line: line, ref: ref!, nowMs: WallClock.now())
        } catch where KioskQueue.isDuplicateRef(error) {
            throw CLIFailure.message("ref \(ref!) is already in the queue (every request needs its own ref)")
        }
        let problem = await deliver(outbox)
        guard let now = try outbox.item(item.id) else { return }
        switch now.state {
        case .done:
            FileDescriptorOutput.writeStdout((now.reply ?? "") + "\n")
        case .failed:
            FileDescriptorOutput.writeStdout((now.reply ?? "") + "\n")
            throw ExitCode.failure
        case .pending:
            FileDescriptorOutput.writeStdout("QUEUED id=\(now.id) ref=\(now.ref)\n")
            FileDescriptorOutput.writeStderr("ecoledger: not delivered yet (\(problem ?? now.lastError ?? "earlier requests are still queued")); "
                                             + "\(flushCommand()) sends it with the same ref\n")
            throw Self.stillQueued
        }
    }

    private func flush(_ outbox: KioskQueue) async throws {
        while true {
            let before = try outbox.all()
            let problem = await deliver(outbox, waitForReceipts: true)
            let items = try outbox.all()
            let pending = items.filter { $0.state == .pending }.count
            let failedBefore = before.filter { $0.state == .failed }.count, failed = items.filter { $0.state == .failed }.count
            // This run's answers, each counted once: accepted (OK) or refused (an error a retry
            // would repeat, or a stored line that was not sent); pending: still queued.
            let answered = items.filter { item in before.contains { $0.id == item.id && $0.state == .pending } && item.state != .pending }
            let line = "accepted=\(answered.filter { $0.state == .done }.count) refused=\(answered.filter { $0.state == .failed }.count) pending=\(pending)"
            FileDescriptorOutput.writeStdout(line + (problem.map { " error=\(Reply.quote($0))" } ?? "") + "\n")
            // Refusals are worth a person's look: each is on standard error as it happens.
            for item in items where item.state == .failed && !before.contains(where: { $0.id == item.id && $0.state == .failed }) {
                FileDescriptorOutput.writeStderr("ecoledger: refused, not retried: id=\(item.id) ref=\(item.ref): \(item.reply ?? item.lastError ?? "")\n")
            }
            guard let every else {
                if pending > 0 { throw Self.stillQueued }
                if failed > failedBefore { throw ExitCode.failure }
                return
            }
            try await Task.sleep(for: .milliseconds(Int64(every * 1000)))
        }
    }

    /// Why a stored request must not be sent, or nil: it must be one line, parse as a queueable
    /// command, and carry the ref the queue recorded for it.
    static func unsafeLine(_ item: KioskQueue.Item) -> String? {
        let bytes = Array(item.line.utf8)
        guard item.lineIsWhole, !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return "the stored line holds a control character (a second line?)" }
        let command: any ProtocolCommand
        do {
            guard let parsed = try LineTokenizer.parse(bytes) else { return "the stored line is empty" }
            command = try CommandCatalogue.parse(parsed)
        } catch {
            return "the stored line does not parse (\(error))"
        }
        guard let ref = (command as? any QueueableCommand)?.ref.rawValue else { return "the stored line is a \(command.verb), not one of \(queueable.sorted().joined(separator: ", "))" }
        guard ref == item.ref else { return "the stored line carries ref=\(ref), not its own ref=\(item.ref)" }
        return nil
    }

    private func status(_ outbox: KioskQueue) throws {
        let items = try outbox.all()
        let zone = try outbox.setting("tz").flatMap(SchemeState.offsetMinutes(parsing:))
        for item in items {
            // In the scheme's zone once the server has told it; until then, this machine's.
            let offset = zone ?? TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(item.queuedMs / 1000))) / 60
            let state = switch item.state { case .pending: "pending"; case .done: "accepted"; case .failed: "refused" }
            var fields: Reply.Fields = [("id", String(item.id)), ("ref", item.ref), ("state", state),
                                        ("attempts", String(item.attempts)), ("queued", String(item.queuedMs)),
                                        ("queued_local", SchemeCalendar.localMinute(item.queuedMs, offsetMinutes: offset))]
            if let reply = item.reply { fields.append(("reply", reply)) }
            if let error = item.lastError { fields.append(("error", error)) }
            if item.receipt != nil { fields.append(("receipt", "kept")) }
            FileDescriptorOutput.writeStdout(fields.map { "\($0.0)=\(Reply.quote($0.1))" }.joined(separator: " ") + "\n")
        }
        let count = { (state: KioskQueue.State) in items.filter { $0.state == state }.count }
        FileDescriptorOutput.writeStdout("queue=\(outbox.id) pending=\(count(.pending)) accepted=\(count(.done)) refused=\(count(.failed))\n")
    }

    /// The receipt kept for a request (by queue id or ref), to standard output or `--out`.
    private func receipt(_ outbox: KioskQueue, _ key: String) throws {
        guard let item = try outbox.all().first(where: { String($0.id) == key || $0.ref == key }) else {
            throw CLIFailure.message("no request \(key) in the queue (ecoledger kiosk --queue \(queue) status lists them)")
        }
        guard let receipt = item.receipt else {
            guard item.state == .done else {
                throw CLIFailure.message("id=\(item.id) ref=\(item.ref) was \(item.state == .failed ? "refused" : "not delivered yet"): no entry, so no receipt"
                                         + (item.state == .pending ? " until it is delivered: \(try outbox.setting("flush") ?? flushCommand())" : ""))
            }
            throw CLIFailure.message("no receipt kept yet for id=\(item.id) ref=\(item.ref); \(try outbox.setting("flush") ?? flushCommand()) fetches it")
        }
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: Data(receipt.utf8)) else { throw CLIFailure.message("cannot write \(out)") }
            FileDescriptorOutput.writeStdout("receipt of id=\(item.id) ref=\(item.ref) written to \(out); check it with: ecoledger receipt verify \(out) --log-key VKEY\n")
        } else {
            FileDescriptorOutput.writeStdout(receipt.hasSuffix("\n") ? receipt : receipt + "\n")
        }
    }

    /// The flush that delivers this queue as this run would: the same server, TLS, token and role,
    /// with absolute paths, so it works from any folder.
    func flushCommand() -> String {
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        }
        var words = ["ecoledger", "kiosk", "--queue", absolute(queue)]
        if client.host != "127.0.0.1" { words += ["--host", client.host] }
        if client.port != 7707 { words += ["--port", String(client.port)] }
        if client.tls, client.ca == nil { words.append("--tls") }
        if let ca = client.ca { words += ["--ca", absolute(ca)] }
        if let tokenFile = client.tokenFile { words += ["--token-file", absolute(tokenFile)] }
        if client.role != "admin" { words += ["--role", client.role] }
        if timeout != 30 { words += ["--timeout", String(timeout)] }
        // Quoted for a POSIX shell wherever a word holds anything but the plainest characters.
        func quoted(_ word: String) -> String {
            word.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=+@,".contains($0)) }) && !word.isEmpty
                ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        return (words + ["flush"]).map(quoted).joined(separator: " ")
    }

    /// Sends the queued requests in order over one connection until one cannot be answered, then
    /// fetches the receipts of those answered; returns why it stopped early, if it did. Only one
    /// kiosk process delivers a queue at a time (an exclusive lock on its folder).
    ///
    /// Receipts wait for a checkpoint that covers their entry (signed about every second): a
    /// kiosk taking a drop-off only fetches those already covered, so it never keeps the
    /// operator waiting; `flush` (`waitForReceipts`) fetches them all.
    private func deliver(_ outbox: KioskQueue, waitForReceipts: Bool = false) async -> String? {
        let lock = open((queue as NSString).appendingPathComponent("deliver.lock"), O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { return "cannot lock the queue" }
        defer { close(lock) }
        // Never wait behind another delivery (it may be stuck on a silent network): the
        // request is queued either way, and the next run delivers it.
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { return "another delivery of this queue is running" }
        let pending: [KioskQueue.Item]
        do {
            pending = try outbox.pending()
            if pending.isEmpty, try outbox.awaitingReceipt().isEmpty { return nil }
        } catch {
            return "\(error)"
        }
        var current: KioskQueue.Item?
        do {
            return try await client.withSession(silenceLimit: .milliseconds(Int64(timeout * 1000))) { connection -> String? in
                for item in pending {
                    current = item
                    // The queue is a file: what it holds is checked again before it goes out
                    // under this token, as one line of the queued kind, carrying its own ref.
                    if let unsafe = Self.unsafeLine(item) {
                        try outbox.refuse(item.id, reason: unsafe, nowMs: WallClock.now())
                        FileDescriptorOutput.writeStderr("ecoledger: refused, not sent: id=\(item.id) ref=\(item.ref): \(unsafe)\n")
                        continue
                    }
                    let reply = try await connection.call(item.line)[0]
                    // An OK names the ref it answers: a reply to anything else means this
                    // connection is out of step, and nothing more is sent or recorded on it.
                    if reply.hasPrefix("OK "), Reply.field("ref", in: reply) != item.ref {
                        let problem = "the reply \(Reply.quote(String(reply.prefix(120)))) does not belong to request ref=\(item.ref); delivery stopped (the request stays queued, and its ref makes a retry safe)"
                        try outbox.attemptFailed(item.id, error: problem)
                        return problem
                    }
                    let code = reply.hasPrefix("ERR ") ? String(reply.dropFirst(4).prefix { $0 != " " }) : nil
                    if let code, Self.transient.contains(code) {
                        try outbox.attemptFailed(item.id, error: reply)
                        return reply
                    }
                    try outbox.answer(item.id, reply: reply, state: code == nil ? .done : .failed, nowMs: WallClock.now())
                }
                current = nil
                // The scheme's zone, for the times `status` shows (every token may read it).
                if let tz = Reply.field("tz", in: (try? await connection.call("SCHEME SHOW"))?.first ?? ""),
                   SchemeState.offsetMinutes(parsing: tz) != nil {
                    try outbox.setSetting("tz", tz)
                }
                // The receipts, once everything is delivered: one checkpoint covers them all.
                let checkpoint = try await connection.call("CHECKPOINT")[0]
                guard checkpoint.hasPrefix("OK "), let signed = Reply.field("size", in: checkpoint).flatMap(Int64.init) else { return nil }
                for item in try outbox.awaitingReceipt() {
                    guard let seq = Reply.field("seq", in: item.reply ?? ""), let number = Int64(seq) else { continue }
                    if number > signed, !waitForReceipts { break }
                    let reply = try await connection.call("RECEIPT \(seq)")[0]
                    guard reply.hasPrefix("OK "), let encoded = Reply.field("proof", in: reply), let bytes = Base64.decode(encoded) else { break }
                    try outbox.keepReceipt(item.id, String(decoding: bytes, as: UTF8.self))
                }
                return nil
            }
        } catch {
            let problem = (error as? CLIFailure).map { failure -> String in
                if case .message(let text) = failure { return text }
                return "\(failure)"
            } ?? "\(error)"
            if let current { try? outbox.attemptFailed(current.id, error: problem) }
            return problem
        }
    }
}
