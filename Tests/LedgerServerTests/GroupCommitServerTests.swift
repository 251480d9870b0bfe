import Foundation
import LedgerCore
import LedgerWire
import Testing

@Suite("Group commit through the server")
struct GroupCommitServerTests {
    @Test("32 connections writing at once: every write lands once, replies match, the ledger verifies")
    func concurrentWriters() async throws {
        let server = try await TestServer.start()
        let replies = try await withThrowingTaskGroup(of: [String].self) { group in
            for client in 0..<32 {
                group.addTask {
                    try await server.session(as: .operator) { connection async throws in
                        var replies: [String] = []
                        for n in 0..<20 {
                            let kind = n % 5 == 4 ? "kg=0.5" : "kg=1" // every fifth is refused (below PET's 1 kg)
                            replies.append(try await connection.call("DROPOFF R-\(1 + client % 2) point=CP-1 material=PET \(kind) ref=c\(client)-\(n)")[0])
                        }
                        return replies
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(replies.filter { $0.hasPrefix("OK seq=") }.count == 512)
        #expect(replies.filter { $0.hasPrefix("ERR LIMIT_EXCEEDED") }.count == 128)
        let seqs = replies.filter { $0.hasPrefix("OK seq=") }.map { Int64($0.split(separator: " ")[1].dropFirst(4))! }
        #expect(Set(seqs) == Set(13...524), "gap-free, each write its own entry")
        let total = try server.store.account(AccountID("R-1"))!.balance.adding(server.store.account(AccountID("R-2"))!.balance)
        #expect(total == (try Points(parsing: "9216")))
        try await server.session(as: .auditor) { connection async throws in
            let stats = try await connection.call("STATS")[0]
            #expect(stats.contains("writes=640"), "\(stats)")
            #expect(try await connection.call("AUDIT")[0].hasPrefix("OK entries=524"))
        }
        try await server.stop()
    }
}
