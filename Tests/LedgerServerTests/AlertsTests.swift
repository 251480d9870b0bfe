import LedgerCore
import LedgerProtocol
import LedgerTestSupport
import Testing

@Suite("ALERTS, handled without a socket")
struct AlertsTests {
    @Test("one resident at three points with the same weight raises many_points and repeated_weight, naming the entries")
    func alerts() async throws {
        try await CommandHarness.with { server in
            let seqs = try await server.session(as: .admin) { admin async throws -> [String] in
                #expect(try await admin.call("POINT ADD CP-3 name=Plaza")[0].hasPrefix("OK seq="))
                var seqs: [String] = []
                for point in ["CP-1", "CP-2", "CP-3"] {
                    let reply = try await admin.call("DROPOFF R-1 point=\(point) material=PET kg=2.5 ref=alert-\(point)")[0]
                    seqs.append(try #require(Reply.field("seq", in: reply)))
                }
                #expect(try await admin.call("ALERTS") == ["OK n=2",
                    "alert=many_points seq=\(seqs[2]) account=R-1 entries=\(seqs.joined(separator: ",")) detail=\"R-1 was credited at 3 points within an hour: CP-1, CP-2, CP-3\"",
                    "alert=repeated_weight seq=\(seqs[2]) account=R-1 point=CP-3 entries=\(seqs.joined(separator: ",")) detail=\"R-1 brought exactly 2.5 kg of PET 3 times within 24 hours\""])
                #expect(try await admin.call("ALERTS limit=1")[0] == "OK n=1")
                #expect(try await admin.call("ALERTS since=\(seqs[2])") == ["OK n=0"])
                #expect(try await admin.call("ALERTS limit=0")[0].hasPrefix("ERR BAD_ARGUMENT limit"))
                return seqs
            }
            try await server.session(as: .auditor) { auditor async throws in
                #expect(try await auditor.call("ALERTS")[0] == "OK n=2")
            }
            // Tighter thresholds are scheme settings: journaled, shown, and applied to the whole journal.
            try await server.session(as: .admin) { admin async throws in
                #expect(try await admin.call("SCHEME SET alert_points=2 alert_repeats=2")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("SCHEME SHOW")[0].hasSuffix(" alert_weight_factor=5 alert_points=2 alert_repeats=2 alert_surge_factor=5"))
                #expect(try await admin.call("ALERTS").first == "OK n=2", "at 2 points and 2 repeats the second drop-off raises both")
                #expect(try await admin.call("ALERTS")[1].hasPrefix("alert=many_points seq=\(seqs[1]) "))
                #expect(try await admin.call("SCHEME SET alert_points=1") == ["ERR BAD_ARGUMENT alert_points: must be a whole number from 2 to 20"])
                #expect(try await admin.call("SCHEME SET alert_weight_factor=101")[0].hasPrefix("ERR BAD_ARGUMENT alert_weight_factor"))
                #expect(try await admin.call("SCHEME SET alert_surge_factor=05")[0].hasPrefix("ERR BAD_ARGUMENT alert_surge_factor"))
                #expect(try await admin.call("AUDIT")[0].hasPrefix("OK entries="))
            }
            try await server.session(as: .operator) { kiosk async throws in
                #expect(try await kiosk.call("ALERTS")[0].hasPrefix("ERR FORBIDDEN"), "signals name residents: not for kiosks")
            }
            #expect(seqs.count == 3)
        }
    }
}
