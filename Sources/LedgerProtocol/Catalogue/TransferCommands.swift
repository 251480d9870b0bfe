import LedgerCore

/// The commands that move points. Each carries its client's ref, so a retry is applied once.
extension Commands {
    public struct Dropoff: QueueableCommand {
        public static let verb = "DROPOFF"
        public static let usage = "DROPOFF ACCOUNT point=ID material=CODE kg=KG ref=ID"
        public static let summary = "credit a resident for a weighed drop-off"
        public static let access = Access.scoped([.admin: .all, .operator: .limited("at its own point")])
        public let dropoff: LedgerCommand.Dropoff
        public var ref: ClientRef { dropoff.ref }
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            dropoff = LedgerCommand.Dropoff(
                account: try arguments.identifier(positional: "account"), point: try arguments.identifier(named: "point"),
                material: try arguments.identifier(named: "material"), grams: try arguments.grams("kg"),
                ref: try arguments.identifier(named: "ref"))
        }
        public func checkScope(of principal: Principal) throws(ProtocolError) {
            if dropoff.point != principal.point {
                throw ProtocolError(.forbidden, "this operator token registers drop-offs at \(principal.point?.rawValue ?? "no point") only")
            }
        }
    }

    public struct Redeem: ProtocolCommand {
        public static let verb = "REDEEM"
        public static let usage = "REDEEM ACCOUNT points=P merchant=ID pin=DIGITS ref=ID"
        public static let summary = "pay a merchant with a resident's points"
        public static let access = Access.scoped([.admin: .all, .merchant: .limited("into its own account")])
        public static let writes = true
        public let spend: LedgerCommand.Spend
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            spend = LedgerCommand.Spend(
                account: try arguments.identifier(positional: "account"), payee: try arguments.identifier(named: "merchant"),
                amount: try arguments.positivePoints("points"), pin: try arguments.pin("pin"), ref: try arguments.identifier(named: "ref"))
        }
        public func checkScope(of principal: Principal) throws(ProtocolError) {
            if spend.payee != principal.merchant {
                throw ProtocolError(.forbidden, "this merchant token redeems into \(principal.merchant?.rawValue ?? "no account") only")
            }
        }
    }

    public struct Donate: ProtocolCommand {
        public static let verb = "DONATE"
        public static let usage = "DONATE ACCOUNT points=P to=ID pin=DIGITS ref=ID"
        public static let summary = "give a resident's points to a pool"
        public static let access = Access.roles([.admin, .operator])
        public static let writes = true
        public let spend: LedgerCommand.Spend
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            spend = LedgerCommand.Spend(
                account: try arguments.identifier(positional: "account"), payee: try arguments.identifier(named: "to"),
                amount: try arguments.positivePoints("points"), pin: try arguments.pin("pin"), ref: try arguments.identifier(named: "ref"))
        }
    }

    public struct Settle: QueueableCommand {
        public static let verb = "SETTLE"
        public static let usage = "SETTLE MERCHANT points=P ref=ID"
        public static let summary = "retire a merchant's points when the city pays it"
        public static let access = Access.admin
        public let merchant: AccountID, amount: Points, ref: ClientRef
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            merchant = try arguments.identifier(positional: "merchant")
            amount = try arguments.positivePoints("points")
            ref = try arguments.identifier(named: "ref")
        }
    }

    public struct Reverse: QueueableCommand {
        public static let verb = "REVERSE"
        public static let usage = "REVERSE SEQ reason=TEXT ref=ID"
        public static let summary = "undo a transfer with a new entry"
        public static let access = Access.admin
        public let seq: Int64, reason: String, ref: ClientRef
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            seq = try arguments.seq(positional: "seq")
            reason = try arguments.text("reason")
            ref = try arguments.identifier(named: "ref")
        }
    }
}

extension CommandCatalogue {
    /// The commands that move points, in `HELP`'s order: a command added to this file is listed here, beside it.
    static let transferFamily: [any ProtocolCommand.Type] = [Commands.Dropoff.self, Commands.Redeem.self, Commands.Donate.self, Commands.Settle.self, Commands.Reverse.self]
}
