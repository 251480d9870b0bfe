import LedgerCore
import LedgerProtocol

/// Which principal may run which command: the role matrix of docs/PROTOCOL.md, as one table.
///
/// Each `Rule` names a command, how it is written, what it does and which roles may use it,
/// some only within a scope (an operator's own point, a merchant's or resident's own account).
/// `check` enforces the table and `help` lists it, so `HELP` can never promise what the server
/// refuses. Before `AUTH`, only the commands of `anyone` run; RECEIPT is further limited per
/// entry (`CommandExecutor.checkReceiptAccess`), POST by operators per drop-off.
public enum AccessPolicy {
    /// One command of the protocol.
    public struct Rule: Sendable {
        /// The verb as `Command.verb` spells it (`ACCOUNT OPEN`).
        public let verb: String
        /// Its arguments, as docs/PROTOCOL.md writes them.
        public let usage: String
        public let summary: String
        let access: [Role: Scope]
        /// The refusal for every role not listed, when it says more than the default.
        let refusal: String?

        init(_ verb: String, _ usage: String, _ summary: String, _ access: [Role: Scope], refusal: String? = nil) {
            self.verb = verb
            self.usage = usage
            self.summary = summary
            self.access = access
            self.refusal = refusal
        }

        /// What `role` may do with it: nil when nothing, else the scope's description (empty
        /// for no limit).
        public func scope(for role: Role) -> String? {
            access[role].map { $0.description }
        }
    }

    /// How far a role may use a command.
    enum Scope: Sendable {
        case all
        /// Only within `description`, which `check` enforces on the command's arguments (or
        /// which the executor enforces per entry, when `check` is nil).
        case limited(String, (@Sendable (Command, Principal) throws(ProtocolError) -> Void)?)

        var description: String {
            switch self {
            case .all: ""
            case .limited(let description, _): description
            }
        }
    }

    /// The commands that need no AUTH.
    static let anyone: Set<String> = ["PING", "HELLO", "AUTH", "QUIT", "HELP"]

    private static let tokenRoles: [Role] = [.admin, .operator, .merchant, .auditor, .witness]
    private static func roles(_ roles: [Role], _ scope: Scope = .all) -> [Role: Scope] {
        Dictionary(uniqueKeysWithValues: roles.map { ($0, scope) })
    }
    private static let admin = roles([.admin])

    private static func forbid(_ why: String) -> ProtocolError { ProtocolError(.forbidden, why) }

    /// The scope of reading one account: an operator any but the `sys:` ones, a merchant and a
    /// resident their own.
    private static let readAccount: [Role: Scope] = [
        .admin: .all, .auditor: .all,
        .operator: .limited("any account but the sys: ones", { command, _ throws(ProtocolError) in
            if case .balance(let account) = command, account.isSystemReserved { throw forbid("system accounts are for administrators and auditors") }
            if case .history(let account, _, _) = command, account.isSystemReserved { throw forbid("system accounts are for administrators and auditors") }
        }),
        .merchant: .limited("its own account", { command, principal throws(ProtocolError) in
            if accountRead(command) != principal.merchant { throw forbid("merchant tokens see their own account only") }
        }),
        .resident: .limited("its own account", { command, principal throws(ProtocolError) in
            if accountRead(command) != principal.resident { throw forbid("a resident sees their own account only") }
        }),
    ]

    private static func accountRead(_ command: Command) -> AccountID? {
        switch command {
        case .balance(let account), .history(let account, _, _): account
        default: nil
        }
    }

