/// The scheme's own settings (`scheme_set`): the UTC offset its days and months are counted in,
/// the caps on what one resident may earn from drop-offs in a day and in a month, how long
/// points last before they expire, what becomes of holds nobody decided, and the thresholds of
/// the fraud signals.
///
/// Before any `scheme_set` the scheme is `initial`: the Philippines' UTC+08:00, no caps, and
/// points that expire five years (of 365 days) after they were credited, as Quezon City's do.
public struct SchemeState: Hashable, Sendable {
    /// UTC offsets run from −12:00 to +14:00.
    public static let offsetRange = -720...840

    /// Minutes east of UTC.
    public var offsetMinutes: Int
    public var dailyCap: Points?
    public var monthlyCap: Points?
    /// How long after its credit a point expires, in milliseconds.
    public var expiryMs: Int64
    /// What the sweep does with a hold nobody decided in time.
    public var holdAction: HoldState.Decision
    /// The thresholds of `ALERTS`' rules.
    public var alerts: AlertThresholds
    /// The last `scheme_set` (0: none yet).
    public var lastSeq: Int64

    public static let yearMs: Int64 = 365 * 86_400_000
    public static let defaultExpiryMs: Int64 = 5 * yearMs
    /// Expiry runs from one second to 10 years (an audit keeps each resident's credits that long).
    public static let expiryRange: ClosedRange<Int64> = 1_000...(10 * yearMs)

    public init(offsetMinutes: Int, dailyCap: Points?, monthlyCap: Points?, expiryMs: Int64 = defaultExpiryMs,
                holdAction: HoldState.Decision = .voided, alerts: AlertThresholds = .standard, lastSeq: Int64) {
        self.offsetMinutes = offsetMinutes
        self.dailyCap = dailyCap
        self.monthlyCap = monthlyCap
        self.expiryMs = expiryMs
        self.holdAction = holdAction
        self.alerts = alerts
        self.lastSeq = lastSeq
    }

    public static let initial = SchemeState(offsetMinutes: 480, dailyCap: nil, monthlyCap: nil, lastSeq: 0)

    private static let units: [(suffix: Character, ms: Int64)] = [("y", yearMs), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)]

    /// `10s`, `15m`, `12h`, `7d`, `5y` (a year is 365 days): a positive whole number and a unit;
    /// nil for anything else, or outside `expiryRange`.
    public static func durationMs(parsing text: String) -> Int64? {
        guard let unit = text.last, let scale = units.first(where: { $0.suffix == unit })?.ms else { return nil }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), digits.first != "0", digits.count <= 12,
              let count = Int64(digits) else { return nil }
        let (ms, overflow) = count.multipliedReportingOverflow(by: scale)
        return !overflow && expiryRange.contains(ms) ? ms : nil
    }

    /// A duration in the largest unit that divides it exactly.
    public static func durationText(_ ms: Int64) -> String {
        let unit = units.first { ms % $0.ms == 0 } ?? (suffix: "s", ms: 1_000)
        return "\(ms / unit.ms)\(unit.suffix)"
    }

    /// `+08:00`, `-03:30`, `+00:00`.
    public var offsetText: String { Self.offsetText(offsetMinutes) }

    /// `offsetMinutes` as `±HH:MM`.
    public static func offsetText(_ offsetMinutes: Int) -> String {
        let magnitude = abs(offsetMinutes)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return (offsetMinutes < 0 ? "-" : "+") + two(magnitude / 60) + ":" + two(magnitude % 60)
    }

    /// Parses `±HH:MM` within `offsetRange`; nil otherwise.
    public static func offsetMinutes(parsing text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"), bytes[3] == UInt8(ascii: ":"),
              let hours = Int(String(decoding: bytes[1...2], as: UTF8.self)), bytes[1...2].allSatisfy({ (48...57).contains($0) }),
              let minutes = Int(String(decoding: bytes[4...5], as: UTF8.self)), bytes[4...5].allSatisfy({ (48...57).contains($0) }),
              minutes < 60 else { return nil }
        let value = (hours * 60 + minutes) * (bytes[0] == UInt8(ascii: "-") ? -1 : 1)
        return offsetRange.contains(value) ? value : nil
    }
}

/// Days and months in a fixed UTC offset, in integer milliseconds (no Foundation, no time zone
/// database: a scheme's offset is one number, changed by a `scheme_set` when the city needs).
public enum SchemeCalendar {
    static let dayMs: Int64 = 86_400_000

    /// When the local day holding `timeMs` began.
    public static func dayStart(_ timeMs: Int64, offsetMinutes: Int) -> Int64 {
        let offset = Int64(offsetMinutes) * 60_000
        return floorDivide(timeMs + offset, dayMs) * dayMs - offset
    }

