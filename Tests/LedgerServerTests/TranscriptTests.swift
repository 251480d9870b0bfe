import Foundation
import LedgerCore
import LedgerTestSupport
import LedgerWire
import Testing

/// Every command and reply, for every role, with the error cases: a transcript recorded once
/// and replayed byte for byte, so that a reshaping of the server (issue 19: one home per command)
/// is seen to change no behaviour. Values that differ from run to run by design (hashes, token
/// ids and secrets, signatures, checkpoint sizes a timer decides, counters) are masked; nothing
/// else is.
///
/// To record it anew after a deliberate change of behaviour:
/// `ECOLEDGER_RECORD_TRANSCRIPT=1 swift test --filter TranscriptTests`, then read the diff.
@Suite("The protocol's transcript", .serialized)
struct TranscriptTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts/protocol-v1.txt")
    /// 2026-01-01T00:00:00Z; the clock stands still, so every time in a reply is this one.
    static let t0: Int64 = 1_767_225_600_000

    /// Masks what a run may change by design.
    static func mask(_ line: String) -> String {
        var text = line
        let rules: [(String, String)] = [
            (#"\b[0-9a-f]{64}\b"#, "<hex64>"),
            (#"\b[0-9a-f]{48}\b"#, "<secret>"),
            (#"tok-(admin|operator|merchant|auditor)-[0-9a-f]{8}"#, "tok-$1-<id>"),
            (#"tok-[0-9a-f]{12}"#, "tok-<id>"),
            (#"\b(root|note|proof|signature)=[A-Za-z0-9+/=]+"#, "$1=<base64>"),
            (#"^hash=[A-Za-z0-9+/=]+$"#, "hash=<base64>"),
            (#"\bsize=\d+"#, "size=<n>"),
            (#"\b(connections|total_connections|commands|errors|write_transactions|writes|largest_batch|uptime)=\d+"#, "$1=<n>"),
        ]
        for (pattern, template) in rules {
            text = text.replacingOccurrences(of: pattern, with: template, options: .regularExpression)
        }
        return text
    }

    /// One role's session: every request of the role matrix, then, for an administrator, the
    /// command script with its error cases.
    static func session(role: String) async throws -> [String] {
        let clock: @Sendable () -> Int64 = { TranscriptTests.t0 }
        return try await TestServer.with(configure: { configuration in
            let generator = LockedGenerator(seed: 19)
            configuration.randomBytes = { count in generator.bytes(count) }
        }, clock: clock) { server in
            let witnessSecret = role == "witness" ? try await HardeningTests.issue("role=witness", on: server).secret : nil
            return try await server.session(as: witnessSecret == nil && role != "resident" ? Role(rawValue: role) : nil) { connection async throws -> [String] in
                var lines: [String] = []
                func say(_ request: String) async throws {
                    lines.append("\(role)> \(request)")
                    var reply = try await connection.call(request).map { "  " + mask($0) }
                    // Tokens are listed by id, and the seeded catalogue's ids are random: their order is not behaviour.
                    if request == "TOKEN LIST", reply.count > 1 { reply = [reply[0]] + reply.dropFirst().sorted() }
                    lines += reply
                }
                if let witnessSecret { _ = try await connection.call("AUTH \(witnessSecret)") }
                if role == "resident" { try await say("AUTH RESIDENT R-1 pin=1234") }
                for (index, entry) in RoleMatrixTests.matrix.enumerated() {
                    try await say(entry.request.replacingOccurrences(of: "REF", with: "\(role)-\(index)"))
                }
                if role == "admin" {
                    for (request, _) in CommandTests.script where request != "QUIT" { try await say(request) }
                }
                try await say("QUIT")
                return lines
            }
        }
    }

    @Test("every command and reply, for every role and error case, is the recorded transcript")
    func transcript() async throws {
        var lines = ["# ecoledger protocol v1: every role's session (Tests/LedgerServerTests/TranscriptTests.swift)"]
        for role in ["-", "admin", "operator", "merchant", "auditor", "witness", "resident"] {
            lines += try await Self.session(role: role)
        }
        let text = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["ECOLEDGER_RECORD_TRANSCRIPT"] != nil {
            try text.write(to: Self.file, atomically: true, encoding: .utf8)
            return
        }
        let recorded = try String(contentsOf: Self.file, encoding: .utf8)
        let expected = recorded.split(separator: "\n", omittingEmptySubsequences: false)
        let actual = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let first = zip(expected, actual).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            Issue.record("line \(first.offset + 1) differs:\n  recorded: \(first.element.0)\n  now:      \(first.element.1)")
        }
        #expect(expected.count == actual.count, "\(expected.count) lines recorded, \(actual.count) now")
    }
}
