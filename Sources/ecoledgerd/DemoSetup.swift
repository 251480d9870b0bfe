import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
import LedgerFixtures
import LedgerHost
import LedgerServer
import LedgerStore

/// `--demo`: the demo ledger (`DemoLedger`) and its tokens file.
enum DemoSetup {
    /// Fills an empty ledger with a small catalogue and one token per role, and writes the
    /// tokens to `tokensFile` (mode 0600) as `ROLE=SECRET` lines. Does nothing to a ledger
    /// that already has entries; returns whether it wrote the catalogue.
    @discardableResult
    static func demo(store: LedgerStore, tokensFile: String, pinKey: PINKey?) throws -> Bool {
        guard try store.head().seq == 0 else { return false }
        // Checked before anything is written: a catalogue whose tokens nobody holds is useless.
        guard !FileManager.default.fileExists(atPath: tokensFile) else {
            throw Bootstrap.Failure(description: "\(tokensFile) already exists but the ledger is empty: remove the old tokens file, or use another --db")
        }
        let actor = Actor.demo
        let commands = try DemoLedger.catalogue(pinKey: pinKey)
        for command in commands { _ = try store.submit(LedgerRequest(actor: actor, command: command)) }
        var lines = ["# ecoledger demo tokens, one per role (ROLE=SECRET); residents' PIN is 1234"]
        for (role, point, merchant) in try DemoLedger.tokens() {
            let secret = Hex.encode(try SecureRandom.bytes(24))
            try Bootstrap.issue(role, point: point, merchant: merchant, secret: secret, store: store)
            lines.append("\(role.rawValue)=\(secret)")
        }
        do {
            try SecretFile.create(tokensFile, contents: Array((lines.joined(separator: "\n") + "\n").utf8))
        } catch {
            throw Bootstrap.Failure(description: "cannot write the demo tokens to \(tokensFile): \(error)")
        }
        return true
    }

}
