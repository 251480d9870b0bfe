import LedgerCore
import LedgerPersistence
import LedgerProtocol

extension Commands.PointAdd: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.submit(.addPoint(id: id, name: name, district: district)))
    }
}

extension Commands.PointClose: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.submit(.closePoint(id: id)))
    }
}

extension Commands.PointRename: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.submit(.renamePoint(id: id, name: name, district: district)))
    }
}

extension Commands.PointList: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        .list(try await context.ledger.read { try $0.points() }.map(EntryFields.point))
    }
}

extension Commands.MaterialSet: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.submit(.setMaterial(code: code, rate: Rate(perKilogram: rate), name: name,
                                                               minGrams: minGrams, maxGrams: maxGrams, holdMs: holdMs)))
    }
}

extension Commands.MaterialList: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        .list(try await context.ledger.read { try $0.materials() }.map(EntryFields.material))
    }
}
