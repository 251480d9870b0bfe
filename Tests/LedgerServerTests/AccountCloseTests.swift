import LedgerCore
import LedgerProtocol
import LedgerTestSupport
import Testing

@Suite("ACCOUNT CLOSE, handled without a socket")
struct AccountCloseTests {
    @Test("an admin closes a resident: the balance is forfeited in the reply and history, and the account earns nothing more")
    func closeResident() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .admin) { admin async throws in
                #expect(try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=before-close")[0].hasPrefix("OK seq="))
                let balance = try #require(Reply.field("balance", in: try await admin.call("BALANCE R-1")[0]))
                let closed = try await admin.call("ACCOUNT CLOSE R-1 reason=\"moved to Cebu\"")[0]
                #expect(closed.hasPrefix("OK seq="), "\(closed)")
                #expect(Reply.field("forfeited", in: closed) == balance)
                #expect(try await admin.call("BALANCE R-1") == ["OK account=R-1 balance=0.00"])
                #expect(try await admin.call("ACCOUNT SHOW R-1")[0].hasSuffix("closed=1"))
                #expect(try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=after-close") == ["ERR CONFLICT account R-1 is closed"])
                #expect(try await admin.call("ACCOUNT CLOSE R-1 reason=again") == ["ERR CONFLICT account R-1 is closed"])
                #expect(try await admin.call("ACCOUNT CLOSE sys:forfeit reason=x")[0].hasPrefix("ERR FORBIDDEN"))
                #expect(try await admin.call("ACCOUNT CLOSE R-NOPE reason=x") == ["ERR NOT_FOUND no account R-NOPE"])
                #expect(try await admin.call("AUDIT")[0].hasPrefix("OK entries="))
            }
            try await server.session(as: .operator) { kiosk async throws in
                #expect(try await kiosk.call("ACCOUNT CLOSE R-2 reason=x")[0].hasPrefix("ERR FORBIDDEN"), "closing is for administrators")
                #expect(try await kiosk.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=kiosk-after") == ["ERR CONFLICT account R-1 is closed"])
            }
        }
    }

    @Test("a merchant holding points is refused until settled; closing it revokes its merchant tokens")
    func closeMerchant() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .merchant) { shop async throws in
                #expect(try await shop.call("BALANCE M-1")[0].hasPrefix("OK account=M-1"))
                try await Self.closeM1(server)
                #expect(try await shop.call("BALANCE M-1")[0].hasPrefix("ERR NOT_AUTHENTICATED token "), "its token was revoked with it")
            }
        }
    }

    /// As an admin: M-1 takes a redemption, is refused closure while it holds points, is settled and closed.
    static func closeM1(_ server: CommandHarness) async throws {
        try await server.session(as: .admin) { admin async throws in
            #expect(try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=10 ref=fund")[0].hasPrefix("OK seq="))
            #expect(try await admin.call("REDEEM R-1 points=20 merchant=M-1 pin=1234 ref=pos")[0].hasPrefix("OK seq="))
            let held = try await admin.call("BALANCE M-1")[0]
            let points = try #require(Reply.field("balance", in: held))
            let refused = try await admin.call("ACCOUNT CLOSE M-1 reason=gone")[0]
            #expect(refused == "ERR CONFLICT merchant M-1 still holds \(points) points; settle it first", "\(refused)")
            #expect(try await admin.call("SETTLE M-1 points=\(points) ref=settle-all")[0].hasPrefix("OK seq="))
            let closed = try await admin.call("ACCOUNT CLOSE M-1 reason=gone")[0]
            #expect(closed.contains(" forfeited=0.00 revoked_tokens=1 "), "\(closed)")
            #expect(try await admin.call("AUDIT")[0].hasPrefix("OK entries="))
        }
    }
}
