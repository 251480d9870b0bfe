import LedgerCore

/// The TOKEN family: who may connect, as what.
extension Commands {
    public struct TokenIssue: ProtocolCommand {
        public static let verb = "TOKEN ISSUE"
        public static let usage = "TOKEN ISSUE role=admin|operator|merchant|auditor|witness [point=ID] [merchant=ID]"
        public static let summary = "issue an access token"
        public static let access = Access.admin
        public static let writes = true
        public let role: Role, point: PointID?, merchant: AccountID?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            guard let role = Role(rawValue: try arguments.named("role")) else {
                throw ProtocolError.badArgument("role", "must be admin, operator, merchant, auditor or witness")
            }
            self.role = role
            point = try arguments.optionalIdentifier(named: "point")
            merchant = try arguments.optionalIdentifier(named: "merchant")
        }
    }

    public struct TokenRevoke: ProtocolCommand {
        public static let verb = "TOKEN REVOKE"
        public static let usage = "TOKEN REVOKE TOKEN_ID"
        public static let summary = "revoke a token, at once"
        public static let access = Access.admin
        public static let writes = true
        public let id: TokenID
        public init(parsing arguments: inout Arguments) throws(ProtocolError) { id = try arguments.identifier(positional: "token") }
    }

    public struct TokenList: ProtocolCommand {
        public static let verb = "TOKEN LIST"
        public static let usage = "TOKEN LIST"
        public static let summary = "the tokens (never their secrets)"
        public static let access = Access.adminAndAuditor
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }
}

extension CommandCatalogue {
    /// The TOKEN family, in `HELP`'s order: a command added to this file is listed here, beside it.
    static let tokenFamily: [any ProtocolCommand.Type] = [Commands.TokenIssue.self, Commands.TokenRevoke.self, Commands.TokenList.self]
}
