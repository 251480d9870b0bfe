import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Testing

@Suite("Drop-offs")
struct DropoffTests {
    @Test("a drop-off credits floor(grams × rate ÷ 1000) from sys:issuance and records the rate applied")
    func creditsResident() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let receipt = try ledger.store.submit(Make.dropoff("R-1", kg: "2.345", ref: "k-1"))
        #expect(receipt.entry.body.amount == Points(centipoints: 4221)) // 2345 g × 1800 c/kg ÷ 1000
        #expect(receipt.entry.body.debit == .issuance)
        #expect(receipt.entry.body["rate"] == "1800")
        #expect(receipt.entry.body["grams"] == "2345")
        #expect(receipt.balances[try AccountID("R-1")] == Points(centipoints: 4221))
        #expect(try ledger.store.balance("sys:issuance") == Points(centipoints: -4221))
        #expect(!receipt.replayed)
    }

    @Test("rounding is always down: 1.001 kg of cans at 12.50/kg earns 12.51, not 12.5125")
    func roundsDown() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let receipt = try ledger.store.submit(Make.dropoff("R-1", kg: "1.001", material: "ALU", ref: "k-1"))
        #expect(receipt.entry.body.amount == Points(centipoints: 1251))
    }

    @Test("a rate change applies to later drop-offs only; each entry keeps the rate it used")
    func rateChange() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "k-1"))
        _ = try ledger.store.submit(Make.request(.setMaterial(code: MaterialCode("PET"), rate: Rate(perKilogram: Make.points("20")),
                                                              name: nil, minGrams: nil, maxGrams: nil)))
        let second = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "k-2"))
        #expect(second.entry.body["rate"] == "2000")
        #expect(try ledger.store.balance("R-1") == Make.points("38"))
        let pet = try #require(try ledger.store.material(MaterialCode("PET")))
        #expect(pet.minGrams == Grams(1000), "omitted limits keep their value")
        #expect(pet.name == "PET")
    }

    @Test("weights outside the material's limits are refused with LIMIT_EXCEEDED")
    func weightLimits() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "0.999", ref: "a")) }
        expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2.999", material: "SACHET", ref: "b")) }
        expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "50.001", material: "SACHET", ref: "c")) }
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "50", material: "SACHET", ref: "d"))
        // No maximum set: the documented default cap of 500 kg applies.
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "500", material: "ALU", ref: "e"))
        expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "500.001", material: "ALU", ref: "f")) }
        // No minimum: any positive weight counts, but one that earns less than a centipoint is refused.
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "0.001", material: "ALU", ref: "g"))
        expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "0", material: "ALU", ref: "h")) }
        #expect(try ledger.store.head().seq == 12)
    }

    @Test("unknown or wrong accounts, points and materials are refused and change nothing")
    func refusals() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let before = try ledger.store.head()
        expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Make.dropoff("R-404", kg: "1", ref: "a")) }
        expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Make.dropoff("M-1", kg: "1", ref: "b")) }
        expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", point: "CP-404", ref: "c")) }
        expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", material: "GLASS", ref: "d")) }
        _ = try ledger.store.submit(Make.request(.closePoint(id: PointID("CP-1"))))
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "e")) }
        #expect(try ledger.store.head().seq == before.seq + 1)
        #expect(try ledger.store.balance("R-1") == .zero)
    }

    @Test("a rate so large that grams × rate overflows Int64 is refused, not wrapped")
    func overflow() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.request(.setMaterial(code: MaterialCode("GOLD"), rate: Rate(perKilogram: Points(centipoints: .max / 1000)),
                                                              name: "Gold", minGrams: nil, maxGrams: nil)))
        expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1.001", material: "GOLD", ref: "a")) }
        #expect(try ledger.store.balance("R-1") == .zero)
    }
}
