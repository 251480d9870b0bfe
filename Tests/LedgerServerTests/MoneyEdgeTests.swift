import LedgerCore
import LedgerWire
import Testing

@Suite("Money at the edges, handled without a socket")
struct MoneyEdgeTests {
    @Test("amounts at the Int64 limit parse exactly, one centipoint more is refused, and overflow never wraps")
    func limits() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .admin) { connection async throws in
                let max = "92233720368547758.07"
                #expect(try await connection.call("REDEEM R-1 points=\(max) merchant=M-1 pin=1234 ref=a")[0].hasPrefix("ERR INSUFFICIENT_POINTS"))
                #expect(try await connection.call("REDEEM R-1 points=92233720368547758.08 merchant=M-1 pin=1234 ref=b")[0].hasPrefix("ERR BAD_ARGUMENT points:"))
                #expect(try await connection.call("SETTLE M-1 points=99999999999999999999999 ref=c")[0].hasPrefix("ERR BAD_ARGUMENT points:"))
                #expect(try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=9223372036854775.808 ref=d")[0].hasPrefix("ERR BAD_ARGUMENT kg:"))
                // A rate so high that grams × rate overflows: refused, nothing written.
                #expect(try await connection.call("MATERIAL SET GOLD rate=\(max) name=Gold")[0].hasPrefix("OK seq="))
                let head = try await connection.call("HEAD")[0]
                #expect(try await connection.call("DROPOFF R-1 point=CP-1 material=GOLD kg=500 ref=e")[0].hasPrefix("ERR LIMIT_EXCEEDED"))
                #expect(try await connection.call("HEAD")[0] == head)
                // One gram at the highest rate fits: floor(1 × max ÷ 1000) centipoints.
                let reply = try await connection.call("DROPOFF R-1 point=CP-1 material=GOLD kg=0.001 ref=f")[0]
                #expect(reply.contains("points=92233720368547.75"), "\(reply)")
                #expect(try await connection.call("AUDIT")[0].hasPrefix("OK entries="))
            }
        }
    }
}
