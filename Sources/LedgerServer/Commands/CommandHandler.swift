import LedgerCore
import LedgerPersistence
import LedgerProtocol
import Logging

/// What a handler works with: who is asking, from where, and the server's parts. No channel,
/// no socket: a handler runs the same under a test as behind a connection.
struct CommandContext: Sendable {
    let principal: Principal?
    /// The client's IP address, for the per-address PIN and AUTH budgets.
    let peer: String
    let services: ServerServices

    var ledger: LedgerGateway { services.gateway }
    var tokens: TokenRegistry { services.tokens }
    var logger: Logger { services.logger }
    var now: Int64 { services.clock() }
    /// The actor the journal records for this principal's entries.
    var actor: Actor { principal?.actor ?? Actor(unchecked: "anonymous") }

    /// Appends through the single writer, as this principal.
    func submit(_ command: LedgerCommand) async throws -> WriteReceipt {
        try await ledger.submit(LedgerRequest(actor: actor, command: command))
    }
}

/// A command the server runs: the catalogue's type, extended with how it is handled.
/// Errors thrown are `ReplyingError`s (or become `INTERNAL`, logged).
protocol CommandHandler: ProtocolCommand {
    func handle(_ context: CommandContext) async throws -> Reply
}

/// A command that changes the session itself (AUTH, QUIT, a resident's own PIN change): its
/// outcome says how, and `SessionMachine` applies it.
protocol SessionHandler: ProtocolCommand {
    func handle(_ context: CommandContext) async throws -> SessionOutcome
}

/// What a session command did: a reply and what it changes in the session, or a failed AUTH,
/// whose words depend on how many failed before (`SessionMachine.authFailed`).
enum SessionOutcome: Sendable {
    enum Event: Sendable {
        case loggedIn(Principal)
        /// A resident logged in with their PIN record as it was, and the head at that moment.
        case residentLoggedIn(AccountID, record: String, since: Int64)
        /// The session's resident changed their own PIN: it carries on with the new record.
        case residentPINChanged(record: String)
        case quit
    }
    case reply(Reply, then: Event?)
    case authFailed(SessionMachine.AuthFailure)
}

/// A `QueueableCommand` as the server runs it: handed to the writer as soon as it is read,
/// with no work before the write, and answered from its receipt.
protocol PipelinedHandler: QueueableCommand, CommandHandler {
    var ledgerCommand: LedgerCommand { get }
    /// The command's own reply fields, from its receipt.
    func fields(_ receipt: WriteReceipt) -> Reply.Fields
}

extension PipelinedHandler {
    /// Queues the write at once, in call order.
    func enqueue(as principal: Principal?, on ledger: LedgerGateway) -> QueuedTransfer {
        let actor = principal?.actor ?? Actor(unchecked: "anonymous")
        let ticket = ledger.enqueue(LedgerRequest(actor: actor, command: ledgerCommand))
        return QueuedTransfer(ticket: ticket, verb: verb) { receipt in Replies.appended(receipt, fields(receipt)) }
    }

    func handle(_ context: CommandContext) async throws -> Reply {
        let queued = enqueue(as: context.principal, on: context.ledger)
        return queued.shape(try await queued.ticket.result.get())
    }
}

/// A transfer handed to the writer queue, and how to answer it from its receipt.
struct QueuedTransfer: Sendable {
    let ticket: WriteTicket
    let verb: String
    let shape: @Sendable (WriteReceipt) -> Reply
}
