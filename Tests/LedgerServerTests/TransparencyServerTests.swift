import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
@testable import LedgerServer
import LedgerProtocol
import LedgerStore
import LedgerTestSupport
import LedgerTransparency
import LedgerWire
import Logging
import Testing

/// CHECKPOINT, CONSISTENCY, RECEIPT and COSIGN over a real socket, and the checkpoint cadence.
@Suite("The transparency log over the wire")
struct TransparencyServerTests {
    static func checkpoint(_ connection: LedgerConnection) async throws -> (Checkpoint, SignedNote) {
        let reply = try await connection.call("CHECKPOINT")[0]
        let encoded = try #require(Reply.field("note", in: reply), "\(reply)")
        let note = String(decoding: try #require(Base64.decode(encoded)), as: UTF8.self)
        let (checkpoint, signed) = try Checkpoint.open(note, logKey: TestServer.logSigner.key)
        #expect(Reply.field("size", in: reply) == String(checkpoint.size) && Reply.field("root", in: reply) == Base64.encode(checkpoint.root.bytes))
        return (checkpoint, signed)
    }

    /// A session authenticated with a witness token issued for the test.
    static func asWitness<T>(_ server: TestServer, secret given: String? = nil, _ body: (LedgerConnection) async throws -> T) async throws -> T {
        var secret = given ?? ""
        if given == nil { secret = try await HardeningTests.issue("role=witness", on: server).secret }
        return try await server.session { connection async throws in
            #expect(try await connection.call("AUTH \(secret)")[0].hasPrefix("OK role=witness"))
            return try await body(connection)
        }
    }

    @Test("checkpoints are signed by the log key, grow with the ledger, and are consistent with each other")
    func checkpointsAndConsistency() async throws {
        try await TestServer.with { server in
            try await server.session(as: .auditor) { connection async throws in
                let (first, _) = try await Self.checkpoint(connection)
                #expect(first.size == (try server.store.head().seq))
                try await server.session(as: .operator) { writer async throws in
                    for n in 0..<5 { _ = try await writer.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=t-\(n)") }
                }
                // RECEIPT of the head returns once a checkpoint covers it (a bounded server-side wait).
                #expect(try await connection.call("RECEIPT \(first.size + 5)")[0].hasPrefix("OK "))
                let second = try await Self.checkpoint(connection).0
                #expect(second.size == first.size + 5)
                let lines = try await connection.call("CONSISTENCY \(first.size) \(second.size)")
                let proof = lines.dropFirst().map { Hash256(bytes: Base64.decode(String($0.dropFirst(5)))!)! }
                #expect(lines[0] == "OK n=\(proof.count)" && !proof.isEmpty)
                #expect(try MerkleVerifier.verifyConsistency(old: first.size, new: second.size, oldRoot: first.root, newRoot: second.root, proof: proof))
                #expect(try await connection.call("CONSISTENCY 3 2")[0].hasPrefix("ERR BAD_ARGUMENT"))
                #expect(try await connection.call("CONSISTENCY 1 999999")[0].hasPrefix("ERR NOT_FOUND"))
            }
        }
    }

    @Test("CHECKPOINT never goes back, however many clients ask while checkpoints are being signed")
    func checkpointsNeverGoBack() async throws {
        try await TestServer.with(configure: { $0.checkpointInterval = .milliseconds(5) }) { server in
            let start = try server.store.head().seq
            let writer = Task {
                try await server.session(as: .admin) { connection async throws in
                    for n in 0..<150 {
                        let reply = try await connection.call("POINT ADD CP-W\(n) name=W")[0]
                        #expect(reply.hasPrefix("OK seq="), "\(reply)")
                    }
                }
            }
            // Every reply must be a checkpoint (an error is a failure, never "size 0"): each
            // client's sizes, in the order it got them.
            let seen = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await server.session(as: .auditor) { connection async throws -> [Int64] in
                            var sizes: [Int64] = []
                            for _ in 0..<150 {
                                let reply = try await connection.call("CHECKPOINT")[0]
                                guard let size = Reply.field("size", in: reply).flatMap(Int64.init), reply.hasPrefix("OK ") else {
                                    Issue.record("CHECKPOINT answered \(reply)")
                                    continue
                                }
                                sizes.append(size)
                            }
                            return sizes
                        }
                    }
                }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            try await writer.value
            for sizes in seen {
                #expect(sizes.count == 150, "every CHECKPOINT was answered with a checkpoint")
                let backwards = zip(sizes, sizes.dropFirst()).filter { $1 < $0 }.count
                #expect(backwards == 0, "\(backwards) replies went back to an older checkpoint: \(sizes)")
            }
            // The checkpoints really moved while the clients asked: the test saw the log grow.
            let all = seen.flatMap { $0 }
            #expect(all.min().map { $0 >= start } == true)
            #expect(Set(all).count > 1, "the sizes seen must change while the ledger grows: \(Set(all).sorted())")
        }
    }

