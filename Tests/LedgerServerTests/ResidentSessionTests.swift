import LedgerCore
import LedgerProtocol
import LedgerTestSupport
@testable import LedgerServer
import Testing

@Suite("Residents' own sessions (AUTH RESIDENT)")
struct ResidentSessionTests {
    @Test("a resident sees their own balance, history and receipts, and nothing else")
    func ownAccountOnly() async throws {
        try await CommandHarness.with { server in
            let credited = try await server.session(as: .admin) { admin async throws in
                try #require(Reply.field("seq", in: try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=mine")[0]))
            }
            let other = try await server.session(as: .admin) { admin async throws in
                try #require(Reply.field("seq", in: try await admin.call("DROPOFF R-2 point=CP-1 material=PET kg=2 ref=theirs")[0]))
            }
            try await server.session { resident async throws in
                #expect(try await resident.call("AUTH RESIDENT R-1 pin=1234") == ["OK role=resident account=R-1"])
                let balance = try await resident.call("BALANCE R-1")[0]
                #expect(balance.hasPrefix("OK account=R-1 balance=36.00 expiring=36.00 expires="), "\(balance)")
                #expect(try await resident.call("HISTORY R-1")[0] == "OK n=1")
                #expect(try await resident.call("RECEIPT \(credited)")[0].hasPrefix("OK"), "their own drop-off's receipt")
                #expect(try await resident.call("RECEIPT \(other)")[0].hasPrefix("ERR FORBIDDEN"), "not another resident's")
                for request in ["BALANCE R-2", "HISTORY R-2", "DROPOFF R-1 point=CP-1 material=PET kg=2 ref=self", "ENTRY 1", "CHECKPOINT",
                                "SCHEME SHOW", "ACCOUNT SHOW R-1", "ACCOUNT PIN R-1 pin=9999", "ACCOUNT PIN R-2 old=1234 pin=9999",
                                "REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=x"] {
                    #expect(try await resident.call(request)[0].hasPrefix("ERR FORBIDDEN"), "\(request)")
                }
            }
        }
    }

    @Test("a wrong PIN and an unknown account get the same answer; the wrong PIN is journaled and locks after five")
    func failures() async throws {
        try await CommandHarness.with { server in
            try await server.session { anonymous async throws in
                #expect(try await anonymous.call("AUTH RESIDENT R-1 pin=0000") == ["ERR NOT_AUTHENTICATED wrong account or PIN"])
                #expect(try await anonymous.call("AUTH RESIDENT R-NOPE pin=0000") == ["ERR NOT_AUTHENTICATED wrong account or PIN"])
                #expect(try await anonymous.call("AUTH RESIDENT M-1 pin=1234") == ["ERR NOT_AUTHENTICATED wrong account or PIN"])
                #expect(try await anonymous.call("BALANCE R-1")[0].hasPrefix("ERR NOT_AUTHENTICATED"))
            }
            try await server.session(as: .admin) { admin async throws in
                let head = try #require(Reply.field("seq", in: try await admin.call("HEAD")[0]))
                let entry = try await admin.call("ENTRY \(head)")[0]
                #expect(entry.contains("kind=pin_rejected") && entry.contains("actor=resident"), "\(entry)")
            }
            // Four more wrong PINs (a connection closes after five failed AUTHs): R-1 is locked,
            // and then even the right PIN gets the same answer.
            try await server.session { anonymous async throws in
                for _ in 0..<4 { _ = try await anonymous.call("AUTH RESIDENT R-1 pin=0000") }
            }
            try await server.session { anonymous async throws in
                #expect(try await anonymous.call("AUTH RESIDENT R-1 pin=1234") == ["ERR NOT_AUTHENTICATED wrong account or PIN"])
            }
            try await server.session(as: .admin) { admin async throws in
                #expect(try await admin.call("ACCOUNT SHOW R-1")[0].contains("locked=1"))
            }
        }
    }

