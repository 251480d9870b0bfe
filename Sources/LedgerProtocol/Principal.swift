import LedgerCore

/// Who a connection has authenticated as: a token (its id, its role and what the role is bound
/// to), or a resident who proved their PIN (`AUTH RESIDENT`).
public struct Principal: Sendable, Equatable {
    /// The token; nil for a resident's session.
    public let token: TokenID?
    public let role: Role
    /// An operator's collection point.
    public let point: PointID?
    /// A merchant token's account.
    public let merchant: AccountID?
    /// A resident session's own account.
    public let resident: AccountID?

    public init(token: TokenID, role: Role, point: PointID?, merchant: AccountID?) {
        self.token = token
        self.role = role
        self.point = point
        self.merchant = merchant
        resident = nil
    }

    private init(resident: AccountID) {
        token = nil
        role = .resident
        point = nil
        merchant = nil
        self.resident = resident
    }

    /// A resident's session on their own account.
    public static func resident(_ account: AccountID) -> Principal { Principal(resident: account) }

    /// The actor recorded in the journal entries this principal causes: the token's id, or the
    /// fixed actor `resident` (the entry names the account).
    public var actor: Actor { token.map { Actor(unchecked: $0.rawValue) } ?? .resident }
}