    /// When the local month holding `timeMs` began.
    public static func monthStart(_ timeMs: Int64, offsetMinutes: Int) -> Int64 {
        let offset = Int64(offsetMinutes) * 60_000
        let day = floorDivide(timeMs + offset, dayMs)
        let date = CivilDate(days: day)
        return (day - (date.day - 1)) * dayMs - offset
    }

    /// `YYYY-MM-DDTHH:MM±HH:MM`: the minute holding `timeMs` in the offset, for people (ISO 8601).
    public static func localMinute(_ timeMs: Int64, offsetMinutes: Int) -> String {
        let local = timeMs + Int64(offsetMinutes) * 60_000
        let day = floorDivide(local, dayMs)
        let minuteOfDay = (local - day * dayMs) / 60_000
        let date = CivilDate(days: day)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let offset = SchemeState.offsetText(offsetMinutes)
        return "\(date.year)-\(two(date.month))-\(two(date.day))T\(two(minuteOfDay / 60)):\(two(minuteOfDay % 60))\(offset)"
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}

/// A proleptic Gregorian date from days since 1970-01-01 (Howard Hinnant's civil_from_days).
public struct CivilDate: Hashable, Sendable {
    public let year: Int64
    public let month: Int64
    public let day: Int64

    public init(days: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}

/// The caps on what a resident earns, judged for every drop-off (by the writer and the audit
/// alike, from `Effects`). What counts is the points of the resident's drop-offs whose time falls
/// in the same local day (month) as this one; a later reversal does not give the allowance back.
enum CapRules {
    static func check<S: LedgerStorage>(resident: AccountID, amount: Points, at timeMs: Int64, in state: S) throws {
        // Every drop-off passes here: a cap that is not set costs nothing (no calendar, no list).
        let scheme = try state.scheme()
        if let cap = scheme.dailyCap {
            try check(cap, since: SchemeCalendar.dayStart(timeMs, offsetMinutes: scheme.offsetMinutes), period: "daily", when: "today",
                      resident: resident, amount: amount, in: state)
        }
        if let cap = scheme.monthlyCap {
            try check(cap, since: SchemeCalendar.monthStart(timeMs, offsetMinutes: scheme.offsetMinutes), period: "monthly", when: "this month",
                      resident: resident, amount: amount, in: state)
        }
    }

    private static func check<S: LedgerStorage>(_ cap: Points, since: Int64, period: String, when: String,
                                                 resident: AccountID, amount: Points, in state: S) throws {
        let earned = try state.earned(by: resident, since: since)
        guard try earned.adding(amount) <= cap else {
            let left = max(.zero, try cap.subtracting(earned))
            throw LedgerError.limitExceeded("the \(period) cap is \(cap) points: \(resident) may earn \(left) more \(when), this drop-off is \(amount)")
        }
    }
}

/// Points expire the scheme's `expiry` after the credit that brought them, oldest first: a
/// resident's spendable balance is made of lots, one per credit (a held drop-off only once
/// posted, as a lot of its drop-off's age; a voided one never), and whatever the resident spends
/// uses the oldest lot first. So at time T what has expired is what is left of the lots made up to
/// T − expiry: max(0, spendable − the lots after T − expiry). The newer lots are whole, the rest
/// of the spendable balance is old.
public enum ExpiryRules {
    /// What of `account`'s points had expired at `asOf`.
    public static func expired(of account: AccountState, asOf: Int64, in state: some RuleQueries) throws -> Points {
        let scheme = try state.scheme()
        let (cutoff, overflow) = asOf.subtractingReportingOverflow(scheme.expiryMs)
        guard !overflow else { return .zero }
        let recent = try state.credited(to: account.id, after: cutoff).subtracting(state.unpostedHeld(of: account.id, after: cutoff))
        let spendable = try account.balance.subtracting(account.pending)
        return max(.zero, try spendable.subtracting(recent))
    }