    @Test("a resident changes their PIN with the old one and stays logged in; a PIN changed by an administrator ends the session")
    func pinChanges() async throws {
        try await CommandHarness.with { server in
            try await server.session { resident async throws in
                #expect(try await resident.call("AUTH RESIDENT R-1 pin=1234")[0].hasPrefix("OK role=resident"))
                #expect(try await resident.call("ACCOUNT PIN R-1 old=0000 pin=5678")[0].hasPrefix("ERR WRONG_PIN wrong PIN for R-1; 4 attempt(s) left"))
                #expect(try await resident.call("ACCOUNT PIN R-1 old=1234 pin=5678")[0].hasPrefix("OK seq="))
                #expect(try await resident.call("BALANCE R-1") == ["OK account=R-1 balance=0.00"], "the session carries on")
                try await server.session(as: .admin) { admin async throws in
                    #expect(try await admin.call("ACCOUNT PIN R-1 pin=2468")[0].hasPrefix("OK seq="))
                }
                #expect(try await resident.call("BALANCE R-1")[0].hasPrefix("ERR NOT_AUTHENTICATED this resident session has ended"))
                #expect(try await resident.call("BALANCE R-1")[0].hasPrefix("ERR NOT_AUTHENTICATED BALANCE needs AUTH first"))
                #expect(try await resident.call("AUTH RESIDENT R-1 pin=5678") == ["ERR NOT_AUTHENTICATED wrong account or PIN"])
                #expect(try await resident.call("AUTH RESIDENT R-1 pin=2468")[0].hasPrefix("OK role=resident"))
            }
            try await server.session(as: .admin) { admin async throws in
                #expect(try await admin.call("AUDIT")[0].hasPrefix("OK entries="), "entries by the resident actor pass the audit")
            }
        }
    }

    @Test("closing the account ends its resident sessions")
    func closureEndsSession() async throws {
        try await CommandHarness.with { server in
            try await server.session { resident async throws in
                #expect(try await resident.call("AUTH RESIDENT R-2 pin=1234")[0].hasPrefix("OK role=resident"))
                try await server.session(as: .admin) { admin async throws in
                    #expect(try await admin.call("ACCOUNT CLOSE R-2 reason=moved")[0].hasPrefix("OK seq="))
                }
                #expect(try await resident.call("HISTORY R-2")[0].hasPrefix("ERR NOT_AUTHENTICATED this resident session has ended"))
            }
        }
    }

    @Test("a lock ends a resident's session even once lifted; an unknown account's PIN change is NOT_FOUND")
    func lockEndsSession() async throws {
        try await CommandHarness.with { server in
            try await server.session { resident async throws in
                #expect(try await resident.call("AUTH RESIDENT R-1 pin=1234")[0].hasPrefix("OK role=resident"))
                // Someone else locks R-1 with wrong PINs; an administrator unlocks it.
                try await server.session { guesser async throws in
                    for _ in 0..<4 { _ = try await guesser.call("AUTH RESIDENT R-1 pin=0000") }
                }
                try await server.session { guesser async throws in _ = try await guesser.call("AUTH RESIDENT R-1 pin=0000") }
                try await server.session(as: .admin) { admin async throws in
                    #expect(try await admin.call("ACCOUNT SHOW R-1")[0].contains("locked=1"))
                    #expect(try await admin.call("ACCOUNT UNLOCK R-1")[0].hasPrefix("OK seq="))
                    #expect(try await admin.call("ACCOUNT PIN R-NOPE old=1234 pin=5678") == ["ERR NOT_FOUND no account R-NOPE"])
                }
                #expect(try await resident.call("BALANCE R-1")[0].hasPrefix("ERR NOT_AUTHENTICATED this resident session has ended"))
                #expect(try await resident.call("AUTH RESIDENT R-1 pin=1234")[0].hasPrefix("OK role=resident"), "a new login works")
                #expect(try await resident.call("BALANCE R-1")[0].hasPrefix("OK account=R-1"))
            }
        }
    }
}

@Suite("One resident login attempt per account at a time")
struct ResidentLoginsTests {
    @Test("a second attempt for a busy account is refused until the first ends; other accounts are free")
    func oneAtATime() throws {
        let logins = ResidentLogins()
        let account = try AccountID("R-1")
        #expect(logins.begin(account))
        #expect(!logins.begin(account))
        #expect(logins.begin(try AccountID("R-2")))
        logins.end(account)
        #expect(logins.begin(account))
    }
}
