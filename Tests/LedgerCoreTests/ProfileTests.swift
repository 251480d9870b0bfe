import LedgerCore
import LedgerCrypto
import Testing

/// Residents' names outside the journal: the profile's commitment, and the replay rules of
/// `account_opened` (both forms) and `account_erased`.
@Suite("Resident profiles, in the core")
struct ProfileTests {
    @Test("a profile's text is four lines and its digest is SHA-256 of them: the vector of docs/LEDGER.md")
    func profileVector() throws {
        let profile = try Profile(name: "Juan dela Cruz", district: "Batasan Hills", salt: Array(16..<32))
        #expect(profile.text == "ecoledger-profile-v1\nsalt 101112131415161718191a1b1c1d1e1f\nname Juan dela Cruz\ndistrict Batasan Hills\n")
        #expect(try profile.digest.hex == "b0faa33362f3a54d725ea66e040edba0dceb90b4e8dbf0f27cee128829bdf1a1")
        let withoutDistrict = try Profile(name: "Juan dela Cruz", district: nil, salt: Array(16..<32))
        #expect(withoutDistrict.text == "ecoledger-profile-v1\nsalt 101112131415161718191a1b1c1d1e1f\nname Juan dela Cruz\n")
        #expect(throws: LedgerError.self) { try Profile(name: "A\nB", district: nil, salt: Array(16..<32)) }
        #expect(throws: LedgerError.self) { try Profile(name: "A", district: nil, salt: [1, 2, 3]) }
        // Fresh profiles of the same person do not share a digest: the salt is random.
        #expect(try Profile.make(name: "Juan", district: nil).digest != Profile.make(name: "Juan", district: nil).digest)
    }

    @Test("a resident is opened with a profile digest and no name; merchants and pools keep their names in the entry")
    func openedWithProfile() throws {
        let ledger = try MemoryLedger()
        guard case .appended(let resident) = try ledger.run(.openAccount(.init(id: AccountID("R-1"), kind: .resident, name: "Juan dela Cruz",
                                                                             district: "Batasan Hills")))
        else { Issue.record("must append"); return }
        #expect(resident.body["name"] == nil && resident.body["district"] == nil)
        let profile = try #require(ledger.snapshot.profiles[try AccountID("R-1")])
        #expect(resident.body["profile_digest"] == (try profile.digest.hex))
        #expect(profile.name == "Juan dela Cruz" && profile.district == "Batasan Hills")
        let state = try #require(ledger.snapshot.accounts[try AccountID("R-1")])
        let digest = try profile.digest
        #expect(state.name == nil && state.profileDigest == digest && !state.erased)
        guard case .appended(let merchant) = try ledger.run(.openAccount(.init(id: AccountID("M-1"), kind: .merchant, name: "Store")))
        else { Issue.record("must append"); return }
        #expect(merchant.body["name"] == "Store" && merchant.body["profile_digest"] == nil)
    }

    /// Seals `attributes` as an `account_opened` after the ledger's last entry, and replays the
    /// ledger and it.
    func replay(_ ledger: MemoryLedger, opening attributes: EntryAttributes) throws {
        let last = ledger.entries.last
        let body = EntryBody(kind: .accountOpened, actor: Actor.example, attributes: attributes)
        let entry = try Entry.seal(body, seq: (last?.seq ?? 0) + 1, timeMs: ledger.time, after: last?.hash ?? .zero, hasher: SHA256.Hasher())
        var replayer = try ChainReplayer(lookup: .init(bySeq: { _ in nil }, byRef: { _ in nil }))
        for earlier in ledger.entries { try replayer.feed(earlier) }
        try replayer.feed(entry)
    }

