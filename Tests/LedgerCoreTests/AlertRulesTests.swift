import LedgerCore
import Testing

@Suite("Fraud signals from drop-offs")
struct AlertRulesTests {
    static let hour: Int64 = 3_600_000
    var rules = AlertRules()
    var seq: Int64 = 0

    mutating func feed(_ resident: String, at point: String, _ grams: Int64, time: Int64, material: String = "PET") throws -> [AlertRules.Alert] {
        seq += 1
        return rules.feed(.init(seq: seq, timeMs: time, resident: try AccountID(resident), point: try PointID(point),
                                material: try MaterialCode(material), grams: grams))
    }

    @Test("heavy_weight: more than 5× the median of the point's last drop-offs of that material, once there are 10")
    mutating func heavyWeight() throws {
        for point in ["CP-1", "CP-2"] {
            for index in 0..<10 { #expect(try feed("R-\(index)", at: point, 2_000 + Int64(index), time: Int64(index) * Self.hour).isEmpty) }
        }
        // The median of 2000…2009 is 2004: 5× is 10020 g.
        #expect(try feed("R-X", at: "CP-1", 10_020, time: 20 * Self.hour).allSatisfy { $0.rule != .heavyWeight }, "exactly 5× is not above it")
        let alerts = try feed("R-Y", at: "CP-2", 10_021, time: 21 * Self.hour)
        let heavy = alerts.first { $0.rule == .heavyWeight }
        let resident = try AccountID("R-Y")
        #expect(heavy?.entries == [seq] && heavy?.resident == resident, "\(alerts)")
        #expect(try feed("R-Z", at: "CP-3", 50_000, time: 22 * Self.hour).isEmpty, "another point has no history yet")
    }

    @Test("many_points: one resident credited at three points within an hour, raised once")
    mutating func manyPoints() throws {
        #expect(try feed("R-1", at: "CP-1", 1_000, time: 0).isEmpty)
        #expect(try feed("R-1", at: "CP-2", 1_001, time: 10 * 60_000).isEmpty)
        let alerts = try feed("R-1", at: "CP-3", 1_002, time: 50 * 60_000)
        #expect(alerts.map(\.rule) == [.manyPoints] && alerts.first?.entries == [1, 2, 3])
        #expect(try feed("R-1", at: "CP-3", 1_003, time: 55 * 60_000).isEmpty, "not again for the same points")
        #expect(try feed("R-1", at: "CP-1", 1_004, time: 61 * 60_000).isEmpty, "nor as the hour slides on, within an hour of the alert")
        #expect(try feed("R-2", at: "CP-1", 1_000, time: 0).isEmpty)
        #expect(try feed("R-2", at: "CP-2", 1_001, time: 30 * 60_000).isEmpty)
        #expect(try feed("R-2", at: "CP-3", 1_002, time: 61 * 60_000).isEmpty, "the first left the hour")
    }

    @Test("repeated_weight: the same resident, material and weight three times within a day")
    mutating func repeatedWeight() throws {
        #expect(try feed("R-1", at: "CP-1", 2_345, time: 0).isEmpty)
        #expect(try feed("R-1", at: "CP-1", 2_345, time: 5 * Self.hour).isEmpty)
        #expect(try feed("R-1", at: "CP-1", 2_345, time: 10 * Self.hour, material: "ALU").isEmpty, "another material")
        let alerts = try feed("R-1", at: "CP-1", 2_345, time: 23 * Self.hour)
        #expect(alerts.map(\.rule) == [.repeatedWeight] && alerts.first?.entries == [1, 2, 4])
        #expect(try feed("R-1", at: "CP-1", 2_345, time: 26 * Self.hour).isEmpty, "the window slid past the first, but the alert stands for a day")
        #expect(try feed("R-2", at: "CP-1", 2_345, time: 0).isEmpty)
        #expect(try feed("R-2", at: "CP-1", 2_345, time: 20 * Self.hour).isEmpty)
        #expect(try feed("R-2", at: "CP-1", 2_345, time: 25 * Self.hour).isEmpty, "the first is more than a day before")
    }

    @Test("the scheme's thresholds change each rule: 2 points, 2 repeats, 2× the median, 2× the average hour")
    mutating func tunedThresholds() throws {
        rules = AlertRules(thresholds: AlertThresholds(weightFactor: 2, distinctPoints: 2, repeats: 2, surgeFactor: 2))
        #expect(try feed("R-1", at: "CP-1", 1_000, time: 0).isEmpty)
        let second = try feed("R-1", at: "CP-2", 1_000, time: 60_000)
        #expect(Set(second.map(\.rule)) == [.manyPoints, .repeatedWeight], "\(second)")
        for index in 0..<10 { _ = try feed("R-\(index + 10)", at: "CP-9", 2_000 + Int64(index), time: Int64(index) * Self.hour) }
        // The median of 2000…2009 is 2004: 2× is 4008 g.
        #expect(try feed("R-X", at: "CP-9", 4_008, time: 20 * Self.hour).allSatisfy { $0.rule != .heavyWeight })
        #expect(try feed("R-Y", at: "CP-9", 4_100, time: 21 * Self.hour).map(\.rule).contains(.heavyWeight))
        #expect(try feed("R-Z", at: "CP-9", 9_000, time: 22 * Self.hour).map(\.rule).contains(.pointSurge), "above 2× its average hour (~2350 g)")
        #expect(AlertThresholds.Setting.allCases.map { AlertThresholds.standard[$0] } == [5, 3, 3, 5], "the defaults, as documented")
    }

    @Test("point_surge: an hour's kilograms above 5× the point's average hour, once it has three earlier hours")
    mutating func pointSurge() throws {
        for hour in 0..<3 { #expect(try feed("R-\(hour)", at: "CP-1", 2_000 + Int64(hour), time: Int64(hour) * Self.hour).isEmpty) }
        // The average of 2000, 2001 and 2002 g is 2001 g: 5× is 10005 g.
        #expect(try feed("R-A", at: "CP-1", 6_000, time: 3 * Self.hour).isEmpty)
        #expect(try feed("R-B", at: "CP-1", 4_005, time: 3 * Self.hour + 60_000).isEmpty, "10005 g is not above it")
        let alerts = try feed("R-C", at: "CP-1", 1, time: 3 * Self.hour + 120_000)
        #expect(alerts.map(\.rule) == [.pointSurge] && alerts.first?.entries == [4, 5, 6])
        #expect(try feed("R-D", at: "CP-1", 1_000, time: 3 * Self.hour + 180_000).isEmpty, "raised once per hour")
    }
}
