import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerStore
import Testing

/// Who may write an entry: a fixed actor, or a token active at that point of the journal.
@Suite("Actors")
struct ActorTests {
    static func issue(_ id: String, in store: LedgerStore) throws {
        _ = try store.submit(Make.request(.issueToken(id: TokenID(id), role: .operator, point: PointID("CP-1"), merchant: nil,
                                                      secretHash: SHA256.digest(Array(id.utf8)))))
    }

    @Test("a write by a revoked token is refused NOT_AUTHENTICATED and writes nothing")
    func revokedTokenCannotWrite() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        try Self.issue("tok-op", in: ledger.store)
        let kiosk = Actor(unchecked: "tok-op")
        _ = try ledger.store.submit(LedgerRequest(actor: kiosk, command: Make.dropoff("R-1", kg: "1", ref: "before").command))
        _ = try ledger.store.submit(Make.request(.revokeToken(id: TokenID("tok-op"))))
        let head = try ledger.store.head()
        #expect(throws: LedgerError.unauthenticated("actor tok-op is not an active token")) {
            try ledger.store.submit(LedgerRequest(actor: kiosk, command: Make.dropoff("R-1", kg: "1", ref: "after").command))
        }
        #expect(try ledger.store.head() == head)
        #expect(try ledger.store.entry(ref: ClientRef("after")) == nil)
        // Nor is a retry of its earlier write answered.
        #expect(throws: LedgerError.unauthenticated("actor tok-op is not an active token")) {
            try ledger.store.submit(LedgerRequest(actor: kiosk, command: Make.dropoff("R-1", kg: "1", ref: "before").command))
        }
    }

    @Test("a write by a token that was never issued is refused")
    func unknownActorCannotWrite() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        #expect(throws: LedgerError.unauthenticated("actor tok-nobody is not an active token")) {
            try ledger.store.submit(LedgerRequest(actor: Actor(unchecked: "tok-nobody"), command: Make.dropoff("R-1", kg: "1", ref: "x").command))
        }
    }

    @Test("a token may write its own revocation; the fixed program actors always may; the resident actor only PIN entries")
    func selfRevocationAndFixedActors() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        try Self.issue("tok-op", in: ledger.store)
        _ = try ledger.store.submit(LedgerRequest(actor: Actor(unchecked: "tok-op"), command: .revokeToken(id: TokenID("tok-op"))))
        for actor in Actor.fixed.sorted() where actor != .resident {
            _ = try ledger.store.submit(LedgerRequest(actor: actor, command: Make.dropoff("R-1", kg: "1", ref: "by-\(actor)").command))
        }
        expectLedgerError("FORBIDDEN") {
            _ = try ledger.store.submit(LedgerRequest(actor: .resident, command: Make.dropoff("R-1", kg: "1", ref: "by-resident").command))
        }
        _ = try ledger.store.submit(LedgerRequest(actor: .resident, command: .rejectPIN(account: AccountID("R-1"))))
        _ = try ledger.store.submit(LedgerRequest(actor: .resident, command: .changePIN(account: AccountID("R-1"), pin: Make.pin("2468"))))
        #expect(try ledger.store.verify().get().entries == ledger.store.head().seq)
    }
}
