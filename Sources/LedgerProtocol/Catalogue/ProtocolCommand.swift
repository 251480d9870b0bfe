import LedgerCore

/// One command of protocol v1, declared in one place: how it is written, what it does, who may
/// send it and how its line decodes. A value of the type is the request, decoded and validated.
///
/// `CommandCatalogue` lists every type; the parser, `HELP`, the access check and the role
/// matrix all derive from those declarations, so no verb is written twice. The server adds
/// each command's handler in an extension of the same type (LedgerServer/Handlers).
public protocol ProtocolCommand: Sendable {
    /// The verb as the protocol spells it (`ACCOUNT OPEN`): one word, or a group and a word.
    static var verb: String { get }
    /// Its arguments, as docs/PROTOCOL.md writes them.
    static var usage: String { get }
    /// What it does, in a few words, for `HELP`.
    static var summary: String { get }
    /// Who may send it, and how far.
    static var access: Access { get }
    /// Whether running it appends to the journal (through the single writer).
    static var writes: Bool { get }
    /// Whether it is a `QueueableCommand`.
    static var queueable: Bool { get }
    /// Decodes the arguments after the verb, in the order the documentation gives them (the
    /// first problem found is the one reported); the catalogue refuses any left unused.
    init(parsing arguments: inout Arguments) throws(ProtocolError)
    /// For a role whose access is `.limited`: refuses what lies outside the scope, from the
    /// arguments alone. Scopes that depend on an entry are checked by the handler instead.
    func checkScope(of principal: Principal) throws(ProtocolError)
}

extension ProtocolCommand {
    public static var writes: Bool { false }
    public static var queueable: Bool { false }
    public func checkScope(of principal: Principal) throws(ProtocolError) {}
    /// The verb of this request.
    public var verb: String { Self.verb }
    public var writes: Bool { Self.writes }
}

/// A command that moves points without a PIN and carries its client's ref: a kiosk may queue
/// it (a retry is applied once), and the server hands it to the writer as soon as it is read,
/// so one connection can pipeline a whole group commit.
public protocol QueueableCommand: ProtocolCommand {
    var ref: ClientRef { get }
}

extension QueueableCommand {
    public static var writes: Bool { true }
    public static var queueable: Bool { true }
}

/// Who may send a command: the roles allowed, each without limit or within a scope.
public struct Access: Sendable {
    /// How far one role may use a command.
    public enum Scope: Sendable, Equatable {
        case all
        /// Only within what the description says, which the command's `checkScope(of:)` (or,
        /// for a scope that depends on an entry, its handler) enforces.
        case limited(String)

        /// Empty for no limit.
        public var description: String {
            switch self {
            case .all: ""
            case .limited(let description): description
            }
        }
    }

    /// Runs before AUTH, for everyone.
    public let anyone: Bool
    let scopes: [Role: Scope]
    /// The refusal for every role not listed, when it says more than the default.
    let refusal: String?

    /// The commands that need no AUTH: PING, HELLO, AUTH, QUIT, HELP.
    public static let anyone = Access(anyone: true, scopes: [:], refusal: nil)

    /// `roles` without limit.
    public static func roles(_ roles: [Role], refusal: String? = nil) -> Access {
        Access(anyone: false, scopes: Dictionary(uniqueKeysWithValues: roles.map { ($0, .all) }), refusal: refusal)
    }

    /// Each role with its scope.
    public static func scoped(_ scopes: [Role: Scope]) -> Access {
        Access(anyone: false, scopes: scopes, refusal: nil)
    }

    public static let admin = roles([.admin])
    /// Every role a token can have (not a resident's session).
    public static let tokenRoles = roles([.admin, .operator, .merchant, .auditor, .witness])
    public static let adminAndAuditor = roles([.admin, .auditor])

    /// What `role` may do: nil when nothing, else the scope.
    public func scope(for role: Role) -> Scope? {
        scopes[role]
    }

    /// May `principal` run `command`? Refusals are `NOT_AUTHENTICATED` before AUTH and
    /// `FORBIDDEN` after, with the reason.
    public static func check(_ command: some ProtocolCommand, by principal: Principal?) throws(ProtocolError) {
        let access = type(of: command).access
        if access.anyone { return }
        guard let principal else { throw ProtocolError(.notAuthenticated, "\(command.verb) needs AUTH first") }
        switch access.scopes[principal.role] {
        case .all:
            return
        case .limited:
            try command.checkScope(of: principal)
        case nil:
            if let refusal = access.refusal { throw ProtocolError(.forbidden, refusal) }
            switch principal.role {
            case .witness: throw ProtocolError(.forbidden, "witness tokens read checkpoints and consistency proofs and hand in cosignatures only")
            case .resident: throw ProtocolError(.forbidden, "a resident's session allows BALANCE, HISTORY and RECEIPT of their own account and ACCOUNT PIN, nothing else")
            default: throw ProtocolError(.forbidden, "\(principal.role.rawValue) tokens may not use \(command.verb)")
            }
        }
    }
}
