/// What a city reports of its scheme (`ecoledger report`, `REPORT`): kilograms diverted and the
/// points issued, redeemed, donated, settled, expired, forfeited and still outstanding, by local
/// month, material, collection point or district, all derived from the journal.
///
/// Figures are **net, in the period a movement happened**: a drop-off reversed (or a held one
/// voided) in a later month counts in its own month and is taken back in the later one, so no
/// published month ever changes, and the sums over months equal the ledger's balances.
public struct LedgerReport: Sendable, Equatable {
    /// The report's span: `fromMs` included, `toMs` excluded.
    public let fromMs: Int64
    public let toMs: Int64
    /// The scheme's UTC offset, in which months and dates are counted.
    public let offsetMinutes: Int
    /// Every local month of the span, oldest first, with its figures; `outstanding` as of the
    /// month's end (or the span's, for the last).
    public var months: [Group]
    /// Grams per material per month (the chart of what was collected).
    public var gramsByMonthAndMaterial: [String: [String: Int64]]
    /// Drop-off figures (grams, drop-offs, issued) by material, collection point, and the
    /// point's district: spending does not belong to a material or a place.
    public var materials: [Group]
    public var points: [Group]
    public var districts: [Group]
    /// The whole span, `outstanding` as of its end.
    public var total: Figures

    public init(fromMs: Int64, toMs: Int64, offsetMinutes: Int, months: [Group], gramsByMonthAndMaterial: [String: [String: Int64]],
                materials: [Group], points: [Group], districts: [Group], total: Figures) {
        self.fromMs = fromMs
        self.toMs = toMs
        self.offsetMinutes = offsetMinutes
        self.months = months
        self.gramsByMonthAndMaterial = gramsByMonthAndMaterial
        self.materials = materials
        self.points = points
        self.districts = districts
        self.total = total
    }

    /// One row: a month, material, point or district, and its figures.
    public struct Group: Sendable, Equatable {
        public let key: String
        public var figures: Figures

        public init(key: String, figures: Figures) {
            self.key = key
            self.figures = figures
        }
    }

    /// How the table of a report is grouped.
    public enum Grouping: String, CaseIterable, Sendable {
        case month, material, point, district
    }

    public func groups(_ grouping: Grouping) -> [Group] {
        switch grouping {
        case .month: months
        case .material: materials
        case .point: points
        case .district: districts
        }
    }

    /// The figures of one group. Arithmetic is checked: overflow is an error, never a wrap.
    public struct Figures: Sendable, Equatable {
        public var grams: Int64 = 0
        public var dropoffs: Int64 = 0
        public var issued = Points.zero
        public var redeemed = Points.zero
        public var donated = Points.zero
        public var settled = Points.zero
        public var expired = Points.zero
        public var forfeited = Points.zero
        /// Residents' points at the end of the group's time (months and totals only).
        public var outstanding: Points?

        public init() {}

        /// Adds (or, with `sign` −1, takes back) one drop-off.
        mutating func dropoff(grams: Int64, amount: Points, sign: Int64) throws {
            self.grams = try Self.checked(self.grams, grams, sign)
            dropoffs = try Self.checked(dropoffs, 1, sign)
            issued = try sign > 0 ? issued.adding(amount) : issued.subtracting(amount)
        }

        static func checked(_ value: Int64, _ delta: Int64, _ sign: Int64) throws -> Int64 {
            let (product, overflowProduct) = delta.multipliedReportingOverflow(by: sign)
            let (sum, overflowSum) = value.addingReportingOverflow(product)
            guard !overflowProduct, !overflowSum else { throw LedgerError.limitExceeded("a report figure overflows") }
            return sum
        }
    }

    /// One journal entry that moves points, as a report classifies it.
    public struct Movement: Sendable {
        public let timeMs: Int64
        public let kind: EntryKind
        public let amount: Points
        /// For a reversal or a void: the kind of the entry it undoes.
        public let undoes: EntryKind?
        /// The drop-off's (or the undone drop-off's) grams, material and point.
        public let grams: Int64?
        public let material: String?
        public let point: String?
        /// +amount when it credits a resident, −amount when it debits one, else 0.
        public let residentDelta: Int64

        public init(timeMs: Int64, kind: EntryKind, amount: Points, undoes: EntryKind?, grams: Int64?, material: String?, point: String?,
                    residentDelta: Int64) {
            self.timeMs = timeMs
            self.kind = kind
            self.amount = amount
            self.undoes = undoes
            self.grams = grams
            self.material = material
            self.point = point
            self.residentDelta = residentDelta
        }
    }

    /// Builds the report from the movements of the span, fed in seq order (`add`), without
    /// keeping them: memory grows with months, materials and points, not entries.
    public struct Builder {
        let fromMs: Int64, toMs: Int64, offsetMinutes: Int
        let opening: Points
        /// Each collection point's district.
        let districts: [String: String]
        var months: [String: Figures] = [:]
        /// Residents' points gained (or lost) per month.
        var residentDeltas: [String: Int64] = [:]
        var gramsByMonthAndMaterial: [String: [String: Int64]] = [:]
        var materials: [String: Figures] = [:], points: [String: Figures] = [:], districtFigures: [String: Figures] = [:]
        var total = Figures()

        public init(fromMs: Int64, toMs: Int64, offsetMinutes: Int, opening: Points, districts: [String: String]) {
            self.fromMs = fromMs
            self.toMs = toMs
            self.offsetMinutes = offsetMinutes
            self.opening = opening
            self.districts = districts
        }

