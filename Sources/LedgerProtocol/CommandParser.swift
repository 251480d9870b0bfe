import LedgerCore

/// Decodes a tokenized line into a `Command`, validating every argument with the core's types.
///
/// Missing, unknown and malformed arguments are `BAD_ARGUMENT` naming the argument; an unknown
/// verb (or sub-verb) is `UNKNOWN_COMMAND`.
public enum CommandParser {
    public static let maxHistoryLimit = 1000
    public static let defaultHistoryLimit = 50

    public static func parse(_ line: ParsedLine) throws(ProtocolError) -> Command {
        var arguments = Arguments(line: line)
        let command: Command
        switch line.verb {
        case "PING": command = .ping
        case "HELP":
            // `HELP`, `HELP DROPOFF`, `HELP ACCOUNT OPEN`: a verb of one or two words, any case.
            var words: [String] = []
            while words.count < 2, let word = try arguments.optionalPositional("command") { words.append(LineTokenizer.asciiUppercased(word)) }
            command = .help(words.isEmpty ? nil : words.joined(separator: " "))
        case "QUIT": command = .quit
        case "HEAD": command = .head
        case "EXPIRE": command = .expire
        case "POST": command = .post(seq: try arguments.seq(positional: "seq"))
        case "VOID": command = .void(seq: try arguments.seq(positional: "seq"), reason: try arguments.text("reason"))
        case "AUDIT": command = .audit
        case "STATS": command = .stats
        case "HELLO":
            let version = try arguments.optionalPositional("version")
            guard version == nil || version == "1" else { throw ProtocolError(.badArgument, "version: this server speaks protocol 1 only") }
            command = .hello(version: version.map { _ in 1 })
        case "AUTH":
            let first = try arguments.positional("token")
            if LineTokenizer.asciiUppercased(first) == "RESIDENT", let account = try arguments.optionalPositional("account") {
                let id = try Arguments.convert("account") { () throws(LedgerError) in try AccountID(account) }
                command = .authResident(id, pin: try arguments.pin("pin"))
            } else {
                command = .auth(secret: first)
            }
        case "ACCOUNT", "POINT", "MATERIAL", "TOKEN", "SCHEME":
            command = try parseGroup(line.verb, &arguments)
        case "DROPOFF":
            command = .dropoff(LedgerCommand.Dropoff(
                account: try arguments.identifier(positional: "account"), point: try arguments.identifier(named: "point"),
                material: try arguments.identifier(named: "material"), grams: try arguments.grams("kg"),
                ref: try arguments.identifier(named: "ref")))
        case "REDEEM":
            command = .redeem(LedgerCommand.Spend(
                account: try arguments.identifier(positional: "account"), payee: try arguments.identifier(named: "merchant"),
                amount: try arguments.positivePoints("points"), pin: try arguments.pin("pin"), ref: try arguments.identifier(named: "ref")))
        case "DONATE":
            command = .donate(LedgerCommand.Spend(
                account: try arguments.identifier(positional: "account"), payee: try arguments.identifier(named: "to"),
                amount: try arguments.positivePoints("points"), pin: try arguments.pin("pin"), ref: try arguments.identifier(named: "ref")))
        case "SETTLE":
            command = .settle(merchant: try arguments.identifier(positional: "merchant"), amount: try arguments.positivePoints("points"),
                              ref: try arguments.identifier(named: "ref"))
        case "REVERSE":
            command = .reverse(seq: try arguments.seq(positional: "seq"), reason: try arguments.text("reason"),
                               ref: try arguments.identifier(named: "ref"))
        case "BALANCE":
            command = .balance(try arguments.identifier(positional: "account"))
        case "HISTORY":
            let account: AccountID = try arguments.identifier(positional: "account")
            let limit = try arguments.optionalInteger("limit", in: 1...Int64(maxHistoryLimit)).map(Int.init) ?? defaultHistoryLimit
            let before = try arguments.optionalInteger("before", in: 1...Int64.max)
            command = .history(account, limit: limit, before: before)
        case "REPORT":
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
            let by = try arguments.optionalNamed("by").map { (text: String) throws(ProtocolError) -> LedgerReport.Grouping in
                guard let grouping = LedgerReport.Grouping(rawValue: text) else {
                    throw ProtocolError.badArgument("by", "must be month, material, point or district")
                }
                return grouping
            } ?? .month
            command = .report(from: from, to: to, by: by)
        case "ALERTS":
            let since = try arguments.optionalInteger("since", in: 0...Int64.max) ?? 0
            let limit = try arguments.optionalInteger("limit", in: 1...Int64(maxHistoryLimit)).map(Int.init) ?? defaultHistoryLimit
            command = .alerts(since: since, limit: limit)
        case "ENTRY":
            command = .entry(try arguments.seq(positional: "seq"))
        case "CHECKPOINT":
            command = .checkpoint
        case "CONSISTENCY":
            let old = try arguments.size(positional: "old")
            let new = try arguments.size(positional: "new")
            guard old <= new else { throw ProtocolError.badArgument("old", "must not be above new") }
            command = .consistency(old: old, new: new)
        case "RECEIPT":
            command = .receipt(try arguments.seq(positional: "seq"))
        case "COSIGN":
            let size = try arguments.size(positional: "size")
            let name = try arguments.named("name")
            let signature = try arguments.named("signature")
            guard !name.isEmpty, name.utf8.count <= 200, !name.unicodeScalars.contains(where: { $0 == "+" || $0.properties.isWhitespace }) else {
                throw ProtocolError.badArgument("name", "a witness name has no spaces or +")
            }
            guard signature.utf8.count <= 200, signature.utf8.allSatisfy({ byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
            }) else { throw ProtocolError.badArgument("signature", "expected base64") }
            command = .cosign(size: size, name: name, signature: signature)
        default:
            throw ProtocolError(.unknownCommand, "unknown command \(line.verb.debugDescription)")
        }
        try arguments.checkAllUsed()
        return command
    }

