import LedgerCore
import LedgerPersistence
import LedgerProtocol

/// How writes are answered, the same for every command that appends.
enum Replies {
    /// The reply to a write: `seq`, the command's own fields, `hash`, the entry's `ref` when it
    /// has one, and `replayed=1` for a retry.
    ///
    /// A retry is answered without `balance=`: that would be today's balance, not the entry's,
    /// and a replay must not tell the caller anything its first attempt did not. The `ref` lets
    /// a client check that a reply belongs to its request (a kiosk delivering a queue does).
    static func appended(_ receipt: WriteReceipt, _ extra: Reply.Fields = []) -> Reply {
        let extra = receipt.replayed ? extra.filter { $0.0 != "balance" } : extra
        var fields: Reply.Fields = [("seq", String(receipt.entry.seq))] + extra + [("hash", receipt.entry.hash.hex)]
        if let ref = receipt.entry.body.ref { fields.append(("ref", ref.rawValue)) }
        if receipt.replayed { fields.append(("replayed", "1")) }
        return .ok(fields)
    }

    /// `balance=` of one of the entry's accounts, as the receipt found it.
    static func balance(_ receipt: WriteReceipt, of account: AccountID) -> Reply.Fields {
        [("balance", (receipt.balances[account] ?? .zero).description)]
    }
}
