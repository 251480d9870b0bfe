import LedgerPersistence
import LedgerProtocol
@testable import LedgerServer
import Logging
import Testing

/// What a client is told when storage fails, and what only the operator's log holds.
@Suite("Storage errors in replies")
struct ErrorRepliesTests {
    /// The server's own JSON log lines, kept.
    static func capturing() -> (Logger, JSONLogTests.Lines) {
        let lines = JSONLogTests.Lines()
        let handler = JSONLogHandler(label: "ecoledgerd", output: .init { line in lines.lines.withLock { $0.append(line) } })
        return (Logger(label: "ecoledgerd", factory: { _ in handler }), lines)
    }

    @Test("an unreachable database is UNAVAILABLE without its hosts or its words; the log keeps them")
    func unreachableHidesTheDatabase() {
        let (logger, captured) = Self.capturing()
        let detail = "PostgreSQL at 10.20.30.40:5432: password authentication failed for user \"ledger\" (SQLSTATE 28P01)"
        guard case .error(let error) = ErrorReplies.reply(for: StoreError.unreachable(detail), verb: "DROPOFF", logger: logger) else {
            Issue.record("not an error reply")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.message == "the ledger's database cannot be reached; retry later with the same ref")
        #expect(captured.all.count == 1)
        #expect(captured.all.first?.contains("10.20.30.40:5432") == true, "\(captured.all)")
    }

    @Test("a full disk is UNAVAILABLE in words the client can act on")
    func fullDiskSaysSo() {
        let (logger, _) = Self.capturing()
        guard case .error(let error) = ErrorReplies.reply(for: StoreError.unavailable("the disk is full; nothing was written"),
                                                          verb: "DROPOFF", logger: logger) else {
            Issue.record("not an error reply")
            return
        }
        #expect(error.description == "UNAVAILABLE the disk is full; nothing was written; retry later with the same ref")
    }
}
