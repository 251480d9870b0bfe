import LedgerCLI
/// The load generator's request mix, from `--mix dropoff=80,balance=15,redeem=5`.
struct WorkloadMix: CustomStringConvertible {
    enum Kind: String, CaseIterable {
        case dropoff, balance, redeem, ping
        /// RECEIPT of a random entry the latest checkpoint covers (an inclusion proof).
        case receipt
    }

    let weights: [(Kind, Int)]
    private let total: Int

    init(parsing text: String) throws {
        var weights: [(Kind, Int)] = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=")
            guard pieces.count == 2, let kind = Kind(rawValue: String(pieces[0])), let weight = Int(pieces[1]), weight >= 0 else {
                throw CLIFailure.message("--mix must look like dropoff=80,balance=15,redeem=5 (kinds: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            weights.append((kind, weight))
        }
        total = weights.reduce(0) { $0 + $1.1 }
        guard total > 0 else { throw CLIFailure.message("--mix needs a positive weight") }
        self.weights = weights
    }

    func pick<G: RandomNumberGenerator>(using generator: inout G) -> Kind {
        var roll = Int.random(in: 0..<total, using: &generator)
        for (kind, weight) in weights {
            if roll < weight { return kind }
            roll -= weight
        }
        return weights.last!.0
    }

    var description: String { weights.map { "\($0.0.rawValue)=\($0.1)" }.joined(separator: ",") }
}
