import LedgerCore

/// The scheme's settings, and what happens to points over time: holds and expiry.
extension Commands {
    public struct SchemeShow: ProtocolCommand {
        public static let verb = "SCHEME SHOW"
        public static let usage = "SCHEME SHOW"
        public static let summary = "the scheme's settings"
        public static let access = Access.tokenRoles
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    /// nil leaves a setting as it is; `.some(nil)` clears a cap.
    public struct SchemeSet: ProtocolCommand {
        public static let verb = "SCHEME SET"
        public static let usage = "SCHEME SET [tz=±HH:MM] [daily_cap=POINTS|none] [monthly_cap=POINTS|none] [expiry=DURATION] [hold_action=void|post] "
            + "[alert_weight_factor=N] [alert_points=N] [alert_repeats=N] [alert_surge_factor=N]"
        public static let summary = "change the scheme's settings"
        public static let access = Access.admin
        public static let writes = true
        public let offsetMinutes: Int?, dailyCap: Points??, monthlyCap: Points??, expiryMs: Int64?, holdAction: HoldState.Decision?
        public let alerts: [AlertThresholds.Setting: Int64]
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            offsetMinutes = try arguments.optionalNamed("tz").map { (text: String) throws(ProtocolError) -> Int in
                guard let minutes = SchemeState.offsetMinutes(parsing: text) else {
                    throw ProtocolError.badArgument("tz", "must be a UTC offset ±HH:MM from -12:00 to +14:00, such as +08:00")
                }
                return minutes
            }
            dailyCap = try arguments.optionalCap("daily_cap")
            monthlyCap = try arguments.optionalCap("monthly_cap")
            expiryMs = try arguments.optionalNamed("expiry").map { (text: String) throws(ProtocolError) -> Int64 in
                guard let ms = SchemeState.durationMs(parsing: text) else {
                    throw ProtocolError.badArgument("expiry", "must be a duration such as 30d or 5y (units s, m, h, d, y of 365 days), from 1s to 10y")
                }
                return ms
            }
            holdAction = try arguments.optionalNamed("hold_action").map { (text: String) throws(ProtocolError) -> HoldState.Decision in
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
            self.alerts = alerts
            guard offsetMinutes != nil || dailyCap != nil || monthlyCap != nil || expiryMs != nil || holdAction != nil || !alerts.isEmpty else {
                throw ProtocolError.badArgument("SCHEME SET", "give at least one of tz, daily_cap, monthly_cap, expiry, hold_action, "
                                                + AlertThresholds.Setting.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
    }

    /// The expiry sweep, now.
    public struct Expire: ProtocolCommand {
        public static let verb = "EXPIRE"
        public static let usage = "EXPIRE"
        public static let summary = "move expired points to sys:forfeit now"
        public static let access = Access.admin
        public static let writes = true
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    /// Makes a held drop-off's points spendable. An operator's scope (its own point's
    /// drop-offs) depends on the entry, so the handler checks it.
    public struct PostHold: ProtocolCommand {
        public static let verb = "POST"
        public static let usage = "POST SEQ"
        public static let summary = "make a held drop-off's points spendable"
        public static let access = Access.scoped([.admin: .all, .operator: .limited("drop-offs of its own point")])
        public static let writes = true
        public let seq: Int64
        public init(parsing arguments: inout Arguments) throws(ProtocolError) { seq = try arguments.seq(positional: "seq") }
    }

    /// Cancels a held drop-off.
    public struct VoidHold: ProtocolCommand {
        public static let verb = "VOID"
        public static let usage = "VOID SEQ reason=TEXT"
        public static let summary = "cancel a held drop-off"
        public static let access = Access.admin
        public static let writes = true
        public let seq: Int64, reason: String
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            seq = try arguments.seq(positional: "seq")
            reason = try arguments.text("reason")
        }
    }
}

extension CommandCatalogue {
    /// The scheme, holds and expiry, in `HELP`'s order: a command added to this file is listed here, beside it.
    static let schemeFamily: [any ProtocolCommand.Type] = [Commands.SchemeShow.self, Commands.SchemeSet.self, Commands.Expire.self, Commands.PostHold.self, Commands.VoidHold.self]
}
