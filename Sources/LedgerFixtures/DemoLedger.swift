import LedgerCore

/// The `--demo` ledger's catalogue (`ecoledgerd --demo`): five materials, one collection point,
/// a merchant, a pool and two residents whose PIN is 1234, and the token each role gets. The one
/// demo catalogue; the example ledger (`ExampleLedger`) and generated ledgers (`LedgerGenerator`)
/// keep their own ids, because documents and tests name them.
public enum DemoLedger {
    public static let residentPIN = "1234"

    /// The catalogue's commands, in order, with residents' PIN records made with `pinKey`.
    public static func catalogue(pinKey: PINKey?) throws -> [LedgerCommand] {
        let pin = try PINRecord.make(for: PIN(residentPIN), key: pinKey)
        func kg(_ text: String) throws -> Grams { try Grams(parsingKilograms: text) }
        func rate(_ text: String) throws -> Rate { Rate(perKilogram: try Points(parsing: text)) }
        return try [
            .setMaterial(code: MaterialCode("PET"), rate: rate("18"), name: "Clear PET bottles", minGrams: kg("1"), maxGrams: nil),
            .setMaterial(code: MaterialCode("ALU"), rate: rate("12"), name: "Aluminium cans", minGrams: kg("1"), maxGrams: nil),
            .setMaterial(code: MaterialCode("CARTON"), rate: rate("5"), name: "Cartons", minGrams: kg("1"), maxGrams: nil),
            .setMaterial(code: MaterialCode("PAPER"), rate: rate("3"), name: "Paper", minGrams: kg("1"), maxGrams: nil),
            .setMaterial(code: MaterialCode("SACHET"), rate: rate("1"), name: "Sachets", minGrams: kg("3"), maxGrams: kg("50")),
            .addPoint(id: PointID("CP-DEMO"), name: "Demo Barangay Hall", district: "Batasan Hills"),
            .openAccount(.init(id: AccountID("M-DEMO"), kind: .merchant, name: "Demo Sari-sari Store")),
            .openAccount(.init(id: AccountID("B-DEMO"), kind: .beneficiary, name: "Demo school fund", district: "Batasan Hills")),
            .openAccount(.init(id: AccountID("R-DEMO-1"), kind: .resident, name: "Juan dela Cruz", pin: pin)),
            .openAccount(.init(id: AccountID("R-DEMO-2"), kind: .resident, name: "Maria Clara", pin: pin)),
        ]
    }

    /// One token per role, with what each is bound to.
    public static func tokens() throws -> [(role: Role, point: PointID?, merchant: AccountID?)] {
        [(.admin, nil, nil), (.operator, try PointID("CP-DEMO"), nil), (.merchant, nil, try AccountID("M-DEMO")), (.auditor, nil, nil)]
    }
}
