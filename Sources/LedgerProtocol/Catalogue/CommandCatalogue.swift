import LedgerCore

/// Every command of protocol v1, in the order of docs/PROTOCOL.md's role matrix (and of
/// `HELP`): the families, each listed in the file that declares its commands. The parser finds a
/// line's command here; nothing else lists verbs.
public enum CommandCatalogue {
    public static let all: [any ProtocolCommand.Type] = sessionFamily + accountFamily + pointMaterialFamily + tokenFamily + schemeFamily
        + transferFamily + readFamily + transparencyFamily

    private static let byVerb = Dictionary(uniqueKeysWithValues: all.map { ($0.verb, $0) })
    /// The first words of two-word verbs (`ACCOUNT`, `POINT`…).
    private static let groups = Set(all.compactMap { $0.verb.split(separator: " ").count == 2 ? String($0.verb.split(separator: " ")[0]) : nil })

    /// The command of a verb (`HELP ACCOUNT OPEN`).
    public static func command(_ verb: String) -> (any ProtocolCommand.Type)? { byVerb[verb] }

    /// The commands a kiosk may queue (`QueueableCommand`).
    public static var queueable: [String] { all.filter { $0.queueable }.map { $0.verb } }

    /// Decodes a tokenized line into its command, validating every argument with the core's
    /// types. Missing, unknown and malformed arguments are `BAD_ARGUMENT` naming the argument;
    /// an unknown verb (or sub-verb) is `UNKNOWN_COMMAND`.
    public static func parse(_ line: ParsedLine) throws(ProtocolError) -> any ProtocolCommand {
        var arguments = Arguments(line: line)
        let type: any ProtocolCommand.Type
        if let single = byVerb[line.verb] {
            type = single
        } else if groups.contains(line.verb) {
            guard let sub = try arguments.optionalPositional("subcommand").map(LineTokenizer.asciiUppercased) else {
                throw ProtocolError(.unknownCommand, "\(line.verb) needs a subcommand")
            }
            guard let found = byVerb["\(line.verb) \(sub)"] else {
                throw ProtocolError(.unknownCommand, "unknown command \("\(line.verb) \(sub)".debugDescription)")
            }
            type = found
        } else {
            throw ProtocolError(.unknownCommand, "unknown command \(line.verb.debugDescription)")
        }
        let command = try type.init(parsing: &arguments)
        try arguments.checkAllUsed()
        return command
    }

    /// What `principal` may run, in catalogue order, with the scope of each (empty for no
    /// limit). Before AUTH, the commands that need none.
    public static func allowed(for principal: Principal?) -> [(command: any ProtocolCommand.Type, scope: String)] {
        all.compactMap { command in
            if command.access.anyone { return (command, "") }
            guard let role = principal?.role, let scope = command.access.scope(for: role) else { return nil }
            return (command, scope.description)
        }
    }
}
