import LedgerCore
import LedgerPersistence
import LedgerProtocol

extension Commands.Dropoff: PipelinedHandler {
    var ledgerCommand: LedgerCommand { .dropoff(dropoff) }
    func fields(_ receipt: WriteReceipt) -> Reply.Fields {
        [("points", receipt.entry.body.amount.description)] + Replies.balance(receipt, of: dropoff.account)
    }
}

extension Commands.Settle: PipelinedHandler {
    var ledgerCommand: LedgerCommand { .settle(merchant: merchant, amount: amount, ref: ref) }
    func fields(_ receipt: WriteReceipt) -> Reply.Fields { Replies.balance(receipt, of: merchant) }
}

extension Commands.Reverse: PipelinedHandler {
    var ledgerCommand: LedgerCommand { .reverse(seq: seq, reason: reason, ref: ref) }
    func fields(_ receipt: WriteReceipt) -> Reply.Fields { [("amount", receipt.entry.body.amount.description)] }
}

extension Commands.Redeem: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        try await Spending.run(spend, context) { .redeem($0) }
    }
}

extension Commands.Donate: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        try await Spending.run(spend, context) { .donate($0) }
    }
}

/// REDEEM and DONATE: the PIN is checked on a read thread, counted against the caller's
/// address; the writer only confirms the record is unchanged.
enum Spending {
    static func run(_ spend: LedgerCommand.Spend, _ context: CommandContext,
                    _ command: (LedgerCommand.Spend) -> LedgerCommand) async throws -> Reply {
        var checked = spend
        let services = context.services, key = services.pinKey
        checked.pinKey = key
        // Counted before the PIN work, taken back when the PIN was right.
        guard let attempt = services.pinThrottle.begin(context.peer) else {
            context.logger.warning("PIN check refused: too many wrong PINs from this address", metadata: ["peer": "\(context.peer)"])
            throw ProtocolError(.limitExceeded, "too many wrong PINs from this address; try again later")
        }
        checked.pinCheck = try await context.ledger.read { store in
            // A locked account's PIN is never checked: no answer may tell a right guess from a
            // wrong one while nothing is journaled (and its attempt is not given back).
            if let account = try store.account(spend.account), account.locked { throw PINRefusal.locked(spend.account) }
            guard let record = try store.pinRecord(spend.account) else { return .unchecked }
            return try record.matches(spend.pin, key: key) ? .matched(recordText: record.text) : .rejected(recordText: record.text)
        }
        if case .matched = checked.pinCheck { services.pinThrottle.succeeded(attempt) }
        let receipt = try await context.submit(command(checked))
        return Replies.appended(receipt, Replies.balance(receipt, of: spend.account))
    }
}