        public mutating func add(_ move: Movement) throws {
            let month = monthKey(move.timeMs, offsetMinutes: offsetMinutes)
            var figures = months[month] ?? Figures()
            var total = self.total
            func apply(_ change: (inout Figures) throws -> Void) throws {
                try change(&figures)
                try change(&total)
            }
            let dropoffSign: Int64? = switch move.kind {
            case .dropoff: 1
            case .reversal where move.undoes == .dropoff, .holdVoided: -1
            default: nil
            }
            if let sign = dropoffSign {
                let grams = move.grams ?? 0
                try apply { try $0.dropoff(grams: grams, amount: move.amount, sign: sign) }
                let material = move.material ?? "?", point = move.point ?? "?"
                try materials[material, default: Figures()].dropoff(grams: grams, amount: move.amount, sign: sign)
                try points[point, default: Figures()].dropoff(grams: grams, amount: move.amount, sign: sign)
                try districtFigures[districts[point] ?? "(none)", default: Figures()].dropoff(grams: grams, amount: move.amount, sign: sign)
                gramsByMonthAndMaterial[month, default: [:]][material] = try Figures.checked(gramsByMonthAndMaterial[month]?[material] ?? 0, grams, sign)
            } else {
                let back = move.kind == .reversal
                let kind = back ? move.undoes : move.kind
                func add(_ keyPath: WritableKeyPath<Figures, Points>) throws {
                    try apply { $0[keyPath: keyPath] = try back ? $0[keyPath: keyPath].subtracting(move.amount) : $0[keyPath: keyPath].adding(move.amount) }
                }
                switch kind {
                case .redemption: try add(\.redeemed)
                case .donation: try add(\.donated)
                case .settlement: try add(\.settled)
                case .expiry: try add(\.expired)
                case .accountClosed: try add(\.forfeited)
                default: break
                }
            }
            months[month] = figures
            self.total = total
            residentDeltas[month] = try Figures.checked(residentDeltas[month] ?? 0, move.residentDelta, 1)
        }

        /// Every month of the span, empty ones included, with the residents' points at its end.
        public func finish() throws -> LedgerReport {
            var ordered: [Group] = []
            var outstanding = opening
            if fromMs < toMs {
                var cursor = SchemeCalendar.monthStart(fromMs, offsetMinutes: offsetMinutes)
                while cursor < toMs {
                    let key = monthKey(cursor, offsetMinutes: offsetMinutes)
                    var figures = months[key] ?? Figures()
                    outstanding = try outstanding.adding(Points(centipoints: residentDeltas[key] ?? 0))
                    figures.outstanding = outstanding
                    ordered.append(Group(key: key, figures: figures))
                    cursor = SchemeCalendar.monthStart(cursor + 32 * 86_400_000, offsetMinutes: offsetMinutes)
                }
            }
            var total = self.total
            total.outstanding = outstanding
            func sorted(_ table: [String: Figures]) -> [Group] {
                table.map { Group(key: $0.key, figures: $0.value) }.sorted { ($0.figures.grams, $1.key) > ($1.figures.grams, $0.key) }
            }
            return LedgerReport(fromMs: fromMs, toMs: toMs, offsetMinutes: offsetMinutes, months: ordered,
                                gramsByMonthAndMaterial: gramsByMonthAndMaterial, materials: sorted(materials), points: sorted(points),
                                districts: sorted(districtFigures), total: total)
        }
    }

    /// A day of the scheme's calendar, as reports are bounded (`--from`, `--to`, `from=`, `to=`).
    public struct LocalDate: Sendable, Equatable {
        public let year: Int64, month: Int64, day: Int64

        /// `YYYY-MM-DD`, a real date of years 0001 to 9999; nil otherwise (a span reaching before
        /// the ledger began is clamped to its first entry).
        public init?(parsing text: String) {
            guard let (year, month, day) = CivilDate.parse(text) else { return nil }
            self.year = year
            self.month = month
            self.day = day
        }

        /// When this local day begins, in UTC milliseconds.
        public func startMs(offsetMinutes: Int) -> Int64 {
            CivilDate.days(year: year, month: month, day: day) * 86_400_000 - Int64(offsetMinutes) * 60_000
        }
    }

    /// The span from the start of `from` to the end of `to` (both included); nil: unbounded.
    public static func span(from: LocalDate?, to: LocalDate?, offsetMinutes: Int) -> (fromMs: Int64?, toMs: Int64?) {
        (from?.startMs(offsetMinutes: offsetMinutes), to.map { $0.startMs(offsetMinutes: offsetMinutes) + 86_400_000 })
    }

    /// `YYYY-MM-DD` of the local day holding `timeMs`.
    public static func dayKey(_ timeMs: Int64, offsetMinutes: Int) -> String {
        let date = CivilDate(days: SchemeCalendar.floorDivide(timeMs + Int64(offsetMinutes) * 60_000, 86_400_000))
        return "\(monthKey(timeMs, offsetMinutes: offsetMinutes))-\(date.day < 10 ? "0" : "")\(date.day)"
    }

    /// `YYYY-MM` of the local month holding `timeMs`.
    public static func monthKey(_ timeMs: Int64, offsetMinutes: Int) -> String {
        let day = SchemeCalendar.floorDivide(timeMs + Int64(offsetMinutes) * 60_000, 86_400_000)
        let date = CivilDate(days: day)
        return "\(date.year)-\(date.month < 10 ? "0" : "")\(date.month)"
    }
}

extension CivilDate {
    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Parses `YYYY-MM-DD` (a real date, years 0001 to 9999); nil otherwise.
    public static func parse(_ text: String) -> (year: Int64, month: Int64, day: Int64)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } }),
              let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
              year >= 1, (1...12).contains(month), day >= 1 else { return nil }
        let date = CivilDate(days: days(year: year, month: month, day: day))
        guard date.year == year, date.month == month, date.day == day else { return nil }
        return (year, month, day)
    }
}