    @Test("the replay accepts a resident opened with its name (before profiles), and refuses mixed or misplaced forms")
    func openingForms() throws {
        let ledger = try MemoryLedger()
        try replay(ledger, opening: ["account": "R-OLD", "account_kind": "resident", "name": "Juan", "district": "Batasan Hills"])
        let digest = String(repeating: "ab", count: 32)
        try replay(ledger, opening: ["account": "R-NEW", "account_kind": "resident", "profile_digest": digest])
        // A name beside a digest, a merchant with a profile, a resident with neither.
        #expect(throws: AuditFailure.self) {
            try replay(ledger, opening: ["account": "R-X", "account_kind": "resident", "profile_digest": digest, "name": "Juan"])
        }
        #expect(throws: AuditFailure.self) { try replay(ledger, opening: ["account": "M-X", "account_kind": "merchant", "profile_digest": digest]) }
        #expect(throws: AuditFailure.self) { try replay(ledger, opening: ["account": "R-X", "account_kind": "resident"]) }
    }

    @Test("a scheme_set has all four alert thresholds or none (entries from before they were settings)")
    func schemeAlertSettings() throws {
        let base = ["utc_offset_minutes": "480", "expiry_ms": "157680000000", "hold_action": "void"]
        func replay(_ attributes: [String: String]) throws {
            let entry = try Entry.seal(EntryBody(kind: .schemeSet, actor: Actor.example, attributes: EntryAttributes(attributes)), seq: 1, timeMs: 1,
                                       after: .zero, hasher: SHA256.Hasher())
            var replayer = try ChainReplayer(lookup: .init(bySeq: { _ in nil }, byRef: { _ in nil }))
            try replayer.feed(entry)
        }
        try replay(base)
        let all = base.merging(["alert_weight_factor": "8", "alert_points": "4", "alert_repeats": "2", "alert_surge_factor": "10"]) { $1 }
        try replay(all)
        #expect(throws: AuditFailure.self) { try replay(base.merging(["alert_points": "4"]) { $1 }) }
        #expect(throws: AuditFailure.self) { try replay(all.merging(["alert_points": "21"]) { $1 }) }
    }

    @Test("erasure: only a closed resident with a profile, once; the replayed state forgets the digest")
    func erasureRules() throws {
        let ledger = try MemoryLedger()
        try ledger.run(.openAccount(.init(id: AccountID("R-1"), kind: .resident, name: "Juan")))
        try ledger.run(.openAccount(.init(id: AccountID("M-1"), kind: .merchant, name: "Store")))
        func erase(_ id: String) throws { try ledger.run(.eraseAccount(account: AccountID(id), reason: "resident's request")) }
        #expect(throws: LedgerError.conflict("R-1 is open: close it first (ACCOUNT CLOSE), which forfeits what it holds")) { try erase("R-1") }
        #expect(throws: LedgerError.self) { try erase("M-1") }
        #expect(throws: LedgerError.self) { try erase("R-NOPE") }
        try ledger.run(.closeAccount(account: AccountID("R-1"), reason: "moved away"))
        guard case .appended(let erasure) = try ledger.run(.eraseAccount(account: AccountID("R-1"), reason: "resident's request"))
        else { Issue.record("must append"); return }
        #expect(erasure.kind == .accountErased && erasure.body["reason"] == "resident's request" && erasure.body.amount == .zero)
        let state = try #require(ledger.snapshot.accounts[try AccountID("R-1")])
        #expect(state.erased && state.profileDigest == nil && state.closed)
        #expect(ledger.snapshot.profiles[try AccountID("R-1")] == nil)
        #expect(throws: LedgerError.conflict("R-1 is already erased")) { try erase("R-1") }
    }

    @Test("a resident whose name is in the journal cannot be erased, and is told so before anyone closes it")
    func legacyCannotBeErased() throws {
        // Continue from the replayed state, as a ledger from before profiles would.
        var replayer = try ChainReplayer(lookup: .init(bySeq: { _ in nil }, byRef: { _ in nil }))
        let body = EntryBody(kind: .accountOpened, actor: Actor.example,
                             attributes: ["account": "R-OLD", "account_kind": "resident", "name": "Juan"])
        let opened = try Entry.seal(body, seq: 1, timeMs: 1, after: .zero, hasher: SHA256.Hasher())
        try replayer.feed(opened)
        var state = replayer.snapshot
        let engine = try LedgerEngine()
        let refusal = LedgerError.conflict("R-OLD was opened with its name in the journal (before profiles existed), where it cannot be erased")
        #expect(throws: refusal, "not 'close it first': closing would forfeit its points for nothing") {
            _ = try engine.execute(LedgerRequest(actor: .example, command: .eraseAccount(account: AccountID("R-OLD"), reason: "asked")),
                                   in: &state, timeMs: 2)
        }
        _ = try engine.execute(LedgerRequest(actor: .example, command: .closeAccount(account: AccountID("R-OLD"), reason: "left")), in: &state, timeMs: 2)
        #expect(throws: refusal) {
            _ = try engine.execute(LedgerRequest(actor: .example, command: .eraseAccount(account: AccountID("R-OLD"), reason: "asked")),
                                   in: &state, timeMs: 3)
        }
    }
}
