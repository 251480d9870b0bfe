import LedgerCore
import LedgerTestSupport
import Synchronization
import LedgerProtocol
import Testing

@Suite("EXPIRE, handled without a socket")
struct ExpireTests {
    final class Clock: Sendable {
        let now: Mutex<Int64>
        init(_ start: Int64) { now = Mutex(start) }
        func advance(_ ms: Int64) { now.withLock { $0 += ms } }
        var read: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
    }

    @Test("EXPIRE moves each resident's expired points to sys:forfeit; BALANCE shows the next lot to expire")
    func expire() async throws {
        let day: Int64 = 86_400_000, t0: Int64 = 1_767_225_600_000
        let clock = Clock(t0)
        try await CommandHarness.with(clock: clock.read) { server in
            try await server.session(as: .admin) { admin async throws in
                #expect(try await admin.call("SCHEME SET expiry=30d")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("SCHEME SHOW")
                == ["OK tz=+08:00 daily_cap=none monthly_cap=none expiry=30d hold_action=void alert_weight_factor=5 alert_points=3 alert_repeats=3 alert_surge_factor=5"])
                #expect(try await admin.call("SCHEME SET expiry=11y")[0].hasPrefix("ERR BAD_ARGUMENT expiry"))
                #expect(try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=e-1")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("DROPOFF R-2 point=CP-1 material=PET kg=1 ref=e-2")[0].hasPrefix("OK seq="))
                // 2026-01-31 00:00 UTC, in the scheme's zone for people (+08:00 until it changes).
                #expect(try await admin.call("BALANCE R-1")
                        == ["OK account=R-1 balance=36.00 expiring=36.00 expires=\(t0 + 30 * day) expires_local=2026-01-31T08:00+08:00"])
                let history = try await admin.call("HISTORY R-1 limit=1")[1]
                #expect(history.contains(" time=\(t0) time_local=2026-01-01T08:00+08:00 kind=dropoff "), "\(history)")
                let seq = try #require(Reply.field("seq", in: history))
                #expect(try await admin.call("SCHEME SET tz=-03:30")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("BALANCE R-1")[0].hasSuffix(" expires_local=2026-01-30T20:30-03:30"))
                #expect(try await admin.call("ENTRY \(seq)")[0].contains(" time_local=2025-12-31T20:30-03:30 "))
                #expect(try await admin.call("SCHEME SET tz=+08:00")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("EXPIRE") == ["OK expired=0 points=0.00"], "nothing is old enough yet")
                clock.advance(30 * day)
                #expect(try await admin.call("EXPIRE") == ["OK expired=2 points=54.00"])
                #expect(try await admin.call("BALANCE R-1") == ["OK account=R-1 balance=0.00"])
                #expect(try await admin.call("BALANCE sys:forfeit") == ["OK account=sys:forfeit balance=54.00"])
                #expect(try await admin.call("HISTORY R-1 limit=1")[0] == "OK n=1")
                #expect(try await admin.call("AUDIT")[0].hasPrefix("OK entries="))
            }
            try await server.session(as: .operator) { kiosk async throws in
                #expect(try await kiosk.call("EXPIRE")[0].hasPrefix("ERR FORBIDDEN"))
            }
        }
    }
}