    private static func parseGroup(_ group: String, _ arguments: inout Arguments) throws(ProtocolError) -> Command {
        guard let sub = try arguments.optionalPositional("subcommand").map(LineTokenizer.asciiUppercased) else {
            throw ProtocolError(.unknownCommand, "\(group) needs a subcommand")
        }
        switch (group, sub) {
        case ("ACCOUNT", "OPEN"):
            let id: AccountID = try arguments.identifier(positional: "account")
            guard let kind = AccountKind(rawValue: try arguments.named("kind")), kind != .system else {
                throw ProtocolError.badArgument("kind", "must be resident, merchant or beneficiary")
            }
            return .accountOpen(id: id, kind: kind, name: try arguments.text("name"), district: try arguments.optionalText("district"),
                                pin: try arguments.optionalPIN("pin"), minRedeem: try arguments.optionalPositivePoints("min_redeem"))
        case ("ACCOUNT", "SHOW"): return .accountShow(try arguments.identifier(positional: "account"))
        case ("ACCOUNT", "PIN"):
            return .accountPIN(try arguments.identifier(positional: "account"), try arguments.pin("pin"), old: try arguments.optionalPIN("old"))
        case ("ACCOUNT", "UNLOCK"): return .accountUnlock(try arguments.identifier(positional: "account"))
        case ("ACCOUNT", "CLOSE"): return .accountClose(try arguments.identifier(positional: "account"), reason: try arguments.text("reason"))
        case ("ACCOUNT", "ERASE"): return .accountErase(try arguments.identifier(positional: "account"), reason: try arguments.text("reason"))
        case ("POINT", "ADD"):
            return .pointAdd(try arguments.identifier(positional: "point"), name: try arguments.text("name"),
                             district: try arguments.optionalText("district"))
        case ("POINT", "CLOSE"): return .pointClose(try arguments.identifier(positional: "point"))
        case ("POINT", "RENAME"):
            return .pointRename(try arguments.identifier(positional: "point"), name: try arguments.text("name"),
                                district: try arguments.optionalText("district"))
        case ("ACCOUNT", "RENAME"):
            return .accountRename(try arguments.identifier(positional: "account"), name: try arguments.text("name"),
                                  district: try arguments.optionalText("district"))
        case ("POINT", "LIST"): return .pointList
        case ("MATERIAL", "SET"):
            let hold = try arguments.optionalNamed("hold").map { (text: String) throws(ProtocolError) -> Int64? in
                if text == "0" { return nil }
                guard let ms = SchemeState.durationMs(parsing: text), MaterialState.holdRange.contains(ms) else {
                    throw ProtocolError.badArgument("hold", "must be 0 (no hold) or a duration such as 7d, from 1s to 90d")
                }
                return ms
            }
            return .materialSet(try arguments.identifier(positional: "material"), rate: try arguments.positivePoints("rate"),
                                name: try arguments.optionalText("name"), minGrams: try arguments.optionalGrams("min_kg"),
                                maxGrams: try arguments.optionalGrams("max_kg"), holdMs: hold)
        case ("MATERIAL", "LIST"): return .materialList
        case ("TOKEN", "ISSUE"):
            guard let role = Role(rawValue: try arguments.named("role")) else {
                throw ProtocolError.badArgument("role", "must be admin, operator, merchant, auditor or witness")
            }
            return .tokenIssue(role: role, point: try arguments.optionalIdentifier(named: "point"),
                               merchant: try arguments.optionalIdentifier(named: "merchant"))
        case ("TOKEN", "REVOKE"): return .tokenRevoke(try arguments.identifier(positional: "token"))
        case ("TOKEN", "LIST"): return .tokenList
        case ("SCHEME", "SHOW"): return .schemeShow
        case ("SCHEME", "SET"):
            let offset = try arguments.optionalNamed("tz").map { (text: String) throws(ProtocolError) -> Int in
                guard let minutes = SchemeState.offsetMinutes(parsing: text) else {
                    throw ProtocolError.badArgument("tz", "must be a UTC offset ±HH:MM from -12:00 to +14:00, such as +08:00")
                }
                return minutes
            }
            let daily = try arguments.optionalCap("daily_cap"), monthly = try arguments.optionalCap("monthly_cap")
            let expiry = try arguments.optionalNamed("expiry").map { (text: String) throws(ProtocolError) -> Int64 in
                guard let ms = SchemeState.durationMs(parsing: text) else {
                    throw ProtocolError.badArgument("expiry", "must be a duration such as 30d or 5y (units s, m, h, d, y of 365 days), from 1s to 10y")
                }
                return ms
            }
            let action = try arguments.optionalNamed("hold_action").map { (text: String) throws(ProtocolError) -> HoldState.Decision in
                guard let action = HoldState.Decision(action: text) else { throw ProtocolError.badArgument("hold_action", "must be void or post") }
                return action
            }
            var alerts: [AlertThresholds.Setting: Int64] = [:]
            for setting in AlertThresholds.Setting.allCases {
                guard let text = arguments.optionalNamed(setting.rawValue) else { continue }
                let range = setting.range
                guard text.utf8.count <= 3, text.utf8.allSatisfy({ (48...57).contains($0) }), text.first != "0",
                      let value = Int64(text), range.contains(value) else {
                    throw ProtocolError.badArgument(setting.rawValue, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
                alerts[setting] = value
            }
            guard offset != nil || daily != nil || monthly != nil || expiry != nil || action != nil || !alerts.isEmpty else {
                throw ProtocolError.badArgument("SCHEME SET", "give at least one of tz, daily_cap, monthly_cap, expiry, hold_action, "
                                                + AlertThresholds.Setting.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return .schemeSet(offsetMinutes: offset, dailyCap: daily, monthlyCap: monthly, expiryMs: expiry, holdAction: action, alerts: alerts)
        default:
            throw ProtocolError(.unknownCommand, "unknown command \("\(group) \(sub)".debugDescription)")
        }
    }
}

/// Typed access to a line's arguments that remembers which were used, so extras are refused.
private struct Arguments {
    private var positional: [String]
    private var named: [String: String]
    private var used: Set<String> = []

    init(line: ParsedLine) {
        positional = line.positional
        named = line.named
    }

    mutating func optionalPositional(_ name: String) throws(ProtocolError) -> String? {
        positional.isEmpty ? nil : positional.removeFirst()
    }

    mutating func positional(_ name: String) throws(ProtocolError) -> String {
        guard let value = try optionalPositional(name) else { throw ProtocolError.badArgument(name, "missing") }
        return value
    }

    mutating func optionalNamed(_ name: String) -> String? {
        guard let value = named[name] else { return nil }
        used.insert(name)
        return value
    }

    mutating func named(_ name: String) throws(ProtocolError) -> String {
        guard let value = optionalNamed(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    mutating func identifier<ID: LedgerIdentifier>(positional name: String) throws(ProtocolError) -> ID {
        let text = try positional(name)
        return try Self.convert(name) { () throws(LedgerError) in try ID(text) }
    }

    mutating func identifier<ID: LedgerIdentifier>(named name: String) throws(ProtocolError) -> ID {
        let text = try named(name)
        return try Self.convert(name) { () throws(LedgerError) in try ID(text) }
    }

    mutating func optionalIdentifier<ID: LedgerIdentifier>(named name: String) throws(ProtocolError) -> ID? {
        guard let text = optionalNamed(name) else { return nil }
        return try Self.convert(name) { () throws(LedgerError) in try ID(text) }
    }

    mutating func seq(positional name: String) throws(ProtocolError) -> Int64 {
        let text = try positional(name)
        guard let value = Int64(text), value >= 1, String(value) == text else { throw ProtocolError.badArgument(name, "expected an entry number ≥ 1") }
        return value
    }

    /// A tree size: a whole number ≥ 0 without leading zeros.
    mutating func size(positional name: String) throws(ProtocolError) -> Int64 {
        let text = try positional(name)
        guard let value = Int64(text), value >= 0, String(value) == text else { throw ProtocolError.badArgument(name, "expected a tree size ≥ 0") }
        return value
    }

    mutating func optionalInteger(_ name: String, in range: ClosedRange<Int64>) throws(ProtocolError) -> Int64? {
        guard let text = optionalNamed(name) else { return nil }
        guard let value = Int64(text), range.contains(value), String(value) == text else {
            throw ProtocolError.badArgument(name, "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    mutating func optionalText(_ name: String) throws(ProtocolError) -> String? {
        guard let text = optionalNamed(name) else { return nil }
        return try Self.convert(name) { () throws(LedgerError) in try FreeText.validate(text, argument: name) }
    }

    mutating func text(_ name: String) throws(ProtocolError) -> String {
        guard let value = try optionalText(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    mutating func optionalPositivePoints(_ name: String) throws(ProtocolError) -> Points? {
        guard let text = optionalNamed(name) else { return nil }
        let points = try Self.convert(name) { () throws(LedgerError) in try Points(parsing: text) }
        guard points > .zero else { throw ProtocolError.badArgument(name, "must be positive") }
        return points
    }

    /// A cap: positive points, or `none` to clear it (`.some(nil)`); nil when absent.
    mutating func optionalCap(_ name: String) throws(ProtocolError) -> Points?? {
        if optionalNamed(name) == "none" { return .some(nil) }
        guard let points = try optionalPositivePoints(name) else { return nil }
        return .some(points)
    }

    mutating func positivePoints(_ name: String) throws(ProtocolError) -> Points {
        guard let value = try optionalPositivePoints(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    mutating func optionalGrams(_ name: String) throws(ProtocolError) -> Grams? {
        guard let text = optionalNamed(name) else { return nil }
        return try Self.convert(name) { () throws(LedgerError) in try Grams(parsingKilograms: text) }
    }

    mutating func grams(_ name: String) throws(ProtocolError) -> Grams {
        guard let value = try optionalGrams(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    mutating func optionalPIN(_ name: String) throws(ProtocolError) -> PIN? {
        guard let text = optionalNamed(name) else { return nil }
        return try Self.convert(name) { () throws(LedgerError) in try PIN(text) }
    }

    mutating func pin(_ name: String) throws(ProtocolError) -> PIN {
        guard let value = try optionalPIN(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    func checkAllUsed() throws(ProtocolError) {
        if let extra = positional.first { throw ProtocolError.badArgument(extra, "unexpected argument") }
        if let unknown = Set(named.keys).subtracting(used).sorted().first {
            throw ProtocolError.badArgument(unknown, "unknown argument for this command")
        }
    }

    /// Runs a core validation, reporting its failure as a bad argument named `name`.
    static func convert<T>(_ name: String, _ body: () throws(LedgerError) -> T) throws(ProtocolError) -> T {
        do {
            return try body()
        } catch {
            switch error {
            case .invalid(_, let why): throw ProtocolError.badArgument(name, why)
            default: throw ProtocolError.badArgument(name, error.message)
            }
        }
    }
}
