/// Fraud signals derived from the journal's drop-offs (`ALERTS`): weighing the same material
/// twice, inflating a weight, or one resident collecting at many points. Signals, not verdicts:
/// nothing is written or refused because of them; a person looks at the entries each names.
///
/// The rules read only what the journal holds (time, resident, point, material, grams) and are
/// fed every drop-off in seq order, so the same journal always gives the same alerts.
public struct AlertRules {
    /// The fixed part of the rules (the tunable part is `AlertThresholds`); docs/PROTOCOL.md
    /// ("ALERTS") describes each rule with them.
    public enum Threshold {
        /// heavy_weight looks at the point's last `weightSamples` drop-offs of the material, once
        /// it has at least `weightMinimumSamples`.
        public static let weightSamples = 20
        public static let weightMinimumSamples = 10
        /// point_surge looks at the point's last `surgeHours` hours with drop-offs, once it has
        /// at least `surgeMinimumHours`.
        public static let surgeHours = 24
        public static let surgeMinimumHours = 3
        /// many_points' window, and the hours of point_surge.
        public static let windowMs: Int64 = 3_600_000
        /// repeated_weight's window.
        public static let repeatWindowMs: Int64 = 86_400_000
    }

    public let thresholds: AlertThresholds

    /// One drop-off, as the rules see it.
    public struct Dropoff: Sendable, Equatable {
        public let seq: Int64
        public let timeMs: Int64
        public let resident: AccountID
        public let point: PointID
        public let material: MaterialCode
        public let grams: Int64

        public init(seq: Int64, timeMs: Int64, resident: AccountID, point: PointID, material: MaterialCode, grams: Int64) {
            self.seq = seq
            self.timeMs = timeMs
            self.resident = resident
            self.point = point
            self.material = material
            self.grams = grams
        }
    }

    /// One signal: which rule, the entry that raised it, and every entry it rests on.
    public struct Alert: Sendable, Equatable {
        public enum Rule: String, Sendable {
            case heavyWeight = "heavy_weight", manyPoints = "many_points", pointSurge = "point_surge", repeatedWeight = "repeated_weight"
        }

        public let rule: Rule
        public let seq: Int64
        public let resident: AccountID?
        public let point: PointID?
        public let entries: [Int64]
        public let detail: String
    }

    private struct PointMaterial: Hashable { let point: PointID, material: MaterialCode }
    private struct SameWeight: Hashable { let resident: AccountID, material: MaterialCode, grams: Int64 }

    private var recentWeights: [PointMaterial: [Int64]] = [:]
    private var recentByResident: [AccountID: [Dropoff]] = [:]
    private var recentSameWeight: [SameWeight: [Dropoff]] = [:]
    /// When each resident's many_points, and each weight's repeated_weight, was last raised: not
    /// again while the window that raised it lasts.
    private var manyPointsRaised: [AccountID: Int64] = [:]
    private var repeatRaised: [SameWeight: Int64] = [:]
    /// Per point: the current hour (start ms), its grams and entries, and earlier hours' grams.
    private var hours: [PointID: (start: Int64, grams: Int64, entries: [Int64], alerted: Bool, earlier: [Int64])] = [:]

    private var fed = 0

    public init(thresholds: AlertThresholds = .standard) {
        self.thresholds = thresholds
    }

    /// Takes in the next drop-off (in seq order) and returns the alerts it raises.
    public mutating func feed(_ dropoff: Dropoff) -> [Alert] {
        fed += 1
        if fed % 10_000 == 0 { forgetOld(before: dropoff.timeMs) }
        var alerts: [Alert] = []
        if let alert = heavyWeight(dropoff) { alerts.append(alert) }
        if let alert = manyPoints(dropoff) { alerts.append(alert) }
        if let alert = repeatedWeight(dropoff) { alerts.append(alert) }
        if let alert = pointSurge(dropoff) { alerts.append(alert) }
        return alerts
    }

    /// Windows nobody has added to for a day can raise nothing more: memory stays bounded by
    /// the last day's activity, however long the journal.
    private mutating func forgetOld(before now: Int64) {
        recentByResident = recentByResident.filter { now - ($0.value.last?.timeMs ?? now) < Threshold.windowMs }
        recentSameWeight = recentSameWeight.filter { now - ($0.value.last?.timeMs ?? now) < Threshold.repeatWindowMs }
        manyPointsRaised = manyPointsRaised.filter { now - $0.value < Threshold.windowMs }
        repeatRaised = repeatRaised.filter { now - $0.value < Threshold.repeatWindowMs }
    }

    private mutating func heavyWeight(_ dropoff: Dropoff) -> Alert? {
        let key = PointMaterial(point: dropoff.point, material: dropoff.material)
        let earlier = recentWeights[key, default: []]
        recentWeights[key] = Array((earlier + [dropoff.grams]).suffix(Threshold.weightSamples))
        guard earlier.count >= Threshold.weightMinimumSamples else { return nil }
        let sorted = earlier.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        guard dropoff.grams > median * thresholds.weightFactor else { return nil }
        return Alert(rule: .heavyWeight, seq: dropoff.seq, resident: dropoff.resident, point: dropoff.point, entries: [dropoff.seq],
                     detail: "\(Grams(dropoff.grams).kilograms) kg of \(dropoff.material) is more than \(thresholds.weightFactor)× the median \(Grams(median).kilograms) kg of the last \(earlier.count) at \(dropoff.point)")
    }

