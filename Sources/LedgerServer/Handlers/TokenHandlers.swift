import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerProtocol

/// A new token: its id and secret from the CSPRNG; the ledger keeps only the secret's hash.
extension Commands.TokenIssue: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let random = context.services.randomBytes
        let id = try TokenID("tok-" + Hex.encode(random(6)))
        let secret = Hex.encode(try random(24))
        let receipt = try await context.submit(.issueToken(id: id, role: role, point: point, merchant: merchant,
                                                           secretHash: SHA256.digest(Array(secret.utf8))))
        try await context.services.reloadTokens()
        return .ok([("id", id.rawValue), ("token", secret), ("role", role.rawValue), ("seq", String(receipt.entry.seq))])
    }
}

extension Commands.TokenRevoke: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.services.revoke(id, as: context.actor))
    }
}

extension Commands.TokenList: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        .list(try await context.ledger.read { try $0.tokens() }.map(EntryFields.token))
    }
}
