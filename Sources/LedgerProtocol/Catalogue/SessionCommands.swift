import LedgerCore

/// The commands anyone may send, before AUTH: the connection's own business.
public enum Commands {}

extension Commands {
    public struct Ping: ProtocolCommand {
        public static let verb = "PING"
        public static let usage = "PING"
        public static let summary = "check the connection"
        public static let access = Access.anyone
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    public struct Hello: ProtocolCommand {
        public static let verb = "HELLO"
        public static let usage = "HELLO [1]"
        public static let summary = "the protocol version"
        public static let access = Access.anyone
        public let version: Int?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            let version = try arguments.optionalPositional("version")
            guard version == nil || version == "1" else { throw ProtocolError(.badArgument, "version: this server speaks protocol 1 only") }
            self.version = version.map { _ in 1 }
        }
    }

    /// `AUTH TOKEN`, or `AUTH RESIDENT ID pin=PIN`: a resident's own session.
    public struct Auth: ProtocolCommand {
        public static let verb = "AUTH"
        public static let usage = "AUTH TOKEN | AUTH RESIDENT ID pin=DIGITS"
        public static let summary = "log in with a token, or as a resident with their PIN"
        public static let access = Access.anyone
        public enum Credential: Sendable {
            case token(secret: String)
            case resident(AccountID, pin: PIN)
        }
        public let credential: Credential
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            let first = try arguments.positional("token")
            if LineTokenizer.asciiUppercased(first) == "RESIDENT", let account = try arguments.optionalPositional("account") {
                let id = try Arguments.convert("account") { () throws(LedgerError) in try AccountID(account) }
                credential = .resident(id, pin: try arguments.pin("pin"))
            } else {
                credential = .token(secret: first)
            }
        }
    }

    public struct Quit: ProtocolCommand {
        public static let verb = "QUIT"
        public static let usage = "QUIT"
        public static let summary = "close the connection"
        public static let access = Access.anyone
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    /// `HELP [COMMAND]`: what the caller may run, or one command's arguments.
    public struct Help: ProtocolCommand {
        public static let verb = "HELP"
        public static let usage = "HELP [COMMAND]"
        public static let summary = "what you may do here, or one command's arguments"
        public static let access = Access.anyone
        public let topic: String?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            // `HELP`, `HELP DROPOFF`, `HELP ACCOUNT OPEN`: a verb of one or two words, any case.
            var words: [String] = []
            while words.count < 2, let word = try arguments.optionalPositional("command") { words.append(LineTokenizer.asciiUppercased(word)) }
            topic = words.isEmpty ? nil : words.joined(separator: " ")
        }
    }
}

extension CommandCatalogue {
    /// The commands anyone may send, in `HELP`'s order: a command added to this file is listed here, beside it.
    static let sessionFamily: [any ProtocolCommand.Type] = [Commands.Ping.self, Commands.Hello.self, Commands.Auth.self, Commands.Quit.self, Commands.Help.self]
}