    private mutating func manyPoints(_ dropoff: Dropoff) -> Alert? {
        var window = recentByResident[dropoff.resident, default: []].filter { dropoff.timeMs - $0.timeMs < Threshold.windowMs }
        let pointsBefore = Set(window.map(\.point))
        window.append(dropoff)
        recentByResident[dropoff.resident] = window
        let points = Set(window.map(\.point))
        // Raised by the drop-off that brings in the threshold-th distinct point, and not again
        // within an hour of that.
        guard Int64(points.count) == thresholds.distinctPoints, !pointsBefore.contains(dropoff.point) else { return nil }
        if let raised = manyPointsRaised[dropoff.resident], dropoff.timeMs - raised < Threshold.windowMs { return nil }
        manyPointsRaised[dropoff.resident] = dropoff.timeMs
        return Alert(rule: .manyPoints, seq: dropoff.seq, resident: dropoff.resident, point: nil, entries: window.map(\.seq),
                     detail: "\(dropoff.resident) was credited at \(points.count) points within an hour: \(points.map(\.rawValue).sorted().joined(separator: ", "))")
    }

    private mutating func repeatedWeight(_ dropoff: Dropoff) -> Alert? {
        let key = SameWeight(resident: dropoff.resident, material: dropoff.material, grams: dropoff.grams)
        var window = recentSameWeight[key, default: []].filter { dropoff.timeMs - $0.timeMs < Threshold.repeatWindowMs }
        window.append(dropoff)
        recentSameWeight[key] = window
        guard Int64(window.count) == thresholds.repeats else { return nil }
        if let raised = repeatRaised[key], dropoff.timeMs - raised < Threshold.repeatWindowMs { return nil }
        repeatRaised[key] = dropoff.timeMs
        return Alert(rule: .repeatedWeight, seq: dropoff.seq, resident: dropoff.resident, point: dropoff.point, entries: window.map(\.seq),
                     detail: "\(dropoff.resident) brought exactly \(Grams(dropoff.grams).kilograms) kg of \(dropoff.material) \(window.count) times within 24 hours")
    }

    private mutating func pointSurge(_ dropoff: Dropoff) -> Alert? {
        let start = SchemeCalendar.floorDivide(dropoff.timeMs, Threshold.windowMs) * Threshold.windowMs
        var hour = hours[dropoff.point] ?? (start, 0, [], false, [])
        if hour.start != start {
            if !hour.entries.isEmpty { hour.earlier = Array((hour.earlier + [hour.grams]).suffix(Threshold.surgeHours)) }
            hour = (start, 0, [], false, hour.earlier)
        }
        hour.grams += dropoff.grams
        hour.entries.append(dropoff.seq)
        defer { hours[dropoff.point] = hour }
        guard !hour.alerted, hour.earlier.count >= Threshold.surgeMinimumHours else { return nil }
        let average = hour.earlier.reduce(0, +) / Int64(hour.earlier.count)
        guard hour.grams > average * thresholds.surgeFactor else { return nil }
        hour.alerted = true
        return Alert(rule: .pointSurge, seq: dropoff.seq, resident: nil, point: dropoff.point, entries: hour.entries,
                     detail: "\(dropoff.point) took \(Grams(hour.grams).kilograms) kg this hour, more than \(thresholds.surgeFactor)× its average \(Grams(average).kilograms) kg over its last \(hour.earlier.count) hours with drop-offs")
    }
}

/// The thresholds of the alert rules that a scheme tunes with `SCHEME SET` (journaled in
/// `scheme_set`, so which signals were asked for is part of the audited history). Each setting's
/// name is the same in the protocol, the journal and the `scheme` table.
public struct AlertThresholds: Hashable, Sendable {
    /// heavy_weight: a drop-off more than this many times the median weight.
    public var weightFactor: Int64
    /// many_points: this many different points crediting one resident within an hour.
    public var distinctPoints: Int64
    /// repeated_weight: this many drop-offs of one resident, material and weight within 24 hours.
    public var repeats: Int64
    /// point_surge: an hour's kilograms at a point above this many times its average hour.
    public var surgeFactor: Int64

    public init(weightFactor: Int64, distinctPoints: Int64, repeats: Int64, surgeFactor: Int64) {
        self.weightFactor = weightFactor
        self.distinctPoints = distinctPoints
        self.repeats = repeats
        self.surgeFactor = surgeFactor
    }

    public static let standard = AlertThresholds(weightFactor: 5, distinctPoints: 3, repeats: 3, surgeFactor: 5)

    /// One tunable threshold, named as everywhere it appears.
    public enum Setting: String, CaseIterable, Sendable {
        case weightFactor = "alert_weight_factor"
        case distinctPoints = "alert_points"
        case repeats = "alert_repeats"
        case surgeFactor = "alert_surge_factor"

        /// Factors from 2 to 100, counts from 2 to 20.
        public var range: ClosedRange<Int64> {
            switch self {
            case .weightFactor, .surgeFactor: 2...100
            case .distinctPoints, .repeats: 2...20
            }
        }
    }

    public subscript(setting: Setting) -> Int64 {
        get {
            switch setting {
            case .weightFactor: weightFactor
            case .distinctPoints: distinctPoints
            case .repeats: repeats
            case .surgeFactor: surgeFactor
            }
        }
        set {
            switch setting {
            case .weightFactor: weightFactor = newValue
            case .distinctPoints: distinctPoints = newValue
            case .repeats: repeats = newValue
            case .surgeFactor: surgeFactor = newValue
            }
        }
    }
}