    @Test("a receipt for a new entry waits for the next checkpoint, verifies offline, and says what the entry says")
    func receipt() async throws {
        try await TestServer.with { server in
            let seq = try await server.session(as: .operator) { connection async throws -> Int64 in
                let reply = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=2.5 ref=receipt-1")[0]
                let seqText = try #require(Reply.field("seq", in: reply), "\(reply)")
                let seq = try #require(Int64(seqText))
                let receiptReply = try await connection.call("RECEIPT \(seq)")[0]
                #expect(receiptReply.hasPrefix("OK seq=\(seq) proof="), "\(receiptReply)")
                let proofText = try #require(Reply.field("proof", in: receiptReply))
                let text = String(decoding: try #require(Base64.decode(proofText)), as: UTF8.self)
                let receipt = try InclusionReceipt(parsing: text)
                #expect(try receipt.verify(logKey: TestServer.logSigner.key).size >= seq)
                #expect(try receipt.entryHash() == server.store.entry(seq: seq)?.hash)
                return seq
            }
            // Who may have which receipt.
            try await server.session(as: .merchant) { connection async throws in
                #expect(try await connection.call("RECEIPT \(seq)")[0].hasPrefix("ERR FORBIDDEN"))
            }
            try await Self.asWitness(server) { connection async throws in
                #expect(try await connection.call("RECEIPT \(seq)")[0].hasPrefix("ERR FORBIDDEN"))
                #expect(try await connection.call("BALANCE R-1")[0].hasPrefix("ERR FORBIDDEN"))
            }
            try await server.session(as: .auditor) { connection async throws in
                #expect(try await connection.call("RECEIPT \(seq)")[0].hasPrefix("OK seq="))
                #expect(try await connection.call("RECEIPT 99999")[0].hasPrefix("ERR NOT_FOUND"))
            }
        }
    }

    @Test("a witness's cosignature is checked, kept and served with the checkpoint; a forged one is refused")
    func cosign() async throws {
        try await TestServer.with { server in
            let (_, secret) = try await HardeningTests.issue("role=witness", on: server)
            // The checkpoint that covers everything, the witness's token included.
            let head = try server.store.head().seq
            try await server.session(as: .admin) { connection async throws in
                #expect(try await connection.call("RECEIPT \(head)")[0].hasPrefix("OK "))
            }
            let (checkpoint, note) = try await Self.asWitness(server, secret: secret) { try await Self.checkpoint($0) }
            #expect(checkpoint.size == head)
            let line = try Cosignature.sign(note, by: TestServer.witness, time: 1_764_000_000)
            let payload = Base64.encode(line.bytes)
            try await server.session(as: .auditor) { connection async throws in
                #expect(try await connection.call("COSIGN \(checkpoint.size) name=\(line.name) signature=\(payload)")[0].hasPrefix("ERR FORBIDDEN"))
            }
            try await Self.asWitness(server, secret: secret) { connection async throws in
                var forged = line.payload
                forged[20] ^= 1
                let bad = Base64.encode(SignedNote.Signature(name: line.name, keyID: line.keyID, payload: forged).bytes)
                #expect(try await connection.call("COSIGN \(checkpoint.size) name=\(line.name) signature=\(bad)")[0].hasPrefix("ERR BAD_ARGUMENT"))
                #expect(try await connection.call("COSIGN \(checkpoint.size) name=witness.test/other signature=\(payload)")[0].hasPrefix("ERR FORBIDDEN"))
                let reply = try await connection.call("COSIGN \(checkpoint.size) name=\(line.name) signature=\(payload)")[0]
                #expect(reply == "OK size=\(checkpoint.size) witness=\(line.name) time=1764000000", "\(reply)")
            }
            try await server.session(as: .auditor) { connection async throws in
                let (_, served) = try await Self.checkpoint(connection)
                #expect(try Cosignature.verify(served, witness: TestServer.witness.key) == 1_764_000_000)
            }
            // Later checkpoints are not cosigned yet; a receipt for an older entry is proved
            // against the cosigned one, so a resident can check the witness too.
            try await server.session(as: .admin) { connection async throws in
                _ = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=after-cosign")
                #expect(try await connection.call("RECEIPT \(checkpoint.size + 1)")[0].hasPrefix("OK "), "a newer checkpoint exists")
                let reply = try await connection.call("RECEIPT 1")[0]
                let text = String(decoding: try #require(Reply.field("proof", in: reply).flatMap(Base64.decode)), as: UTF8.self)
                let receipt = try InclusionReceipt(parsing: text)
                #expect(try receipt.verify(logKey: TestServer.logSigner.key).size == checkpoint.size)
                #expect(try Cosignature.verify(receipt.checkpoint, witness: TestServer.witness.key) != nil)
            }
        }
    }

    @Test("a server whose journal no longer extends the last checkpoint it signed refuses to start, rather than fork the log")
    func refusesToFork() async throws {
        let scratch = try Scratch()
        let path = scratch.path("ledger.sqlite")
        do {
            let server = try await TestServer.start(in: URL(fileURLWithPath: scratch.path("first"))) { _ in }
            try await server.session(as: .operator) { connection async throws in
                _ = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=before-copy")
            }
            try await server.stop(keepingFiles: true)
            try FileManager.default.copyItem(atPath: server.path, toPath: path)
        }
        // A checkpoint of a size the journal does not reach (as if signed before a restore).
        try Tamper.sql(path, "INSERT INTO checkpoints (size, root, note, time_ms) VALUES (1000, zeroblob(32), 'x', 0)")
        let store = try LedgerStore.open(at: path)
        defer { try? store.close() }
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.logSigner = TestServer.logSigner
        await #expect(throws: (any Error).self) {
            _ = try await LedgerServer(store: store, configuration: configuration, logger: Logger(label: "test"))
        }
        #expect(try store.latestCheckpoint()?.size == 1000, "nothing new was signed")
    }

    @Test("a receipt waiting for a checkpoint is answered SHUTTING_DOWN at shutdown, which does not wait for the next tick")
    func waitingReceiptAtShutdown() async throws {
        let server = try await TestServer.start { $0.checkpointInterval = .seconds(3600) }
        let (dropped, answered) = AsyncStream.makeStream(of: Void.self)
        let reply = Task {
            try await server.session(as: .operator) { connection async throws -> String in
                // Both lines at once: the RECEIPT is read (and then waits) before the drop-off is answered.
                try await connection.sendRaw(Array("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=late\nRECEIPT 13\n".utf8))
                _ = try await connection.readReply()
                answered.yield()
                return try await connection.readReply()?.first ?? "closed"
            }
        }
        for await _ in dropped { break }
        let started = ContinuousClock.now
        try await server.stop()
        #expect(ContinuousClock.now - started < .seconds(60), "shutdown waited for the hourly tick")
        #expect(try await reply.value.hasPrefix("ERR SHUTTING_DOWN"))
    }

    @Test("a receipt waiting for a checkpoint fails SHUTTING_DOWN when the checkpointer stops, whichever comes first")
    func checkpointerStop() async throws {
        try await TestServer.with(configure: { $0.checkpointInterval = .seconds(3600) }) { server in
            let gateway = LedgerGateway(database: server.store)
            defer { Task { try? await gateway.shutdown() } }
            let checkpointer = Checkpointer(signer: TestServer.logSigner, gateway: gateway, logger: Logger(label: "test"))
            let beyond = try server.store.head().seq + 1
            let waiting = Task { try await checkpointer.checkpoint(covering: beyond) }
            await checkpointer.stop()
            await #expect(throws: ProtocolError(.shuttingDown, "the server is shutting down; ask again later")) { try await waiting.value }
        }
    }

    @Test("the checkpointer signs only when the ledger has grown, once per tick however many writes")
    func cadence() async throws {
        try await TestServer.with(configure: { $0.checkpointInterval = .seconds(3600) }) { server in
            let gateway = LedgerGateway(database: server.store)
            let checkpointer = Checkpointer(signer: TestServer.logSigner, gateway: gateway, logger: Logger(label: "test"))
            let count = { try Int64(server.store.checkpointCount()) }
            let first = try await checkpointer.tick()
            let before = try count()
            #expect(try await checkpointer.tick() == first, "nothing new: no new signature")
            #expect(try count() == before)
            try await server.session(as: .operator) { connection async throws in
                for n in 0..<50 { _ = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=c-\(n)") }
            }
            #expect(try count() == before, "50 writes and no tick: no signature")
            let second = try await checkpointer.tick()
            #expect(second.size == first.size + 50)
            #expect(try count() == before + 1)
            try await gateway.shutdown()
        }
    }
}
