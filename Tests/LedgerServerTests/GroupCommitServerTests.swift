import Foundation
import LedgerCore
import LedgerWire
import Testing

@Suite("Group commit through the server")
struct GroupCommitServerTests {
    @Test("32 connections writing at once: every write lands once, replies match, the ledger verifies")
    func concurrentWriters() async throws {
        try await TestServer.with { server in
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
        }
    }

    @Test("64 drop-offs arriving in one packet commit in batches of more than one write, each with its own outcome")
    func batchesOfMany() async throws {
        try await TestServer.with { server in
            try await server.session(as: .operator) { connection async throws in
                // Every fourth weighs too little: refused on its own, its neighbours unaffected.
                let lines = (0..<64).map { "DROPOFF R-1 point=CP-1 material=PET kg=\($0 % 4 == 3 ? "0.5" : "1") ref=b-\($0)\n" }
                try await connection.sendRaw(Array(lines.joined().utf8))
                for index in 0..<64 {
                    let reply = try #require(try await connection.readReply())[0]
                    #expect(reply.hasPrefix(index % 4 == 3 ? "ERR LIMIT_EXCEEDED" : "OK seq=\(13 + index - index / 4) "), "\(index): \(reply)")
                }
            }
            try await server.session(as: .auditor) { connection async throws in
                let fields = Dictionary(uniqueKeysWithValues: try await connection.call("STATS")[0].split(separator: " ").dropFirst().map {
                    let parts = $0.split(separator: "="); return (String(parts[0]), Int(parts[1]) ?? -1)
                })
                #expect(fields["writes"] == 64)
                #expect((fields["largest_batch"] ?? 0) > 1, "\(fields)")
                #expect((fields["write_transactions"] ?? 64) < 64, "\(fields)")
                #expect(try await connection.call("AUDIT")[0].hasPrefix("OK entries=60"))
            }
        }
    }

    @Test("1,000 drop-offs in one packet: one connection never has more than 64 writes in flight, and every reply comes in order")
    func windowBoundsInFlight() async throws {
        try await TestServer.with { server in
            try await server.session(as: .operator) { connection async throws in
                let lines = (0..<1000).map { "DROPOFF R-\(1 + $0 % 2) point=CP-1 material=PET kg=1 ref=w-\($0)\n" }
                try await connection.sendRaw(Array(lines.joined().utf8))
                for index in 0..<1000 {
                    let reply = try #require(try await connection.readReply())[0]
                    #expect(reply.hasPrefix("OK seq=\(13 + index) "), "\(index): \(reply)")
                }
            }
            try await server.session(as: .auditor) { connection async throws in
                let stats = try await connection.call("STATS")[0]
                let largest = stats.split(separator: " ").first { $0.hasPrefix("largest_batch=") }.flatMap { Int($0.dropFirst(14)) }
                #expect(stats.contains(" writes=1000 "), "\(stats)")
                #expect(largest.map { $0 <= 64 } == true, "a read of many lines starts no more than the window: \(stats)")
            }
        }
    }
}
