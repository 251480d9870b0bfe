import LedgerCore
import LedgerProtocol
import LedgerTestSupport
import Testing

@Suite("Held credits, handled without a socket")
struct HoldCommandTests {
    @Test("a held drop-off shows as pending; the point's operator posts it, an admin voids another, the sweep decides the rest")
    func holds() async throws {
        let hour: Int64 = 3_600_000, t0: Int64 = 1_767_225_600_000
        let clock = ExpireTests.Clock(t0)
        try await CommandHarness.with(clock: clock.read) { server in
            let (first, second, third) = try await server.session(as: .admin) { admin async throws -> (String, String, String) in
                #expect(try await admin.call("MATERIAL SET ALU rate=12.5 name=Cans hold=2h")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("MATERIAL LIST")[1].hasSuffix("hold=2h"))
                #expect(try await admin.call("MATERIAL SET ALU rate=12.5 hold=91d")[0].hasPrefix("ERR BAD_ARGUMENT hold"))
                var seqs: [String] = []
                for (point, ref) in [("CP-1", "h-1"), ("CP-2", "h-2"), ("CP-1", "h-3")] {
                    let reply = try await admin.call("DROPOFF R-1 point=\(point) material=ALU kg=4 ref=\(ref)")[0]
                    seqs.append(try #require(Reply.field("seq", in: reply)))
                }
                let balance = try await admin.call("BALANCE R-1")[0]
                #expect(balance.hasPrefix("OK account=R-1 balance=150.00 pending=150.00"), "\(balance)")
                #expect(try await admin.call("REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=spend")[0].hasPrefix("ERR INSUFFICIENT_POINTS R-1 has 0.00 points available (150.00 pending)"))
                return (seqs[0], seqs[1], seqs[2])
            }
            try await server.session(as: .operator) { kiosk async throws in
                #expect(try await kiosk.call("POST \(second)")[0].hasPrefix("ERR FORBIDDEN"), "another point's drop-off")
                #expect(try await kiosk.call("POST 1") == ["ERR NOT_FOUND entry 1 is not a held drop-off"], "an entry that is no held drop-off")
                #expect(try await kiosk.call("POST 99999") == ["ERR NOT_FOUND entry 99999 is not a held drop-off"])
                #expect(try await kiosk.call("POST \(first)")[0].hasPrefix("OK seq="))
                #expect(try await kiosk.call("VOID \(third) reason=x")[0].hasPrefix("ERR FORBIDDEN"), "voiding is for administrators")
            }
            try await server.session(as: .admin) { admin async throws in
                #expect(try await admin.call("VOID \(second) reason=\"stones in the bag\"") .first?.contains(" amount=50.00 ") == true)
                #expect(try await admin.call("BALANCE R-1")[0].hasPrefix("OK account=R-1 balance=100.00 pending=50.00"))
                clock.advance(2 * hour)
                #expect(try await admin.call("EXPIRE")[0].hasPrefix("OK expired=0"), "the due hold is voided, as hold_action says")
                #expect(try await admin.call("BALANCE R-1")[0].hasPrefix("OK account=R-1 balance=50.00 expiring="))
                #expect(try await admin.call("POST \(third)")[0].hasPrefix("ERR CONFLICT the hold of entry \(third) was already voided"))
                #expect(try await admin.call("AUDIT")[0].hasPrefix("OK entries="))
            }
        }
    }
}
