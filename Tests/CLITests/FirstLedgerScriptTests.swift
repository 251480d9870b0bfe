import Foundation
import LedgerTestSupport
import Testing

/// docs/OPERATIONS.md's *Your first real ledger*, as scripts/first-ledger.sh runs it: every command
/// of the section, character for character, against the binaries built beside this test bundle,
/// each reply checked against the one the page shows. So the walkthrough stays true.
@Suite("The first-ledger walkthrough")
struct FirstLedgerScriptTests {
    @Test("the first-ledger walkthrough of OPERATIONS.md runs as written")
    func walkthroughRunsAsWritten() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [CLI.repository.appendingPathComponent("scripts/first-ledger.sh").path]
        process.currentDirectoryURL = CLI.repository
        var environment = ProcessInfo.processInfo.environment
        environment["ECOLEDGER_BIN"] = CLI.binary.deletingLastPathComponent().path
        process.environment = environment
        // One pipe for both: the script's failure message and ecoledgerd's log go to stderr.
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let said = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(said)")
        #expect(said.contains("first-ledger.sh: OK: every command"), "\(said)")
    }
}
