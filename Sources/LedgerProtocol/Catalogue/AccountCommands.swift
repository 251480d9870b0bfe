import LedgerCore

/// The ACCOUNT family: opening, reading, PINs, locks, closing, erasing and renaming accounts.
extension Commands {
    public struct AccountOpen: ProtocolCommand {
        public static let verb = "ACCOUNT OPEN"
        public static let usage = "ACCOUNT OPEN ID kind=resident|merchant|beneficiary name=TEXT [district=TEXT] [pin=DIGITS] [min_redeem=POINTS]"
        public static let summary = "open an account"
        public static let access = Access.scoped([.admin: .all, .operator: .limited("residents only")])
        public static let writes = true
        public let id: AccountID, kind: AccountKind, name: String, district: String?, pin: PIN?, minRedeem: Points?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            id = try arguments.identifier(positional: "account")
            guard let kind = AccountKind(rawValue: try arguments.named("kind")), kind != .system else {
                throw ProtocolError.badArgument("kind", "must be resident, merchant or beneficiary")
            }
            self.kind = kind
            name = try arguments.text("name")
            district = try arguments.optionalText("district")
            pin = try arguments.optionalPIN("pin")
            minRedeem = try arguments.optionalPositivePoints("min_redeem")
        }
        public func checkScope(of principal: Principal) throws(ProtocolError) {
            if principal.role == .operator, kind != .resident { throw ProtocolError(.forbidden, "operators open resident accounts only") }
        }
    }

    public struct AccountShow: ProtocolCommand {
        public static let verb = "ACCOUNT SHOW"
        public static let usage = "ACCOUNT SHOW ID"
        public static let summary = "an account, with a resident's name from their profile"
        public static let access = Access.admin
        public let id: AccountID
        public init(parsing arguments: inout Arguments) throws(ProtocolError) { id = try arguments.identifier(positional: "account") }
    }

    /// `old`: the current PIN, which a resident changing their own must give.
    public struct AccountPIN: ProtocolCommand {
        public static let verb = "ACCOUNT PIN"
        public static let usage = "ACCOUNT PIN ID pin=DIGITS [old=DIGITS]"
        public static let summary = "set a resident's PIN"
        public static let access = Access.scoped([.admin: .all, .resident: .limited("its own account, giving the current PIN (old=)")])
        public static let writes = true
        public let id: AccountID, pin: PIN, old: PIN?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            id = try arguments.identifier(positional: "account")
            pin = try arguments.pin("pin")
            old = try arguments.optionalPIN("old")
        }
        public func checkScope(of principal: Principal) throws(ProtocolError) {
            guard id == principal.resident, old != nil else {
                throw ProtocolError(.forbidden, "a resident changes their own PIN only, giving the current one: ACCOUNT PIN ID old=PIN pin=NEW")
            }
        }
    }

    public struct AccountUnlock: ProtocolCommand {
        public static let verb = "ACCOUNT UNLOCK"
        public static let usage = "ACCOUNT UNLOCK ID"
        public static let summary = "lift the lock after 5 wrong PINs"
        public static let access = Access.admin
        public static let writes = true
        public let id: AccountID
        public init(parsing arguments: inout Arguments) throws(ProtocolError) { id = try arguments.identifier(positional: "account") }
    }

    public struct AccountClose: ProtocolCommand {
        public static let verb = "ACCOUNT CLOSE"
        public static let usage = "ACCOUNT CLOSE ID reason=TEXT"
        public static let summary = "close an account for good (a resident's points are forfeited)"
        public static let access = Access.admin
        public static let writes = true
        public let id: AccountID, reason: String
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            id = try arguments.identifier(positional: "account")
            reason = try arguments.text("reason")
        }
    }

    /// `ACCOUNT ERASE ID reason=TEXT`: a closed resident's profile erased for good.
    public struct AccountErase: ProtocolCommand {
        public static let verb = "ACCOUNT ERASE"
        public static let usage = "ACCOUNT ERASE ID reason=TEXT"
        public static let summary = "erase a closed resident's name and district"
        public static let access = Access.admin
        public static let writes = true
        public let id: AccountID, reason: String
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            id = try arguments.identifier(positional: "account")
            reason = try arguments.text("reason")
        }
    }

    /// `ACCOUNT RENAME ID name=TEXT [district=TEXT]`: merchants and pools.
    public struct AccountRename: ProtocolCommand {
        public static let verb = "ACCOUNT RENAME"
        public static let usage = "ACCOUNT RENAME ID name=TEXT [district=TEXT]"
        public static let summary = "correct a merchant's or pool's name or district"
        public static let access = Access.admin
        public static let writes = true
        public let id: AccountID, name: String, district: String?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            id = try arguments.identifier(positional: "account")
            name = try arguments.text("name")
            district = try arguments.optionalText("district")
        }
    }
}

extension CommandCatalogue {
    /// The ACCOUNT family, in `HELP`'s order: a command added to this file is listed here, beside it.
    static let accountFamily: [any ProtocolCommand.Type] = [Commands.AccountOpen.self, Commands.AccountShow.self, Commands.AccountPIN.self, Commands.AccountUnlock.self, Commands.AccountClose.self, Commands.AccountErase.self, Commands.AccountRename.self]
}