    /// Every command, grouped as the role matrix of docs/PROTOCOL.md is.
    public static let rules: [Rule] = [
        Rule("PING", "PING", "check the connection", [:]),
        Rule("HELLO", "HELLO [1]", "the protocol version", [:]),
        Rule("AUTH", "AUTH TOKEN | AUTH RESIDENT ID pin=DIGITS", "log in with a token, or as a resident with their PIN", [:]),
        Rule("QUIT", "QUIT", "close the connection", [:]),
        Rule("HELP", "HELP [COMMAND]", "what you may do here, or one command's arguments", [:]),
        Rule("ACCOUNT OPEN", "ACCOUNT OPEN ID kind=resident|merchant|beneficiary name=TEXT [district=TEXT] [pin=DIGITS] [min_redeem=POINTS]",
             "open an account", [.admin: .all, .operator: .limited("residents only", { command, _ throws(ProtocolError) in
                 if case .accountOpen(_, let kind, _, _, _, _) = command, kind != .resident { throw forbid("operators open resident accounts only") }
             })]),
        Rule("ACCOUNT SHOW", "ACCOUNT SHOW ID", "an account, with a resident's name from their profile", admin),
        Rule("ACCOUNT PIN", "ACCOUNT PIN ID pin=DIGITS [old=DIGITS]", "set a resident's PIN",
             [.admin: .all, .resident: .limited("its own account, giving the current PIN (old=)", { command, principal throws(ProtocolError) in
                 guard case .accountPIN(let account, _, let old) = command, account == principal.resident, old != nil else {
                     throw forbid("a resident changes their own PIN only, giving the current one: ACCOUNT PIN ID old=PIN pin=NEW")
                 }
             })]),
        Rule("ACCOUNT UNLOCK", "ACCOUNT UNLOCK ID", "lift the lock after 5 wrong PINs", admin),
        Rule("ACCOUNT CLOSE", "ACCOUNT CLOSE ID reason=TEXT", "close an account for good (a resident's points are forfeited)", admin),
        Rule("ACCOUNT ERASE", "ACCOUNT ERASE ID reason=TEXT", "erase a closed resident's name and district", admin),
        Rule("ACCOUNT RENAME", "ACCOUNT RENAME ID name=TEXT [district=TEXT]", "correct a merchant's or pool's name or district", admin),
        Rule("POINT ADD", "POINT ADD ID name=TEXT [district=TEXT]", "add a collection point", admin),
        Rule("POINT CLOSE", "POINT CLOSE ID", "close a collection point", admin),
        Rule("POINT RENAME", "POINT RENAME ID name=TEXT [district=TEXT]", "correct a collection point's name or district", admin),
        Rule("POINT LIST", "POINT LIST", "the collection points", roles([.admin, .auditor])),
        Rule("MATERIAL SET", "MATERIAL SET CODE rate=POINTS_PER_KG [name=TEXT] [min_kg=KG] [max_kg=KG] [hold=DURATION|0]",
             "add a material or change its rate, limits or hold", admin),
        Rule("MATERIAL LIST", "MATERIAL LIST", "the materials and their rates", roles([.admin, .operator, .auditor])),
        Rule("TOKEN ISSUE", "TOKEN ISSUE role=admin|operator|merchant|auditor|witness [point=ID] [merchant=ID]", "issue an access token", admin),
        Rule("TOKEN REVOKE", "TOKEN REVOKE TOKEN_ID", "revoke a token, at once", admin),
        Rule("TOKEN LIST", "TOKEN LIST", "the tokens (never their secrets)", roles([.admin, .auditor])),
        Rule("SCHEME SHOW", "SCHEME SHOW", "the scheme's settings", roles(tokenRoles)),
        Rule("SCHEME SET", "SCHEME SET [tz=±HH:MM] [daily_cap=POINTS|none] [monthly_cap=POINTS|none] [expiry=DURATION] [hold_action=void|post] "
             + "[alert_weight_factor=N] [alert_points=N] [alert_repeats=N] [alert_surge_factor=N]", "change the scheme's settings", admin),
        Rule("EXPIRE", "EXPIRE", "move expired points to sys:forfeit now", admin),
        Rule("POST", "POST SEQ", "make a held drop-off's points spendable",
             [.admin: .all, .operator: .limited("drop-offs of its own point", nil)]),
        Rule("VOID", "VOID SEQ reason=TEXT", "cancel a held drop-off", admin),
        Rule("DROPOFF", "DROPOFF ACCOUNT point=ID material=CODE kg=KG ref=ID", "credit a resident for a weighed drop-off",
             [.admin: .all, .operator: .limited("at its own point", { command, principal throws(ProtocolError) in
                 if case .dropoff(let dropoff) = command, dropoff.point != principal.point {
                     throw forbid("this operator token registers drop-offs at \(principal.point?.rawValue ?? "no point") only")
                 }
             })]),
        Rule("REDEEM", "REDEEM ACCOUNT points=P merchant=ID pin=DIGITS ref=ID", "pay a merchant with a resident's points",
             [.admin: .all, .merchant: .limited("into its own account", { command, principal throws(ProtocolError) in
                 if case .redeem(let spend) = command, spend.payee != principal.merchant {
                     throw forbid("this merchant token redeems into \(principal.merchant?.rawValue ?? "no account") only")
                 }
             })]),
        Rule("DONATE", "DONATE ACCOUNT points=P to=ID pin=DIGITS ref=ID", "give a resident's points to a pool", roles([.admin, .operator])),
        Rule("SETTLE", "SETTLE MERCHANT points=P ref=ID", "retire a merchant's points when the city pays it", admin),
        Rule("REVERSE", "REVERSE SEQ reason=TEXT ref=ID", "undo a transfer with a new entry", admin),
        Rule("BALANCE", "BALANCE ACCOUNT", "an account's balance", readAccount),
        Rule("HISTORY", "HISTORY ACCOUNT [limit=N] [before=SEQ]", "an account's transfers, newest first", readAccount),
        Rule("ENTRY", "ENTRY SEQ", "one journal entry, every field", roles([.admin, .auditor])),
        Rule("HEAD", "HEAD", "the last entry's seq and hash", roles([.admin, .auditor])),
        Rule("AUDIT", "AUDIT", "verify the whole ledger", roles([.admin, .auditor])),
        Rule("STATS", "STATS", "the server's counters", roles([.admin, .auditor])),
        Rule("ALERTS", "ALERTS [since=SEQ] [limit=N]", "fraud signals raised by drop-offs", roles([.admin, .auditor])),
        Rule("REPORT", "REPORT [from=YYYY-MM-DD] [to=YYYY-MM-DD] [by=month|material|point|district]",
             "kilograms diverted and points issued, spent, expired and outstanding", roles([.admin, .auditor])),
        Rule("CHECKPOINT", "CHECKPOINT", "the latest signed checkpoint", roles(tokenRoles)),
        Rule("CONSISTENCY", "CONSISTENCY OLD NEW", "a consistency proof between two tree sizes", roles(tokenRoles)),
        Rule("RECEIPT", "RECEIPT SEQ", "a verifiable receipt of one entry",
             [.admin: .all, .auditor: .all,
              .operator: .limited("entries of its own point, and its own", nil),
              .merchant: .limited("entries that debit or credit its account, and its own", nil),
              .resident: .limited("entries that debit or credit its account", nil)]),
        Rule("COSIGN", "COSIGN SIZE name=NAME signature=BASE64", "a witness's cosignature of a checkpoint", roles([.witness]),
             refusal: "only witness tokens hand in cosignatures"),
    ]

