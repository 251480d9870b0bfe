import Foundation
import LedgerPersistence
import LedgerTestSupport
import LedgerCore
@testable import LedgerServer
import LedgerProtocol
import LedgerStore
import LedgerWire
import Testing

@Suite("Every command over a real socket", .serialized)
struct CommandTests {
    /// Each request, sent in order in one admin session, and how its reply must begin.
    static let script: [(String, String)] = [
        ("PING", "OK pong"),
        ("HELLO", "OK proto=1 server=ecoledger version="),
        ("HELLO 1", "OK proto=1"),
        ("ACCOUNT OPEN R-3 kind=resident name=\"Jose Rizal\" pin=4321", "OK seq=13 account=R-3 hash="),
        ("ACCOUNT OPEN M-3 kind=merchant name=Meralco min_redeem=200", "OK seq=14 account=M-3"),
        ("ACCOUNT OPEN B-2 kind=beneficiary name=\"School fund\" district=\"Batasan Hills\"", "OK seq=15"),
        ("ACCOUNT SHOW R-3", "OK account=R-3 kind=resident name=\"Jose Rizal\" balance=0.00 pin=set pin_failures=0 locked=0 profile=kept"),
        ("ACCOUNT SHOW M-3", "OK account=M-3 kind=merchant name=Meralco balance=0.00 min_redeem=200.00"),
        ("ACCOUNT PIN R-3 pin=5555", "OK seq=16 hash="),
        ("POINT ADD CP-3 name=\"Plaza Miranda\" district=Quiapo", "OK seq=17"),
        ("POINT CLOSE CP-3", "OK seq=18"),
        ("POINT LIST", "OK n=3"),
        ("MATERIAL SET ALU rate=12.5 name=Cans min_kg=1 max_kg=100", "OK seq=19"),
        ("MATERIAL SET ALU rate=13", "OK seq=20"),
        ("MATERIAL LIST", "OK n=2"),
        ("DROPOFF R-3 point=CP-1 material=ALU kg=2.345 ref=k-1", "OK seq=21 points=30.48 balance=30.48 hash="),
        ("DROPOFF R-3 point=CP-1 material=ALU kg=2.345 ref=k-1", "OK seq=21 points=30.48 hash="),
        ("REDEEM R-3 points=10.50 merchant=M-1 pin=5555 ref=p-1", "OK seq=22 balance=19.98 hash="),
        ("DONATE R-3 points=5 to=B-2 pin=5555 ref=d-1", "OK seq=23 balance=14.98 hash="),
        ("SETTLE M-1 points=10.5 ref=s-1", "OK seq=24 balance=0.00 hash="),
        ("REVERSE 23 reason=\"resident changed mind\" ref=r-1", "OK seq=25 amount=5.00 hash="),
        ("BALANCE R-3", "OK account=R-3 balance=19.98"),
        ("HISTORY R-3 limit=2", "OK n=2"),
        ("ENTRY 21", "OK seq=21 time="),
        ("HEAD", "OK seq=25 hash="),
        ("AUDIT", "OK entries=25 head=25:"),
        ("STATS", "OK connections=1 total_connections=1 commands="),
        ("TOKEN ISSUE role=operator point=CP-2", "OK id=tok-"),
        ("TOKEN LIST", "OK n=5"),
        ("ACCOUNT UNLOCK R-3", "ERR CONFLICT account R-3 is not locked"),
        // Every error code a request can cause.
        ("FROBNICATE", "ERR UNKNOWN_COMMAND"),
        ("ACCOUNT OPEN", "ERR BAD_ARGUMENT account: missing"),
        ("DROPOFF R-3 point=CP-1 material=ALU kg=1.2345 ref=k-9", "ERR BAD_ARGUMENT kg:"),
        ("DROPOFF R-3 point=CP-1 material=ALU kg=1 ref=k-9 extra=1", "ERR BAD_ARGUMENT extra:"),
        ("REDEEM R-3 points=1.001 merchant=M-1 pin=5555 ref=p-9", "ERR BAD_ARGUMENT points:"),
        ("DROPOFF R-3 point=CP-1 material=ALU name=\"open quote ref=k-9", "ERR BAD_REQUEST unbalanced quotes"),
        ("ACCOUNT SHOW R-404", "ERR NOT_FOUND"),
        ("ENTRY 999", "ERR NOT_FOUND no entry 999"),
        ("POINT ADD CP-1 name=Again", "ERR ALREADY_EXISTS"),
        ("DROPOFF R-3 point=CP-1 material=ALU kg=3 ref=k-1", "ERR CONFLICT"),
        ("DROPOFF R-3 point=CP-3 material=ALU kg=3 ref=k-10", "ERR CONFLICT point CP-3 is closed"),
        ("REDEEM R-3 points=1000 merchant=M-1 pin=5555 ref=p-10", "ERR INSUFFICIENT_POINTS"),
        ("REDEEM R-3 points=10 merchant=M-3 pin=5555 ref=p-11", "ERR LIMIT_EXCEEDED"),
        ("DROPOFF R-3 point=CP-1 material=ALU kg=100.001 ref=k-11", "ERR LIMIT_EXCEEDED"),
        ("REDEEM R-3 points=1 merchant=M-1 pin=0000 ref=p-12", "ERR WRONG_PIN"),
        ("REDEEM R-3 points=1 merchant=M-1 pin=0000 ref=p-13", "ERR WRONG_PIN"),
        ("REDEEM R-3 points=1 merchant=M-1 pin=0000 ref=p-14", "ERR WRONG_PIN"),
        ("REDEEM R-3 points=1 merchant=M-1 pin=0000 ref=p-15", "ERR WRONG_PIN"),
        ("REDEEM R-3 points=1 merchant=M-1 pin=0000 ref=p-16", "ERR WRONG_PIN wrong PIN for R-3; redemptions are now locked"),
        ("REDEEM R-3 points=1 merchant=M-1 pin=5555 ref=p-17", "ERR LOCKED"),
        ("ACCOUNT UNLOCK R-3", "OK seq="),
        ("REDEEM R-3 points=1 merchant=M-1 pin=5555 ref=p-17", "OK seq="),
        ("ALERTS", "OK n=0"),
        ("SCHEME SHOW", "OK tz=+08:00 daily_cap=none monthly_cap=none expiry=5y"),
        ("EXPIRE", "OK expired=0 points=0.00"),
        ("SCHEME SET daily_cap=25 tz=+07:00", "OK seq="),
        ("SCHEME SHOW", "OK tz=+07:00 daily_cap=25.00 monthly_cap=none expiry=5y"),
        ("DROPOFF R-3 point=CP-1 material=ALU kg=2 ref=capped", "ERR LIMIT_EXCEEDED the daily cap is 25.00 points: R-3 may earn "),
        ("SCHEME SET daily_cap=none tz=+08:00", "OK seq="),
        ("SCHEME SET", "ERR BAD_ARGUMENT"),
        ("SCHEME SET tz=+15:00", "ERR BAD_ARGUMENT tz"),
        ("ACCOUNT CLOSE M-3 reason=\"left the scheme\"", "OK seq="),
        ("ACCOUNT SHOW M-3", "OK account=M-3 kind=merchant name=Meralco balance=0.00 min_redeem=200.00 closed=1"),
        ("ACCOUNT CLOSE M-3 reason=again", "ERR CONFLICT account M-3 is closed"),
        ("ACCOUNT CLOSE R-3", "ERR BAD_ARGUMENT"),
        ("QUIT", "OK bye"),
    ]

