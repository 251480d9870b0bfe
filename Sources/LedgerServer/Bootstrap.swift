import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore

/// Setting up a ledger before the server accepts connections: the first administrator token,
/// and the `--demo` catalogue.
public enum Bootstrap {
    /// Why the start-up could not go on.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// When the ledger has no active admin token, the secret in `file` (at least 16 printable
    /// characters, surrounding whitespace ignored) becomes one. The secret is never logged.
    /// Returns the new token's id, or nil when an admin token already existed.
    @discardableResult
    public static func adminToken(from file: String, store: LedgerStore) throws -> TokenID? {
        guard try !store.tokens().contains(where: { $0.role == .admin && !$0.revoked }) else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Failure(description: "cannot read the admin token file \(file)")
        }
        let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard secret.count >= 16, !secret.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) else {
            throw Failure(description: "the admin token in \(file) must be at least 16 printable characters without spaces")
        }
        return try issue(.admin, secret: secret, store: store)
    }

    /// Fills an empty ledger with a small catalogue and one token per role, and writes the
    /// tokens to `tokensFile` (mode 0600) as `ROLE=SECRET` lines. Does nothing to a ledger
    /// that already has entries; returns whether it wrote the catalogue.
    @discardableResult
    public static func demo(store: LedgerStore, tokensFile: String) throws -> Bool {
        guard try store.head().seq == 0 else { return false }
        let actor = Actor(unchecked: "demo")
        let pin = try PINRecord.make(for: PIN("1234"))
        func kg(_ text: String) throws -> Grams { try Grams(parsingKilograms: text) }
        func rate(_ text: String) throws -> Rate { Rate(perKilogram: try Points(parsing: text)) }
        let commands: [LedgerCommand] = try [
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
        for command in commands { _ = try store.submit(LedgerRequest(actor: actor, command: command)) }
        var lines = ["# ecoledger demo tokens, one per role (ROLE=SECRET); residents' PIN is 1234"]
        for (role, point, merchant) in [(Role.admin, nil, nil), (.operator, try PointID("CP-DEMO"), nil),
                                        (.merchant, nil, try AccountID("M-DEMO")), (.auditor, nil, nil)] as [(Role, PointID?, AccountID?)] {
            let secret = Hex.encode(try SecureRandom.bytes(24))
            try issue(role, point: point, merchant: merchant, secret: secret, store: store)
            lines.append("\(role.rawValue)=\(secret)")
        }
        guard FileManager.default.createFile(atPath: tokensFile, contents: Data((lines.joined(separator: "\n") + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw Failure(description: "cannot write the demo tokens to \(tokensFile)")
        }
        return true
    }

    @discardableResult
    static func issue(_ role: Role, point: PointID? = nil, merchant: AccountID? = nil, secret: String, store: LedgerStore) throws -> TokenID {
        let id = try TokenID("tok-\(role.rawValue)-" + Hex.encode(SecureRandom.bytes(4)))
        _ = try store.submit(LedgerRequest(actor: Actor(unchecked: "ecoledgerd"), command: .issueToken(
            id: id, role: role, point: point, merchant: merchant, secretHash: SHA256.digest(Array(secret.utf8)))))
        return id
    }
}
