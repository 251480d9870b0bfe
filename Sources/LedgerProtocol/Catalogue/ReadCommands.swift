import LedgerCore

/// What residents, merchants, staff and auditors read: balances, history, entries, the
/// server's counters, alerts, reports and the audit.
extension Commands {
    /// An account's balance or history: an operator may read any account but the `sys:` ones,
    /// a merchant and a resident their own.
    static let accountReaders = Access.scoped([
        .admin: .all, .auditor: .all, .operator: .limited("any account but the sys: ones"),
        .merchant: .limited("its own account"), .resident: .limited("its own account"),
    ])

    static func checkAccountRead(_ account: AccountID, by principal: Principal) throws(ProtocolError) {
        switch principal.role {
        case .operator where account.isSystemReserved:
            throw ProtocolError(.forbidden, "system accounts are for administrators and auditors")
        case .merchant where account != principal.merchant:
            throw ProtocolError(.forbidden, "merchant tokens see their own account only")
        case .resident where account != principal.resident:
            throw ProtocolError(.forbidden, "a resident sees their own account only")
        default:
            return
        }
    }

    public struct Balance: ProtocolCommand {
        public static let verb = "BALANCE"
        public static let usage = "BALANCE ACCOUNT"
        public static let summary = "an account's balance"
        public static let access = accountReaders
        public let account: AccountID
        public init(parsing arguments: inout Arguments) throws(ProtocolError) { account = try arguments.identifier(positional: "account") }
        public func checkScope(of principal: Principal) throws(ProtocolError) { try checkAccountRead(account, by: principal) }
    }

    public struct History: ProtocolCommand {
        public static let verb = "HISTORY"
        public static let usage = "HISTORY ACCOUNT [limit=N] [before=SEQ]"
        public static let summary = "an account's transfers, newest first"
        public static let access = accountReaders
        public static let maxLimit = 1000
        public static let defaultLimit = 50
        public let account: AccountID, limit: Int, before: Int64?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            account = try arguments.identifier(positional: "account")
            limit = try arguments.optionalInteger("limit", in: 1...Int64(Self.maxLimit)).map(Int.init) ?? Self.defaultLimit
            before = try arguments.optionalInteger("before", in: 1...Int64.max)
        }
        public func checkScope(of principal: Principal) throws(ProtocolError) { try checkAccountRead(account, by: principal) }
    }

    public struct EntryRead: ProtocolCommand {
        public static let verb = "ENTRY"
        public static let usage = "ENTRY SEQ"
        public static let summary = "one journal entry, every field"
        public static let access = Access.adminAndAuditor
        public let seq: Int64
        public init(parsing arguments: inout Arguments) throws(ProtocolError) { seq = try arguments.seq(positional: "seq") }
    }

    public struct Head: ProtocolCommand {
        public static let verb = "HEAD"
        public static let usage = "HEAD"
        public static let summary = "the last entry's seq and hash"
        public static let access = Access.adminAndAuditor
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    public struct Audit: ProtocolCommand {
        public static let verb = "AUDIT"
        public static let usage = "AUDIT"
        public static let summary = "verify the whole ledger"
        public static let access = Access.adminAndAuditor
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    public struct Stats: ProtocolCommand {
        public static let verb = "STATS"
        public static let usage = "STATS"
        public static let summary = "the server's counters"
        public static let access = Access.adminAndAuditor
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    /// Fraud signals raised by drop-offs after `since`.
    public struct Alerts: ProtocolCommand {
        public static let verb = "ALERTS"
        public static let usage = "ALERTS [since=SEQ] [limit=N]"
        public static let summary = "fraud signals raised by drop-offs"
        public static let access = Access.adminAndAuditor
        public let since: Int64, limit: Int
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            since = try arguments.optionalInteger("since", in: 0...Int64.max) ?? 0
            limit = try arguments.optionalInteger("limit", in: 1...Int64(History.maxLimit)).map(Int.init) ?? History.defaultLimit
        }
    }

    /// `REPORT [from=DATE] [to=DATE] [by=…]`: the scheme's figures (`LedgerReport`).
    public struct Report: ProtocolCommand {
        public static let verb = "REPORT"
        public static let usage = "REPORT [from=YYYY-MM-DD] [to=YYYY-MM-DD] [by=month|material|point|district]"
        public static let summary = "kilograms diverted and points issued, spent, expired and outstanding"
        public static let access = Access.adminAndAuditor
        public let from: LedgerReport.LocalDate?, to: LedgerReport.LocalDate?, grouping: LedgerReport.Grouping
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            func date(_ name: String) throws(ProtocolError) -> LedgerReport.LocalDate? {
                guard let text = arguments.optionalNamed(name) else { return nil }
                guard let date = LedgerReport.LocalDate(parsing: text) else {
                    throw ProtocolError.badArgument(name, "expected a date YYYY-MM-DD, got \(text.debugDescription)")
                }
                return date
            }
            let from = try date("from"), to = try date("to")
            if let from, let to, from.startMs(offsetMinutes: 0) > to.startMs(offsetMinutes: 0) {
                throw ProtocolError.badArgument("to", "is before from")
            }
            self.from = from
            self.to = to
            grouping = try arguments.optionalNamed("by").map { (text: String) throws(ProtocolError) -> LedgerReport.Grouping in
                guard let grouping = LedgerReport.Grouping(rawValue: text) else {
                    throw ProtocolError.badArgument("by", "must be month, material, point or district")
                }
                return grouping
            } ?? .month
        }
    }
}

extension CommandCatalogue {
    /// The reads, in `HELP`'s order: a command added to this file is listed here, beside it.
    static let readFamily: [any ProtocolCommand.Type] = [Commands.Balance.self, Commands.History.self, Commands.EntryRead.self, Commands.Head.self, Commands.Audit.self, Commands.Stats.self, Commands.Alerts.self, Commands.Report.self]
}