    @Test("every command answers as documented, and every request-level error code appears")
    func script() async throws {
        try await TestServer.with { server in
            var seen: Set<String> = []
            try await server.session(as: .admin) { connection async throws in
                for (request, expected) in Self.script {
                    let reply = try await connection.call(request)
                    #expect(reply[0].hasPrefix(expected), "\(request) → \(reply[0])")
                    if let count = Int(reply[0].dropFirst(5)), reply[0].hasPrefix("OK n=") { #expect(reply.count == count + 1) }
                    if reply[0].hasPrefix("ERR ") { seen.insert(String(reply[0].dropFirst(4).prefix { $0 != " " })) }
                }
                #expect(try await connection.readReply() == nil, "QUIT closes the connection")
            }
            // Every code a request can earn an administrator, each seen in the script. The others
            // have tests of their own: NOT_AUTHENTICATED and FORBIDDEN (unauthenticated, the role
            // matrix), LINE_TOO_LONG and TIMEOUT (ConnectionTests, IdleTimeoutTests),
            // CHAIN_BROKEN (brokenChain below), SHUTTING_DOWN, UNAVAILABLE and INTERNAL (the
            // server's state: shutdown, storage faults).
            let elsewhere: Set<ProtocolError.Code> = [.notAuthenticated, .forbidden, .lineTooLong, .timeout, .chainBroken,
                                                      .shuttingDown, .unavailable, .internalError]
            let requestLevel = Set(ProtocolError.Code.allCases).subtracting(elsewhere).map(\.rawValue)
            #expect(seen == Set(requestLevel), "missing: \(Set(requestLevel).subtracting(seen).sorted()), unexpected: \(seen.subtracting(requestLevel).sorted())")
        }
    }

    @Test("an unauthenticated connection may only PING, HELLO, AUTH and QUIT")
    func unauthenticated() async throws {
        try await CommandHarness.with { server in
            try await server.session { connection async throws in
                #expect(try await connection.call("BALANCE R-1") == ["ERR NOT_AUTHENTICATED BALANCE needs AUTH first"])
                #expect(try await connection.call("PING") == ["OK pong"])
                #expect(try await connection.call("AUTH not-a-real-token")[0].hasPrefix("ERR NOT_AUTHENTICATED invalid token"))
            }
        }
    }

    @Test("five failed AUTHs close the connection")
    func authBruteForce() async throws {
        try await TestServer.with { server in
            try await server.session { connection async throws in
                for attempt in 1...5 {
                    let reply = try await connection.call("AUTH guess-\(attempt)-xxxxxxxxxxxxxxxx")
                    #expect(reply[0].hasPrefix("ERR NOT_AUTHENTICATED"))
                }
                #expect(try await connection.readReply() == nil)
            }
        }
    }

    @Test("a revoked token no longer authenticates; entries record the token id as actor")
    func revocation() async throws {
        try await CommandHarness.with { server in
            let (id, secret) = try await server.session(as: .admin) { connection async throws in
                let reply = try await connection.call("TOKEN ISSUE role=operator point=CP-1")[0]
                let fields = Dictionary(uniqueKeysWithValues: reply.split(separator: " ").dropFirst().map {
                    let parts = $0.split(separator: "=", maxSplits: 1); return (String(parts[0]), String(parts[1]))
                })
                return (fields["id"]!, fields["token"]!)
            }
            let seq = try await server.session { connection async throws in
                #expect(try await connection.call("AUTH \(secret)")[0] == "OK role=operator point=CP-1 token=\(id)")
                let reply = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=via-new-token")[0]
                return Int64(reply.split(separator: " ")[1].dropFirst(4))!
            }
            let actor = try server.store.entry(seq: seq)?.body.actor.rawValue
            #expect(actor == id)
            try await server.session(as: .admin) { connection async throws in
                let reply = try await connection.call("TOKEN REVOKE \(id)")
                #expect(reply[0].hasPrefix("OK seq="))
            }
            try await server.session { connection async throws in
                let reply = try await connection.call("AUTH \(secret)")
                #expect(reply[0].hasPrefix("ERR NOT_AUTHENTICATED"))
            }
        }
    }

    @Test("a broken chain makes AUDIT answer CHAIN_BROKEN with the first bad seq")
    func chainBroken() async throws {
        try await CommandHarness.with { server in
            try Tamper.sql(server.path, "DROP TRIGGER journal_is_append_only_update; UPDATE journal SET actor = 'mallory' WHERE seq = 3")
            try await server.session(as: .auditor) { connection async throws in
                let reply = try await connection.call("AUDIT")[0]
                #expect(reply.hasPrefix("ERR CHAIN_BROKEN seq=3 reason="), "\(reply)")
            }
        }
    }
}
