import Foundation
import LedgerCore
import LedgerCrypto
import LedgerProtocol
import LedgerTestSupport
import LedgerTransparency
import LedgerWire
import Testing

/// ecoledger's checkpoints, consistency proofs, receipts and cosignatures, checked by an
/// implementation nobody on the project wrote: Go's golang.org/x/mod/sumdb/tlog and sumdb/note
/// (Debian's golang-golang-x-mod-dev; `make test-deps` installs it), through Tests/Interop/tlogverify.
@Suite("Interoperability with golang.org/x/mod/sumdb", .serialized)
struct InteropTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Builds the Go checker once per run (GOPATH mode, Debian's packaged sources, no network).
    static func checker(in scratch: Scratch) throws -> URL {
        let output = URL(fileURLWithPath: scratch.path("tlogverify"))
        let result = try run("/usr/bin/env", ["go", "build", "-o", output.path, "./Tests/Interop/tlogverify"])
        guard result.status == 0 else { throw TestFailure("go build failed (is golang-golang-x-mod-dev installed? make test-deps): \(result.output)") }
        return output
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = repository
        var environment = ProcessInfo.processInfo.environment
        environment["GO111MODULE"] = "off"
        environment["GOPATH"] = repository.appendingPathComponent(".build/gopath").path + ":/usr/share/gocode"
        environment["GOCACHE"] = repository.appendingPathComponent(".build/gocache").path
        environment["GOFLAGS"] = ""
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("Go's sumdb verifies every checkpoint, consistency proof, receipt and the cosignature; and refuses altered ones")
    func goVerifiesEverything() async throws {
        let scratch = try Scratch()
        let checker = try Self.checker(in: scratch)
        var input: [String: Any] = [
            "log_key": TestServer.logSigner.key.verifierKey, "witness_name": TestServer.witness.key.name,
            "witness_key": Base64.encode(TestServer.witness.key.publicKey),
        ]
        try await TestServer.with { server in
            try await server.session(as: .admin) { connection async throws in
                var notes: [Int64: String] = [:]
                /// The checkpoint that covers the whole ledger: RECEIPT of the head returns only
                /// once one does (the server's own bounded wait; no sleep here).
                func waitForCheckpoint() async throws {
                    let head = try server.store.head().seq
                    guard try await connection.call("RECEIPT \(head)")[0].hasPrefix("OK ") else { throw TestFailure("no receipt of \(head)") }
                    let reply = try await connection.call("CHECKPOINT")[0]
                    guard Reply.field("size", in: reply) == String(head), let note = Reply.field("note", in: reply).flatMap(Base64.decode) else {
                        throw TestFailure("the checkpoint is not of size \(head): \(reply)")
                    }
                    notes[head] = String(decoding: note, as: UTF8.self)
                }
                try await waitForCheckpoint()
                for round in 0..<4 {
                    for n in 0..<(round * 5 + 1) {
                        _ = try await connection.call("DROPOFF R-\(1 + n % 2) point=CP-1 material=PET kg=1.\(n) ref=go-\(round)-\(n)")
                    }
                    try await waitForCheckpoint()
                }
                let sizes = notes.keys.sorted()
                var consistency: [[String: Any]] = []
                for old in sizes { for new in sizes where new >= old {
                    let lines = try await connection.call("CONSISTENCY \(old) \(new)")
                    consistency.append(["old": old, "new": new, "proof": lines.dropFirst().map { String($0.dropFirst(5)) }])
                } }
                var receipts: [String] = []
                for seq in 1...sizes.last! {
                    let reply = try await connection.call("RECEIPT \(seq)")[0]
                    receipts.append(String(decoding: try #require(Reply.field("proof", in: reply).flatMap(Base64.decode)), as: UTF8.self))
                }
                // The witness cosigns the latest checkpoint; the served note then carries it.
                let latest = try SignedNote(parsing: notes[sizes.last!]!)
                let line = try Cosignature.sign(latest, by: TestServer.witness, time: 1_764_000_000)
                let payload = Base64.encode(line.bytes)
                try await server.session { witness async throws in
                    let (_, secret) = try await HardeningTests.issue("role=witness", on: server)
                    _ = try await witness.call("AUTH \(secret)")
                    #expect(try await witness.call("COSIGN \(sizes.last!) name=\(line.name) signature=\(payload)")[0].hasPrefix("OK"))
                }
                notes[sizes.last!] = (notes[sizes.last!] ?? "") + line.line
                input["checkpoints"] = sizes.map { notes[$0]! }
                input["consistency"] = consistency
                input["receipts"] = receipts
            }
        }
        func check(_ value: [String: Any]) throws -> (status: Int32, output: String) {
            let file = scratch.path("input-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: value).write(to: URL(fileURLWithPath: file))
            return try Self.run(checker.path, [file])
        }
        let good = try check(input)
        #expect(good.status == 0 && good.output.hasPrefix("OK checkpoints=5 ") && good.output.contains("cosigned=true"), "\(good.output)")
        // Altered inputs are refused by the independent verifier too.
        var receipts = input["receipts"] as! [String]
        let lines = receipts[3].split(separator: "\n", omittingEmptySubsequences: false)
        receipts[3] = receipts[3].replacingOccurrences(of: String(lines[3]), with: Base64.encode(Array(repeating: 0, count: 32)))
        var badReceipt = input
        badReceipt["receipts"] = receipts
        let refusedReceipt = try check(badReceipt)
        #expect(refusedReceipt.status == 1 && refusedReceipt.output.contains("FAIL receipt 3"), "\(refusedReceipt.output)")
        var checkpoints = input["checkpoints"] as! [String]
        // Its size prefixed with a 1: the log's signature no longer covers it.
        checkpoints[1] = checkpoints[1].replacingOccurrences(of: "ledger.test/ecoledger\n", with: "ledger.test/ecoledger\n1")
        var badCheckpoint = input
        badCheckpoint["checkpoints"] = checkpoints
        let refusedCheckpoint = try check(badCheckpoint)
        #expect(refusedCheckpoint.status == 1 && refusedCheckpoint.output.contains("FAIL checkpoint does not open"), "\(refusedCheckpoint.output)")
    }
}
