import LedgerCore
import LedgerPersistence
import LedgerCrypto
@testable import LedgerServer
import LedgerStore
import LedgerTestSupport
import Testing

/// The holes found when the server was attacked (issue 9), each reproduced over a real socket.
@Suite("Hardening: revocation, replays, AUTH and protocol edges")
struct HardeningTests {
    /// `TOKEN ISSUE …` as admin: the new token's id and secret.
    static func issue(_ arguments: String, on server: TestServer) async throws -> (id: String, secret: String) {
        try await server.session(as: .admin) { connection async throws in try tokenFields(try await connection.call("TOKEN ISSUE \(arguments)")[0]) }
    }

    static func issue(_ arguments: String, on harness: CommandHarness) async throws -> (id: String, secret: String) {
        try await harness.session(as: .admin) { client async throws in try tokenFields(try await client.call("TOKEN ISSUE \(arguments)")[0]) }
    }

    private static func tokenFields(_ reply: String) throws -> (id: String, secret: String) {
        let fields = Dictionary(uniqueKeysWithValues: reply.split(separator: " ").dropFirst().map {
            let parts = $0.split(separator: "=", maxSplits: 1); return (String(parts[0]), String(parts[1]))
        })
        guard let id = fields["id"], let secret = fields["token"] else { throw TestFailure("TOKEN ISSUE failed: \(reply)") }
        return (id, secret)
    }

    @Test("a token revoked while its connection is open stops working on that connection's next command")
    func revokedWhileConnected() async throws {
        try await CommandHarness.with { server in
            let admin2 = try await Self.issue("role=admin", on: server)
            try await server.session { victim async throws in
                #expect(try await victim.call("AUTH \(admin2.secret)")[0].hasPrefix("OK role=admin"))
                #expect(try await victim.call("HEAD")[0].hasPrefix("OK seq="))
                try await server.session(as: .admin) { admin async throws in
                    #expect(try await admin.call("TOKEN REVOKE \(admin2.id)")[0].hasPrefix("OK seq="))
                }
                let tokensBefore = try server.store.tokens().count
                #expect(try await victim.call("TOKEN ISSUE role=admin") == ["ERR NOT_AUTHENTICATED token \(admin2.id) has been revoked; this connection is logged out"])
                #expect(try server.store.tokens().count == tokensBefore)
                // Told once; from then on the connection is simply unauthenticated.
                #expect(try await victim.call("HEAD") == ["ERR NOT_AUTHENTICATED HEAD needs AUTH first"])
                #expect(try await victim.call("PING") == ["OK pong"])
                #expect(try await victim.call("AUTH \(admin2.secret)")[0].hasPrefix("ERR NOT_AUTHENTICATED invalid token"))
            }
        }
    }

    @Test("a revoked operator's pipelined drop-offs are refused and write nothing; the ledger verifies")
    func revokedOperatorCannotWrite() async throws {
        try await TestServer.with { server in
            let kiosk = try await Self.issue("role=operator point=CP-1", on: server)
            try await server.session { connection async throws in
                #expect(try await connection.call("AUTH \(kiosk.secret)")[0].hasPrefix("OK role=operator"))
                #expect(try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=before")[0].hasPrefix("OK seq="))
                try await server.session(as: .admin) { admin async throws in
                    #expect(try await admin.call("TOKEN REVOKE \(kiosk.id)")[0].hasPrefix("OK seq="))
                }
                for index in 0..<10 { try await connection.send("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=after-\(index)") }
                var replies: [String] = []
                for _ in 0..<10 { replies.append(try await connection.readReply()?.first ?? "closed") }
                #expect(replies.allSatisfy { $0.hasPrefix("ERR NOT_AUTHENTICATED") }, "\(replies)")
            }
            #expect(try server.store.entry(ref: ClientRef("after-0")) == nil)
            #expect(try server.store.account(AccountID("R-1"))?.balance == (try Points(parsing: "18")))
            guard case .success = try server.store.verify() else { Issue.record("the ledger must verify"); return }
        }
    }

