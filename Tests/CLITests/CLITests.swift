import Foundation
import LedgerTestSupport
import Testing

/// Runs the built `ecoledger` binary as a user would.
struct CLI {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ecoledger")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], executable: URL = binary) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

@Suite("The ecoledger command line")
struct CLITests {
    static let exampleHead = "14:a9e862a381316a96b0a5e00281fd95395da2e5cfd388fe37ffae6a8996facd8f"

    @Test("init creates an empty ledger that verifies; a second init refuses to overwrite it")
    func initEmpty() throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let created = try CLI.run(["init", "--db", db])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("entries=0"))
        let verified = try CLI.run(["verify", "--db", db])
        #expect(verified.status == 0)
        #expect(verified.stdout == "OK entries=0 head=0:\(String(repeating: "0", count: 64))\n")
        let again = try CLI.run(["init", "--db", db])
        #expect(again.status == 1)
        #expect(again.stderr == "ecoledger: error: \(db) already exists; refusing to overwrite it\n")
    }

    @Test("init --example writes the documented example, and verify reports its head")
    func initExample() throws {
        let scratch = try Scratch()
        let db = scratch.path("example.sqlite")
        #expect(try CLI.run(["init", "--db", db, "--example"]).status == 0)
        let verified = try CLI.run(["verify", "--db", db, "--expect-head", Self.exampleHead])
        #expect(verified.status == 0)
        #expect(verified.stdout == "OK entries=14 head=\(Self.exampleHead)\n")
    }

    @Test("verify fails with exit status 1 and names the first bad seq")
    func verifyFails() throws {
        let scratch = try Scratch()
        let db = scratch.path("example.sqlite")
        _ = try CLI.run(["init", "--db", db, "--example"])
        // An expected head beyond the journal: a truncated ledger.
        let truncated = try CLI.run(["verify", "--db", db, "--expect-head", "20:\(String(repeating: "a", count: 64))"])
        #expect(truncated.status == 1)
        #expect(truncated.stdout.hasPrefix("CHAIN_BROKEN seq=15 reason=the journal is truncated"))
        // A byte changed inside entry 8's stored attributes, bypassing the append-only trigger.
        try Tamper.sql(db, "DROP TRIGGER journal_is_append_only_update; UPDATE journal SET attrs = replace(attrs, '2345', '2346') WHERE seq = 8;")
        let tampered = try CLI.run(["verify", "--db", db])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.hasPrefix("CHAIN_BROKEN seq=8 reason=hash does not match"))
    }

    @Test("export streams every entry as JSON lines or CSV")
    func export() throws {
        let scratch = try Scratch()
        let db = scratch.path("example.sqlite")
        _ = try CLI.run(["init", "--db", db, "--example"])
        let jsonl = try CLI.run(["export", "--db", db, "--format", "jsonl"])
        #expect(jsonl.status == 0)
        let lines = jsonl.stdout.split(separator: "\n")
        #expect(lines.count == 14)
        let eighth = try JSONSerialization.jsonObject(with: Data(lines[7].utf8)) as? [String: Any]
        #expect(eighth?["kind"] as? String == "dropoff")
        #expect(eighth?["amount"] as? Int == 4221)
        #expect((eighth?["attrs"] as? [String: String])?["grams"] == "2345")
        #expect(eighth?["hash"] as? String == "574c892494683ef6feeb1ddccc6a530c9c6c49597e922de0a3228d11a0e2282c")
        let csv = try CLI.run(["export", "--db", db, "--format", "csv"])
        let rows = csv.stdout.split(separator: "\n")
        #expect(rows.count == 15)
        #expect(rows[0] == "seq,time_ms,kind,debit,credit,amount,actor,ref,attrs,prev_hash,hash")
        #expect(rows[13].hasPrefix("13,1767225612000,reversal,R-0001,sys:issuance,350,example,kiosk-1-0004,\"{\"\"reason\"\""))
        let bad = try CLI.run(["export", "--db", db, "--format", "xml"])
        #expect(bad.status != 0)
    }

    @Test("an independent verifier written from docs/LEDGER.md alone agrees with verify", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func independentVerifier() throws {
        let scratch = try Scratch()
        let db = scratch.path("example.sqlite")
        _ = try CLI.run(["init", "--db", db, "--example"])
        let export = scratch.path("example.jsonl")
        try Data(try CLI.run(["export", "--db", db]).stdout.utf8).write(to: URL(fileURLWithPath: export))
        let script = CLI.repository.appendingPathComponent("docs/verify_export.py").path
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        let verified = try CLI.run([script, "--expect-head", Self.exampleHead, export], executable: python)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout == "OK entries=14 head=\(Self.exampleHead)\n")
        // Change one character of one entry: the independent verifier sees it too.
        let text = try String(contentsOfFile: export, encoding: .utf8).replacingOccurrences(of: "\"Sachets\"", with: "\"Sachetz\"")
        try Data(text.utf8).write(to: URL(fileURLWithPath: export))
        let broken = try CLI.run([script, export], executable: python)
        #expect(broken.status == 1)
        #expect(broken.stdout.hasPrefix("CHAIN_BROKEN seq=2"))
    }

    @Test("docs/LEDGER.md's transparency vectors are what an independent program computes from the example's export",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func independentTransparencyVectors() throws {
        let scratch = try Scratch()
        let db = scratch.path("example.sqlite")
        _ = try CLI.run(["init", "--db", db, "--example"])
        let export = scratch.path("example.jsonl")
        try Data(try CLI.run(["export", "--db", db]).stdout.utf8).write(to: URL(fileURLWithPath: export))
        let script = CLI.repository.appendingPathComponent("docs/example_vectors.py").path
        let page = CLI.repository.appendingPathComponent("docs/LEDGER.md").path
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        let checked = try CLI.run([script, "--check", page, export], executable: python)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        // The first 13 entries are a sound chain with other vectors: the check must notice.
        let changed = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n").prefix(13).joined(separator: "\n") + "\n"
        try Data(changed.utf8).write(to: URL(fileURLWithPath: export))
        let differs = try CLI.run([script, "--check", page, export], executable: python)
        #expect(differs.status == 1, "13 entries cannot give the vectors of 14")
    }

    @Test("a missing file, a non-ledger file and bad arguments get one clear line and a non-zero status")
    func errors() throws {
        let scratch = try Scratch()
        let missing = scratch.path("nope.sqlite")
        let result = try CLI.run(["verify", "--db", missing])
        #expect(result.status == 1)
        #expect(result.stderr == "ecoledger: error: no ledger at \(missing) (create one with: ecoledger init --db \(missing))\n")
        #expect(!FileManager.default.fileExists(atPath: missing), "verify must not create a file")
        let text = scratch.path("notes.txt")
        try Data("hello, this is not a ledger at all".utf8).write(to: URL(fileURLWithPath: text))
        let notLedger = try CLI.run(["export", "--db", text])
        #expect(notLedger.status == 1)
        #expect(notLedger.stderr == "ecoledger: error: \(text) is not an ecoledger ledger: it is not a SQLite database\n")
        let badHead = try CLI.run(["verify", "--db", text, "--expect-head", "five"])
        #expect(badHead.status != 0)
        #expect(badHead.stderr.contains("--expect-head must be SEQ:HASH"))
    }
}

@Suite("Generating ledgers")
struct GenerateTests {
    @Test("generate writes the asked number of valid, chained entries, and refuses an existing file")
    func generate() throws {
        let scratch = try Scratch()
        let db = scratch.path("big.sqlite")
        let made = try CLI.run(["generate", "--db", db, "--entries", "2000", "--accounts", "50"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.hasPrefix("generated \(db) entries=2000 head=2000:"))
        let verified = try CLI.run(["verify", "--db", db])
        #expect(verified.status == 0 && verified.stdout.hasPrefix("OK entries=2000 "))
        #expect(try CLI.run(["generate", "--db", db, "--entries", "10"]).status == 1)
    }
}