    /// When some of `account`'s points next expire, and how many, by the same rule: what has
    /// expired changes only when a lot comes of age, and never goes down while nothing is spent,
    /// so the answer is the first of the account's credit times T (ascending) for which
    /// `expired(asOf: T + expiry)` is above zero, found by bisection. Nil when nothing will.
    /// The same, from the account's credits (time and points) stepped oldest first in journal
    /// order, and `totalCredited`, the points of all of them. Only as many credits are stepped
    /// as the answer needs: prefixes of 1, 2, 4… credits (each closed on a millisecond) until
    /// one ends in a credit whose lot would have expired, so that the first such credit is in
    /// it, or in one that never comes of age (its time plus the expiry overflows, as for every
    /// later one), then the bisection over that prefix. What was credited after a time within
    /// the prefix is the total less the credits up to it, so no step asks the store again. A
    /// resident who has not spent is answered after two credits (the first, and the next to
    /// show its millisecond is whole); one who spent most, after about twice as many as the
    /// lots used up (a BALANCE stepped through all of a resident's thousands before). The total
    /// is `totalCredited(to:totalDebited:)`.
    public static func next(of account: AccountState, totalCredited: Points,
                            creditsOldestFirst nextCredit: () throws -> (timeMs: Int64, points: Points)?,
                            in state: some RuleQueries) throws -> (points: Points, expiresMs: Int64)? {
        var read = CreditPrefix(base: state, account: account.id, total: totalCredited, settings: try state.scheme())
        var ahead = try nextCredit()
        var wanted = 1
        while ahead != nil {
            // Every credit of the last one's millisecond too: what was credited after it is
            // then the total less what was read.
            while let credit = ahead, read.times.count < wanted || credit.timeMs == read.times.last {
                try read.append(credit)
                ahead = try nextCredit()
            }
            guard ahead != nil, let last = read.times.last else { break }
            // Lots come of age in credit order: if the last one read never does, none after it.
            let (asOf, overflow) = last.addingReportingOverflow(read.settings.expiryMs)
            if try overflow || expired(of: account, asOf: asOf, in: read) > .zero { break }
            wanted *= 2
        }
        return try next(of: account, creditTimes: read.times, in: read)
    }

    /// `base`, except that one account's credits after a time up to the last one read are
    /// answered from memory: the total less the points read up to that time (every credit of
    /// a millisecond read is read whole, and entry times never go backwards).
    private struct CreditPrefix<Base: RuleQueries>: RuleQueries {
        let base: Base
        let account: AccountID
        let total: Points
        /// Read once: every step of the bisection asks for it.
        let settings: SchemeState
        private(set) var times: [Int64] = []
        /// `upTo[i]`: the points of credits `0...i`.
        private var upTo: [Points] = []

        init(base: Base, account: AccountID, total: Points, settings: SchemeState) {
            self.base = base
            self.account = account
            self.total = total
            self.settings = settings
        }

        mutating func append(_ credit: (timeMs: Int64, points: Points)) throws {
            upTo.append(try (upTo.last ?? .zero).adding(credit.points))
            times.append(credit.timeMs)
        }

        func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
            guard account == self.account, let last = times.last, timeMs <= last else {
                return try base.credited(to: account, after: timeMs)
            }
            let later = ExpiryRules.firstIndex(in: times, after: timeMs)
            return try total.subtracting(later == 0 ? .zero : upTo[later - 1])
        }

        func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points { try base.unpostedHeld(of: account, after: timeMs) }
        func scheme() throws -> SchemeState { settings }
        func earned(by account: AccountID, since timeMs: Int64) throws -> Points { try base.earned(by: account, since: timeMs) }
    }

    /// All that was ever credited to `account`, from what it holds and all it was ever debited:
    /// points reach or leave an account only as an entry's credit or debit (`Effects.transfer`
    /// moves `amount` from `debit` to `credit`, and nothing else changes a balance), and every
    /// account opens at zero, so its credits sum to its balance (pending points included) plus
    /// its debits. A store sums a resident's debits, which are few, not their credits, which are
    /// one per drop-off.
    public static func totalCredited(to account: AccountState, totalDebited: Points) throws -> Points {
        try account.balance.adding(totalDebited)
    }

    /// The index of the first of `times` (ascending) after `timeMs`; `times.count` when none is.
    static func firstIndex(in times: [Int64], after timeMs: Int64) -> Int {
        var low = 0, high = times.count
        while low < high {
            let middle = low + (high - low) / 2
            if times[middle] > timeMs { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// The bisection over `creditTimes` (ascending) described above. Credits whose time plus
    /// the expiry overflows never come of age and are left out first: among them the test
    /// would turn false again, and a bisection needs it to stay true once it is.
    public static func next(of account: AccountState, creditTimes: [Int64], in state: some RuleQueries) throws -> (points: Points, expiresMs: Int64)? {
        let expiryMs = try state.scheme().expiryMs
        let end = expiryMs > 0 ? firstIndex(in: creditTimes, after: Int64.max - expiryMs) : creditTimes.count
        func expiring(at index: Int) throws -> (Points, Int64)? {
            let (asOf, overflow) = creditTimes[index].addingReportingOverflow(expiryMs)
            guard !overflow else { return nil }
            let points = try expired(of: account, asOf: asOf, in: state)
            return points > .zero ? (points, asOf) : nil
        }
        var low = 0, high = end
        while low < high {
            let middle = low + (high - low) / 2
            if try expiring(at: middle) != nil { high = middle } else { low = middle + 1 }
        }
        return low < end ? try expiring(at: low) : nil
    }
}