    @Test("a replayed REDEEM checks the PIN and the lock first, and never tells the current balance")
    func replayedRedeem() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .operator) { connection async throws in
                #expect(try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=10 ref=d-1")[0].hasPrefix("OK seq="))
            }
            try await server.session(as: .merchant) { merchant async throws in
                let first = try await merchant.call("REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=leak-1")[0]
                #expect(first.contains(" balance=179.00 "), "\(first)")
                try await server.session(as: .operator) { connection async throws in
                    #expect(try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=5 ref=d-2")[0].hasPrefix("OK seq="))
                }
                let wrong = try await merchant.call("REDEEM R-1 points=1 merchant=M-1 pin=0000 ref=leak-1")[0]
                #expect(wrong == "ERR WRONG_PIN wrong PIN for R-1; 4 attempt(s) left before the account locks")
                let retried = try await merchant.call("REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=leak-1")[0]
                #expect(retried.hasSuffix(" replayed=1") && !retried.contains("balance="), "\(retried)")
                #expect(retried.replacingOccurrences(of: " replayed=1", with: "") == first.replacingOccurrences(of: " balance=179.00", with: ""))
                for attempt in 2...5 {
                    _ = try await merchant.call("REDEEM R-1 points=1 merchant=M-1 pin=0000 ref=wrong-\(attempt)")
                }
                #expect(try await merchant.call("REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=leak-1")[0].hasPrefix("ERR LOCKED"))
            }
            #expect(try server.store.account(AccountID("R-1"))?.balance == (try Points(parsing: "269")))
        }
    }

    @Test("a failed AUTH on an authenticated connection logs it out")
    func failedAuthLogsOut() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .admin) { connection async throws in
                #expect(try await connection.call("HEAD")[0].hasPrefix("OK seq="))
                #expect(try await connection.call("AUTH wrong-secret-xxxxxxxxxxxxxxxx")[0].hasPrefix("ERR NOT_AUTHENTICATED invalid token"))
                #expect(try await connection.call("HEAD") == ["ERR NOT_AUTHENTICATED HEAD needs AUTH first"])
            }
            // A malformed AUTH is a failed AUTH too.
            for malformed in ["AUTH", "AUTH a b", "AUTH x=y"] {
                try await server.session(as: .admin) { connection async throws in
                    #expect(try await connection.call(malformed)[0].hasPrefix("ERR BAD_ARGUMENT"))
                    #expect(try await connection.call("HEAD") == ["ERR NOT_AUTHENTICATED HEAD needs AUTH first"], "\(malformed)")
                }
            }
        }
    }

    @Test("a token snapshot older than the one held is ignored: a slow reload cannot bring a revoked token back")
    func staleTokenSnapshot() throws {
        let registry = TokenRegistry()
        let id = try TokenID("tok-x")
        func token(revoked: Bool) throws -> TokenState {
            TokenState(id: id, role: .auditor, point: nil, merchant: nil, secretHash: try SHA256.digest(Array("s".utf8)), revoked: revoked, lastSeq: 1)
        }
        registry.replace(with: .init(tokens: [try token(revoked: false)], asOf: 10))
        #expect(registry.isActive(id))
        registry.replace(with: .init(tokens: [try token(revoked: true)], asOf: 12))
        #expect(!registry.isActive(id))
        registry.replace(with: .init(tokens: [try token(revoked: false)], asOf: 11)) // read before the revoke, arriving late
        #expect(!registry.isActive(id))
        #expect(try registry.authenticate("s") == nil)
    }

    @Test("protocol edges: ASCII-only case folding, C1 controls, unknown accounts, unlocks, sys: ids, CONFLICT messages")
    func protocolEdges() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .admin) { connection async throws in
                #expect(try await connection.call("ping") == ["OK pong"])
                #expect(try await connection.call("\u{17F}tats")[0].hasPrefix("ERR UNKNOWN_COMMAND"))
                #expect(try await connection.call("p\u{131}ng")[0].hasPrefix("ERR UNKNOWN_COMMAND"))
                #expect(try await connection.call("material l\u{131}st")[0].hasPrefix("ERR UNKNOWN_COMMAND"))
                #expect(try await connection.call("POINT ADD CP-9 name=\"a\u{85}b\"")[0].hasPrefix("ERR BAD_REQUEST control character U+0085"))
                #expect(try await connection.call("HISTORY R-NOPE") == ["ERR NOT_FOUND no account R-NOPE"])
                #expect(try await connection.call("ACCOUNT UNLOCK R-1") == ["ERR CONFLICT account R-1 is not locked"])
                #expect(try await connection.call("REDEEM R-1 points=1 merchant=M-1 pin=0000 ref=w-1")[0].hasPrefix("ERR WRONG_PIN"))
                #expect(try await connection.call("ACCOUNT UNLOCK R-1") == ["ERR CONFLICT account R-1 is not locked"])
                #expect(try await connection.call("POINT ADD sys:pt name=x")[0] == "ERR FORBIDDEN ids beginning sys: are reserved for the system accounts")
                #expect(try await connection.call("MATERIAL SET sys:m rate=1 name=x")[0].hasPrefix("ERR FORBIDDEN ids beginning sys:"))
                #expect(try await connection.call("ACCOUNT OPEN sys:x kind=resident name=x")[0].hasPrefix("ERR FORBIDDEN ids beginning sys:"))
                #expect(try await connection.call("BALANCE sys:issuance")[0].hasPrefix("OK account=sys:issuance"))
                #expect(try await connection.call("POINT CLOSE CP-2")[0].hasPrefix("OK seq="))
                #expect(try await connection.call("TOKEN ISSUE role=operator point=CP-2") == ["ERR CONFLICT point CP-2 is closed"])
            }
            try await server.session(as: .operator) { connection async throws in
                #expect(try await connection.call("BALANCE sys:issuance")[0].hasPrefix("ERR FORBIDDEN system accounts"))
                #expect(try await connection.call("HISTORY sys:issuance")[0].hasPrefix("ERR FORBIDDEN system accounts"))
                #expect(try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=shared")[0].hasPrefix("OK seq="))
            }
            try await server.session(as: .auditor) { connection async throws in
                #expect(try await connection.call("BALANCE sys:issuance")[0].hasPrefix("OK account=sys:issuance"))
            }
            try await server.session(as: .merchant) { connection async throws in
                // A merchant reusing an operator's ref learns that it is taken, not which entry took it.
                #expect(try await connection.call("REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=shared")
                        == ["ERR CONFLICT ref shared was already used with other arguments"])
            }
        }
    }
}
