import LedgerCore
import Testing

@Suite("The scheme's days and months")
struct SchemeCalendarTests {
    /// (time, offset minutes, local day start, local month start), computed independently with
    /// Python's datetime (`astimezone(timezone(timedelta(minutes=offset)))`, then midnight, then
    /// the 1st).
    static let vectors: [(Int64, Int, Int64, Int64)] = [
        (1_767_225_600_000, 480, 1_767_196_800_000, 1_767_196_800_000),   // 2026-01-01 00:00 UTC is 08:00 in Manila
        (1_772_380_799_999, 480, 1_772_294_400_000, 1_772_294_400_000),   // the last millisecond of 1 March in Manila
        (1_772_380_800_000, 480, 1_772_380_800_000, 1_772_294_400_000),   // the first of 2 March
        (1_709_172_000_000, -210, 1_709_091_000_000, 1_706_758_200_000),  // 29 Feb 2024 at UTC−03:30
        (-3_600_000, 0, -86_400_000, -2_678_400_000),                    // before the epoch
    ]

    @Test("day and month starts match an independent calendar", arguments: vectors.indices)
    func starts(index: Int) {
        let (time, offset, day, month) = Self.vectors[index]
        #expect(SchemeCalendar.dayStart(time, offsetMinutes: offset) == day)
        #expect(SchemeCalendar.monthStart(time, offsetMinutes: offset) == month)
    }

    @Test("UTC offsets are ±HH:MM from -12:00 to +14:00, and print back the same")
    func offsets() {
        #expect(SchemeState.offsetMinutes(parsing: "+08:00") == 480)
        #expect(SchemeState.offsetMinutes(parsing: "-03:30") == -210)
        #expect(SchemeState.offsetMinutes(parsing: "+14:00") == 840)
        for bad in ["+14:01", "-12:30", "08:00", "+8:00", "+08:60", "+08:0a", "+08-00", "", "+0８:00"] {
            #expect(SchemeState.offsetMinutes(parsing: bad) == nil, "\(bad)")
        }
        for minutes in [480, -210, 0, 840, -720] {
            let state = SchemeState(offsetMinutes: minutes, dailyCap: nil, monthlyCap: nil, lastSeq: 0)
            #expect(SchemeState.offsetMinutes(parsing: state.offsetText) == minutes)
        }
    }
}
