import LedgerCore

/// A request of protocol v1, decoded and validated: what a session executes.
public enum Command: Sendable {
    case ping
    case hello(version: Int?)
    case auth(secret: String)
    /// `AUTH RESIDENT ID pin=PIN`: a resident's own session.
    case authResident(AccountID, pin: PIN)
    case quit
    /// `HELP [COMMAND]`: what the caller may run, or one command's arguments.
    case help(String?)
    case accountOpen(id: AccountID, kind: AccountKind, name: String, district: String?, pin: PIN?, minRedeem: Points?)
    case accountShow(AccountID)
    /// `old`: the current PIN, which a resident changing their own must give.
    case accountPIN(AccountID, PIN, old: PIN?)
    case accountUnlock(AccountID)
    case accountClose(AccountID, reason: String)
    /// `ACCOUNT ERASE ID reason=TEXT`: a closed resident's profile erased for good.
    case accountErase(AccountID, reason: String)
    case pointAdd(PointID, name: String, district: String?)
    case pointClose(PointID)
    /// `POINT RENAME ID name=TEXT [district=TEXT]`.
    case pointRename(PointID, name: String, district: String?)
    /// `ACCOUNT RENAME ID name=TEXT [district=TEXT]`: merchants and pools.
    case accountRename(AccountID, name: String, district: String?)
    case pointList
    /// `holdMs`: nil keeps the current hold, `.some(nil)` (`hold=0`) removes it.
    case materialSet(MaterialCode, rate: Points, name: String?, minGrams: Grams?, maxGrams: Grams?, holdMs: Int64??)
    case materialList
    case tokenIssue(role: Role, point: PointID?, merchant: AccountID?)
    case tokenRevoke(TokenID)
    case tokenList
    case dropoff(LedgerCommand.Dropoff)
    case redeem(LedgerCommand.Spend)
    case donate(LedgerCommand.Spend)
    case settle(merchant: AccountID, amount: Points, ref: ClientRef)
    case reverse(seq: Int64, reason: String, ref: ClientRef)
    case balance(AccountID)
    case history(AccountID, limit: Int, before: Int64?)
    case entry(Int64)
    case head
    case audit
    case stats
    /// The latest signed checkpoint, with witnesses' cosignatures.
    case checkpoint
    /// nil leaves a setting as it is; `.some(nil)` clears a cap.
    case schemeSet(offsetMinutes: Int?, dailyCap: Points??, monthlyCap: Points??, expiryMs: Int64?, holdAction: HoldState.Decision?,
                   alerts: [AlertThresholds.Setting: Int64] = [:])
    /// Makes a held drop-off's points spendable.
    case post(seq: Int64)
    /// Cancels a held drop-off.
    case void(seq: Int64, reason: String)
    /// The expiry sweep, now.
    case expire
    case schemeShow
    /// Fraud signals raised by drop-offs after `since`.
    case alerts(since: Int64, limit: Int)
    /// `REPORT [from=DATE] [to=DATE] [by=…]`: the scheme's figures (`LedgerReport`).
    case report(from: LedgerReport.LocalDate?, to: LedgerReport.LocalDate?, by: LedgerReport.Grouping)
    /// The RFC 6962 consistency proof between two tree sizes.
    case consistency(old: Int64, new: Int64)
    /// A tlog-proof receipt for one entry.
    case receipt(Int64)
    /// A witness's cosignature of the checkpoint of `size`: the signature line's name and base64 payload.
    case cosign(size: Int64, name: String, signature: String)

    /// The verb as the protocol spells it, for logs, statistics and access rules.
    public var verb: String {
        switch self {
        case .ping: "PING"
        case .hello: "HELLO"
        case .auth, .authResident: "AUTH"
        case .quit: "QUIT"
        case .help: "HELP"
        case .accountOpen: "ACCOUNT OPEN"
        case .accountShow: "ACCOUNT SHOW"
        case .accountPIN: "ACCOUNT PIN"
        case .accountUnlock: "ACCOUNT UNLOCK"
        case .accountClose: "ACCOUNT CLOSE"
        case .accountErase: "ACCOUNT ERASE"
        case .pointAdd: "POINT ADD"
        case .pointClose: "POINT CLOSE"
        case .pointRename: "POINT RENAME"
        case .accountRename: "ACCOUNT RENAME"
        case .pointList: "POINT LIST"
        case .materialSet: "MATERIAL SET"
        case .materialList: "MATERIAL LIST"
        case .tokenIssue: "TOKEN ISSUE"
        case .tokenRevoke: "TOKEN REVOKE"
        case .tokenList: "TOKEN LIST"
        case .dropoff: "DROPOFF"
        case .redeem: "REDEEM"
        case .donate: "DONATE"
        case .settle: "SETTLE"
        case .reverse: "REVERSE"
        case .balance: "BALANCE"
        case .history: "HISTORY"
        case .entry: "ENTRY"
        case .head: "HEAD"
        case .audit: "AUDIT"
        case .stats: "STATS"
        case .checkpoint: "CHECKPOINT"
        case .schemeSet: "SCHEME SET"
        case .schemeShow: "SCHEME SHOW"
        case .alerts: "ALERTS"
        case .report: "REPORT"
        case .expire: "EXPIRE"
        case .post: "POST"
        case .void: "VOID"
        case .consistency: "CONSISTENCY"
        case .receipt: "RECEIPT"
        case .cosign: "COSIGN"
        }
    }

    /// Whether executing it appends to the journal (goes through the single writer).
    public var isWrite: Bool {
        switch self {
        case .accountOpen, .accountPIN, .accountUnlock, .accountClose, .accountErase, .schemeSet, .expire, .post, .void, .pointAdd, .pointClose, .pointRename, .accountRename, .materialSet, .tokenIssue, .tokenRevoke,
             .dropoff, .redeem, .donate, .settle, .reverse:
            true
        default:
            false
        }
    }
}
