import LedgerCore

/// Who a connection has authenticated as: a token's id, its role and what the role is bound to.
public struct Principal: Sendable, Equatable {
    public let token: TokenID
    public let role: Role
    /// An operator's collection point.
    public let point: PointID?
    /// A merchant token's account.
    public let merchant: AccountID?

    public init(token: TokenID, role: Role, point: PointID?, merchant: AccountID?) {
        self.token = token
        self.role = role
        self.point = point
        self.merchant = merchant
    }

    /// The actor recorded in the journal entries this principal causes.
    public var actor: Actor { Actor(unchecked: token.rawValue) }
}
