import LedgerCore
import LedgerPersistence
import LedgerCrypto
@testable import LedgerStore
import Testing

@Suite("Accounts, points, materials and tokens")
struct CatalogueTests {
    @Test("accounts open once; sys: ids, PINs for non-residents and minimums for non-merchants are refused")
    func openAccounts() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        func open(_ id: String, _ kind: AccountKind, pin: PINRecord? = nil, minRedeem: String? = nil) throws {
            _ = try ledger.store.submit(Make.request(.openAccount(.init(id: AccountID(id), kind: kind, name: "X", pin: pin,
                                                                        minRedeem: try minRedeem.map(Make.points)))))
        }
        expectLedgerError("ALREADY_EXISTS") { try open("R-1", .resident) }
        expectLedgerError("FORBIDDEN") { try open("sys:mine", .merchant) }
        expectLedgerError("BAD_ARGUMENT") { try open("M-2", .merchant, pin: Make.pin("1234")) }
        expectLedgerError("BAD_ARGUMENT") { try open("R-3", .resident, minRedeem: "5") }
        expectLedgerError("BAD_ARGUMENT") { try open("M-3", .merchant, minRedeem: "0") }
        expectLedgerError("BAD_ARGUMENT") { try open("S-1", .system) }
        expectLedgerError("BAD_ARGUMENT") {
            _ = try ledger.store.submit(Make.request(.openAccount(.init(id: AccountID("R-9"), kind: .resident, name: "bad\u{7}name"))))
        }
        let account = try #require(try ledger.store.account(AccountID("M-BILL")))
        #expect(account.minRedeem == (try Make.points("200")))
    }

    @Test("the PIN is stored only as a salted PBKDF2 record and the journal holds only its digest")
    func pinStorage() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let stored = try #require(try ledger.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT pin_hash FROM accounts WHERE id = 'R-1'")
        })
        #expect(stored.hasPrefix("pbkdf2-sha256$1000$"))
        // The PIN is none of the record's fields (a random hex salt may contain "1234" by chance:
        // 90 hex digits do about once in 700 runs, so the test looks at whole fields).
        #expect(!stored.split(separator: "$").contains("1234"))
        let record = try #require(PINRecord(text: stored))
        #expect(try record.matches(PIN("1234")))
        let opened = try #require(try ledger.store.entry(seq: 5))
        #expect(opened.body["pin_digest"] == (try record.digest.hex))
        let journalText = try ledger.store.pool.read { db in try String.fetchAll(db, sql: "SELECT attrs FROM journal").joined() }
        #expect(!journalText.contains(stored))
    }

    @Test("points close once; materials need a name first and sane limits")
    func pointsAndMaterials() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        expectLedgerError("ALREADY_EXISTS") {
            _ = try ledger.store.submit(Make.request(.addPoint(id: PointID("CP-1"), name: "Again", district: nil)))
        }
        _ = try ledger.store.submit(Make.request(.closePoint(id: PointID("CP-1"))))
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.closePoint(id: PointID("CP-1")))) }
        expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Make.request(.closePoint(id: PointID("CP-2")))) }
        #expect(try ledger.store.point(PointID("CP-1"))?.active == false)
        func set(_ code: String, rate: String, name: String?, min: String? = nil, max: String? = nil) throws {
            _ = try ledger.store.submit(Make.request(.setMaterial(code: MaterialCode(code), rate: Rate(perKilogram: Make.points(rate)), name: name,
                                                                  minGrams: try min.map(Make.kg), maxGrams: try max.map(Make.kg))))
        }
        expectLedgerError("BAD_ARGUMENT") { try set("CARTON", rate: "5", name: nil) }
        expectLedgerError("BAD_ARGUMENT") { try set("CARTON", rate: "0", name: "Cartons") }
        expectLedgerError("BAD_ARGUMENT") { try set("CARTON", rate: "5", name: "Cartons", min: "10", max: "5") }
        expectLedgerError("BAD_ARGUMENT") { try set("CARTON", rate: "5", name: "Cartons", min: "501") }
        try set("CARTON", rate: "5", name: "Cartons", min: "1", max: "100")
        #expect(try ledger.store.materials().map(\.code.rawValue) == ["ALU", "CARTON", "PET", "SACHET"])
    }

    @Test("tokens are bound to what their role needs, stored as a hash, and revoked once")
    func tokens() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let secret = try SHA256.digest(Array("a secret of at least sixteen characters".utf8))
        func issue(_ id: String, _ role: Role, point: String? = nil, merchant: String? = nil) throws {
            _ = try ledger.store.submit(Make.request(.issueToken(id: TokenID(id), role: role, point: try point.map { try PointID($0) },
                                                                 merchant: try merchant.map { try AccountID($0) }, secretHash: secret)))
        }
        try issue("t-op", .operator, point: "CP-1")
        try issue("t-m", .merchant, merchant: "M-1")
        try issue("t-a", .auditor)
        expectLedgerError("ALREADY_EXISTS") { try issue("t-a", .admin) }
        expectLedgerError("BAD_ARGUMENT") { try issue("t-x", .operator) }
        expectLedgerError("NOT_FOUND") { try issue("t-y", .merchant, merchant: "R-1") }
        expectLedgerError("BAD_ARGUMENT") { try issue("t-z", .auditor, point: "CP-1") }
        _ = try ledger.store.submit(Make.request(.revokeToken(id: TokenID("t-m"))))
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.revokeToken(id: TokenID("t-m")))) }
        expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Make.request(.revokeToken(id: TokenID("t-404")))) }
        let tokens = try ledger.store.tokens()
        #expect(tokens.map(\.id.rawValue) == ["t-a", "t-m", "t-op"])
        #expect(tokens.allSatisfy { $0.secretHash == secret })
        #expect(tokens.first { $0.id.rawValue == "t-m" }?.revoked == true)
    }

    @Test("every entry records its actor")
    func actors() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.request(.issueToken(id: TokenID("tok-kiosk-7"), role: .operator, point: PointID("CP-1"),
                                                             merchant: nil, secretHash: SHA256.digest(Array("s".utf8)))))
        let kiosk = Actor(unchecked: "tok-kiosk-7")
        let receipt = try ledger.store.submit(LedgerRequest(actor: kiosk, command: Make.dropoff("R-1", kg: "1", ref: "k").command))
        #expect(try ledger.store.entry(seq: receipt.entry.seq)?.body.actor == kiosk)
    }
}
