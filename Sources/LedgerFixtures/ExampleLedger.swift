import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerStore
import Synchronization

/// A small, fully deterministic ledger: the example of docs/LEDGER.md, whose first entries
/// are the specification's test vectors, and what `ecoledger init --example` writes.
///
/// Its clock starts at 2026-01-01T00:00:00Z and advances one second per entry; its PIN and
/// profile salts are fixed; so every byte and hash is reproducible anywhere.
public enum ExampleLedger {
    public static let startMs: Int64 = 1_767_225_600_000
    public static let actor = Actor(unchecked: "example")

    /// A clock that returns `startMs`, then one second later at each call.
    public static func clock() -> @Sendable () -> Int64 {
        let ticks = Counter()
        return { startMs + 1000 * ticks.next() }
    }

    /// The example's requests, in order.
    public static func requests() throws -> [LedgerRequest] {
        let pin = try PINRecord.make(for: PIN("1234"), salt: Array(0..<16), iterations: 20_000)  // the vectors of docs/LEDGER.md
        let commands: [LedgerCommand] = try [
            .setMaterial(code: MaterialCode("PET"), rate: Rate(perKilogram: Points(parsing: "18")), name: "Clear PET bottles",
                         minGrams: Grams(parsingKilograms: "1"), maxGrams: nil),
            .setMaterial(code: MaterialCode("SACHET"), rate: Rate(perKilogram: Points(parsing: "1")), name: "Sachets",
                         minGrams: Grams(parsingKilograms: "3"), maxGrams: Grams(parsingKilograms: "50")),
            .addPoint(id: PointID("CP-BATASAN"), name: "Batasan Hills Barangay Hall", district: "Batasan Hills"),
            .openAccount(.init(id: AccountID("R-0001"), kind: .resident, name: "Juan dela Cruz", district: "Batasan Hills", pin: pin,
                               profileSalt: Array(16..<32))),
            .openAccount(.init(id: AccountID("M-SARISARI"), kind: .merchant, name: "Aling Nena's Sari-sari Store")),
            .openAccount(.init(id: AccountID("M-MERALCO"), kind: .merchant, name: "Meralco bills", minRedeem: Points(parsing: "200"))),
            .openAccount(.init(id: AccountID("B-BATASAN"), kind: .beneficiary, name: "Batasan Hills school fund", district: "Batasan Hills")),
            .dropoff(.init(account: AccountID("R-0001"), point: PointID("CP-BATASAN"), material: MaterialCode("PET"),
                           grams: Grams(parsingKilograms: "2.345"), ref: ClientRef("kiosk-1-0001"))),
            .dropoff(.init(account: AccountID("R-0001"), point: PointID("CP-BATASAN"), material: MaterialCode("SACHET"),
                           grams: Grams(parsingKilograms: "3.5"), ref: ClientRef("kiosk-1-0002"))),
            .redeem(.init(account: AccountID("R-0001"), payee: AccountID("M-SARISARI"), amount: Points(parsing: "10"),
                          pin: PIN("1234"), ref: ClientRef("pos-7-0001"))),
            .donate(.init(account: AccountID("R-0001"), payee: AccountID("B-BATASAN"), amount: Points(parsing: "5.5"),
                          pin: PIN("1234"), ref: ClientRef("kiosk-1-0003"))),
            .settle(merchant: AccountID("M-SARISARI"), amount: Points(parsing: "10"), ref: ClientRef("city-settle-0001")),
            .reverse(seq: 9, reason: "sachets were wet; weighed again", ref: ClientRef("kiosk-1-0004")),
            .issueToken(id: TokenID("tok-audit-1"), role: .auditor, point: nil, merchant: nil,
                        secretHash: SHA256.digest(Array("example auditor secret".utf8))),
        ]
        return commands.map { LedgerRequest(actor: actor, command: $0) }
    }

    /// Writes the example into an empty ledger, of either engine.
    public static func populate(_ ledger: some LedgerWriting) throws {
        for request in try requests() { _ = try ledger.submitOne(request) }
    }
}


/// A thread-safe tick counter for deterministic clocks.
final class Counter: Sendable {
    private let value = Mutex<Int64>(0)
    func next() -> Int64 {
        value.withLock { current in
            defer { current += 1 }
            return current
        }
    }
}
