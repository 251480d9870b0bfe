import LedgerCore
import Testing

@Suite("Fixed-point points and weights")
struct FixedPointTests {
    @Test("points parse exactly into centipoints", arguments: [
        ("12.5", 1250), ("12.50", 1250), ("12", 1200), ("0", 0), ("0.01", 1), ("0.1", 10), ("007.07", 707),
        ("-3", -300), ("-0.05", -5), ("92233720368547758.07", Int64.max),
    ] as [(String, Int64)])
    func parsePoints(text: String, centipoints: Int64) throws {
        #expect(try Points(parsing: text).centipoints == centipoints)
    }

    @Test("malformed points are BAD_ARGUMENT", arguments: [
        "", "-", "+1", ".5", "5.", "1e3", " 1", "1 ", "1,000", "1.2.3", "0x10", "１２", "12.5a", "--1", "1_000", "NaN", "∞",
    ])
    func malformedPoints(text: String) {
        #expect(throws: LedgerError.self) { try Points(parsing: text) }
        #expect((try? Points(parsing: text)) == nil)
        do { _ = try Points(parsing: text) } catch { #expect(error.code == "BAD_ARGUMENT") }
    }

    @Test("a third decimal is an error, not rounded")
    func thirdDecimal() {
        do {
            _ = try Points(parsing: "12.345")
            Issue.record("12.345 should not parse")
        } catch {
            #expect(error.code == "BAD_ARGUMENT")
            #expect(error.message.contains("two decimals"))
        }
    }

    @Test("values beyond Int64 centipoints overflow instead of wrapping", arguments: [
        "92233720368547758.08", "99999999999999999999", "-92233720368547758.08", "1000000000000000000000000",
    ])
    func overflow(text: String) {
        do {
            _ = try Points(parsing: text)
            Issue.record("\(text) should overflow")
        } catch {
            #expect(error.code == "LIMIT_EXCEEDED")
        }
    }

    @Test("points print with exactly two decimals")
    func printPoints() {
        #expect(Points(centipoints: 1250).description == "12.50")
        #expect(Points(centipoints: 5).description == "0.05")
        #expect(Points(centipoints: -5).description == "-0.05")
        #expect(Points(centipoints: 0).description == "0.00")
        #expect(Points(centipoints: .max).description == "92233720368547758.07")
        #expect(Points(centipoints: .min).description == "-92233720368547758.08")
    }

    @Test("point arithmetic reports overflow")
    func arithmetic() throws {
        #expect(try Points(centipoints: 1).adding(Points(centipoints: 2)) == Points(centipoints: 3))
        #expect(throws: LedgerError.self) { try Points(centipoints: .max).adding(Points(centipoints: 1)) }
        #expect(throws: LedgerError.self) { try Points(centipoints: .min).subtracting(Points(centipoints: 1)) }
    }

    @Test("weights parse exactly from kg into grams", arguments: [
        ("2.345", 2345), ("2.5", 2500), ("2", 2000), ("0.001", 1), ("0", 0), ("1000.000", 1_000_000),
    ] as [(String, Int64)])
    func parseWeights(text: String, grams: Int64) throws {
        #expect(try Grams(parsingKilograms: text).value == grams)
    }

    @Test("negative, over-precise and malformed weights are refused", arguments: ["-1", "1.2345", "", "1kg", ".5", "2,5", "9223372036854775.808"])
    func badWeights(text: String) {
        #expect(throws: LedgerError.self) { try Grams(parsingKilograms: text) }
    }

    @Test("weights print as kg with as few decimals as exact")
    func printWeights() {
        #expect(Grams(2345).kilograms == "2.345")
        #expect(Grams(2500).kilograms == "2.5")
        #expect(Grams(2000).kilograms == "2")
        #expect(Grams(1).kilograms == "0.001")
    }

    @Test("earned points are floor(grams × rate ÷ 1000)")
    func earnings() throws {
        let pet = Rate(perKilogram: try Points(parsing: "18"))
        #expect(try pet.points(for: Grams(2345)) == Points(centipoints: 4221))
        let sachet = Rate(perKilogram: try Points(parsing: "0.01"))
        #expect(try sachet.points(for: Grams(999)) == .zero)
        #expect(try sachet.points(for: Grams(1000)) == Points(centipoints: 1))
        #expect(throws: LedgerError.self) { try Rate(perKilogram: Points(centipoints: .max)).points(for: Grams(2)) }
    }
}
