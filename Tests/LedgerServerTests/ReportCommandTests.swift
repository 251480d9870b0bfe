import LedgerCore
import LedgerProtocol
import LedgerTestSupport
import Testing

@Suite("REPORT, handled without a socket")
struct ReportCommandTests {
    @Test("REPORT lists the months (or materials, points, districts) and a total, with the figures the journal gives")
    func report() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .admin) { admin async throws in
                #expect(try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=rep-1")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("DROPOFF R-2 point=CP-2 material=PET kg=1.5 ref=rep-2")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("REDEEM R-1 points=10 merchant=M-1 pin=1234 ref=rep-3")[0].hasPrefix("OK seq="))
                let months = try await admin.call("REPORT")
                #expect(months.first == "OK n=2", "\(months)")
                #expect(months[1].hasPrefix("month=") && months[1].contains(" kg=3.5 dropoffs=2 issued=63.00 redeemed=10.00 donated=0.00 settled=0.00 expired=0.00 forfeited=0.00 outstanding="), "\(months)")
                #expect(months[2].hasPrefix("total=all kg=3.5 dropoffs=2 issued=63.00 redeemed=10.00 "), "\(months)")
                let materials = try await admin.call("REPORT by=material")
                #expect(materials == ["OK n=2", "material=PET kg=3.5 dropoffs=2 issued=63.00", months[2]])
                let points = try await admin.call("REPORT by=point")
                #expect(points[1] == "point=CP-1 kg=2 dropoffs=1 issued=36.00" && points[2] == "point=CP-2 kg=1.5 dropoffs=1 issued=27.00", "\(points)")
                // Before the ledger's first entry there is nothing, not even empty months; and a
                // span of centuries costs no more than the ledger's own life.
                #expect(try await admin.call("REPORT from=2001-01-01 to=2001-01-31") == ["OK n=1",
                    "total=all kg=0 dropoffs=0 issued=0.00 redeemed=0.00 donated=0.00 settled=0.00 expired=0.00 forfeited=0.00 outstanding=0.00"])
                #expect(try await admin.call("REPORT from=1970-01-01 to=9999-12-31") == months)
                #expect(try await admin.call("REPORT from=1969-12-31") == months, "a day before 1970 is a date too")
                #expect(try await admin.call("REPORT from=0001-01-01 to=9999-12-31") == months)
                #expect(try await admin.call("REPORT from=2026-02-30")[0].hasPrefix("ERR BAD_ARGUMENT from: expected a date YYYY-MM-DD"))
                #expect(try await admin.call("REPORT from=2026-03-01 to=2026-02-01") == ["ERR BAD_ARGUMENT to: is before from"])
                #expect(try await admin.call("REPORT by=week")[0].hasPrefix("ERR BAD_ARGUMENT by"))
            }
            try await server.session(as: .operator) { kiosk async throws in
                #expect(try await kiosk.call("REPORT")[0].hasPrefix("ERR FORBIDDEN"))
            }
        }
    }
}