    private static let byVerb = Dictionary(uniqueKeysWithValues: rules.map { ($0.verb, $0) })

    /// The rule of a verb (`HELP ACCOUNT OPEN`).
    public static func rule(_ verb: String) -> Rule? { byVerb[verb] }

    public static func check(_ command: Command, by principal: Principal?) throws(ProtocolError) {
        let verb = command.verb
        if anyone.contains(verb) { return }
        guard let principal else {
            throw ProtocolError(.notAuthenticated, "\(verb) needs AUTH first")
        }
        guard let rule = byVerb[verb] else { throw ProtocolError(.internalError, "no access rule for \(verb)") }
        switch rule.access[principal.role] {
        case .all:
            return
        case .limited(_, let check):
            try check?(command, principal)
        case nil:
            if let refusal = rule.refusal { throw forbid(refusal) }
            switch principal.role {
            case .witness: throw forbid("witness tokens read checkpoints and consistency proofs and hand in cosignatures only")
            case .resident: throw forbid("a resident's session allows BALANCE, HISTORY and RECEIPT of their own account and ACCOUNT PIN, nothing else")
            default: throw forbid("\(principal.role.rawValue) tokens may not use \(verb)")
            }
        }
    }

    /// What `principal` may run, in table order: the rules with the scope of each (empty for no
    /// limit). Before AUTH, the commands that need none.
    public static func help(for principal: Principal?) -> [(rule: Rule, scope: String)] {
        rules.compactMap { rule in
            if anyone.contains(rule.verb) { return (rule, "") }
            guard let role = principal?.role, let scope = rule.scope(for: role) else { return nil }
            return (rule, scope)
        }
    }
}
