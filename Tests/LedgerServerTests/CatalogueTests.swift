import Foundation
import LedgerCore
import LedgerProtocol
@testable import LedgerServer
import Testing

/// Walks the command catalogue: every command has one handler, a row in docs/PROTOCOL.md and a
/// seed in the fuzz corpus, so a command added to the catalogue without them fails here.
@Suite("The command catalogue")
struct CatalogueTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("every command has exactly one handler; every queueable command is pipelined")
    func handlers() {
        for command in CommandCatalogue.all {
            let plain = command is any CommandHandler.Type, session = command is any SessionHandler.Type
            #expect(plain != session, "\(command.verb): \(plain ? "two handlers" : "no handler")")
            if command.queueable { #expect(command is any PipelinedHandler.Type, "\(command.verb) is queueable but not pipelined") }
            if command is any PipelinedHandler.Type { #expect(command.queueable && command.writes, "\(command.verb)") }
        }
    }

    @Test("verbs are unique, upper case, of one word or a group and a word")
    func verbs() {
        let verbs = CommandCatalogue.all.map { $0.verb }
        #expect(Set(verbs).count == verbs.count)
        for verb in verbs {
            #expect(verb == verb.uppercased() && (1...2).contains(verb.split(separator: " ").count), "\(verb)")
            #expect(CommandCatalogue.command(verb)?.verb == verb)
        }
        #expect(CommandCatalogue.queueable.sorted() == ["DROPOFF", "REVERSE", "SETTLE"])
    }

    @Test("every command has a row in docs/PROTOCOL.md, written as its usage")
    func protocolRows() throws {
        let protocolText = try String(contentsOf: Self.root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        for command in CommandCatalogue.all {
            // `AUTH TOKEN | AUTH RESIDENT …` has a row per form; HELP's `[COMMAND]` a row per form too.
            let forms = command.usage == "HELP [COMMAND]" ? ["HELP", "HELP COMMAND"] : command.usage.components(separatedBy: " | ")
            for form in forms {
                let row = "| `" + form.replacingOccurrences(of: "|", with: "\\|") + "` |"
                #expect(protocolText.contains(row), "docs/PROTOCOL.md has no row \(row)")
            }
        }
    }

    @Test("every command has a seed in the fuzz corpus that decodes to it")
    func fuzzSeeds() throws {
        let folder = Self.root.appendingPathComponent("Tests/LedgerFuzzCorpus")
        var seeded: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let parsed = try? LineTokenizer.parse(Array(line)), let command = try? CommandCatalogue.parse(parsed) else { continue }
                seeded.insert(command.verb)
            }
        }
        for command in CommandCatalogue.all {
            #expect(seeded.contains(command.verb), "no fuzz seed decodes to \(command.verb)")
        }
    }

    @Test("a command's declared access is what the check enforces, role by role")
    func accessFromDeclarations() throws {
        let principals: [Principal] = [
            Principal(token: try TokenID("tok-a"), role: .admin, point: nil, merchant: nil),
            Principal(token: try TokenID("tok-w"), role: .witness, point: nil, merchant: nil),
            .resident(try AccountID("R-1")),
        ]
        for type in CommandCatalogue.all where !type.access.anyone {
            for principal in principals {
                guard type.access.scope(for: principal.role) == nil else { continue }
                // Any role the declaration leaves out is refused, whatever the arguments.
                let line = try #require(Self.sampleLines[type.verb], "no sample line for \(type.verb)")
                let command = try CommandCatalogue.parse(try #require(try LineTokenizer.parse(Array(line.utf8))))
                #expect(throws: ProtocolError.self) { try Access.check(command, by: principal) }
                #expect(throws: ProtocolError.self) { try Access.check(command, by: nil) }
            }
        }
    }

    /// One well-formed line per command that needs AUTH.
    static let sampleLines: [String: String] = [
        "ACCOUNT OPEN": "ACCOUNT OPEN R-9 kind=resident name=X", "ACCOUNT SHOW": "ACCOUNT SHOW R-1", "ACCOUNT PIN": "ACCOUNT PIN R-2 pin=1234",
        "ACCOUNT UNLOCK": "ACCOUNT UNLOCK R-1", "ACCOUNT CLOSE": "ACCOUNT CLOSE R-1 reason=x", "ACCOUNT ERASE": "ACCOUNT ERASE R-1 reason=x",
        "ACCOUNT RENAME": "ACCOUNT RENAME M-1 name=X", "POINT ADD": "POINT ADD CP-9 name=X", "POINT CLOSE": "POINT CLOSE CP-1",
        "POINT RENAME": "POINT RENAME CP-1 name=X", "POINT LIST": "POINT LIST", "MATERIAL SET": "MATERIAL SET PET rate=1",
        "MATERIAL LIST": "MATERIAL LIST", "TOKEN ISSUE": "TOKEN ISSUE role=auditor", "TOKEN REVOKE": "TOKEN REVOKE tok-1",
        "TOKEN LIST": "TOKEN LIST", "SCHEME SHOW": "SCHEME SHOW", "SCHEME SET": "SCHEME SET expiry=1y", "EXPIRE": "EXPIRE",
        "POST": "POST 1", "VOID": "VOID 1 reason=x", "DROPOFF": "DROPOFF R-1 point=CP-1 material=PET kg=1 ref=r",
        "REDEEM": "REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=r", "DONATE": "DONATE R-1 points=1 to=B-1 pin=1234 ref=r",
        "SETTLE": "SETTLE M-1 points=1 ref=r", "REVERSE": "REVERSE 1 reason=x ref=r", "BALANCE": "BALANCE M-1", "HISTORY": "HISTORY M-1",
        "ENTRY": "ENTRY 1", "HEAD": "HEAD", "AUDIT": "AUDIT", "STATS": "STATS", "ALERTS": "ALERTS", "REPORT": "REPORT",
        "CHECKPOINT": "CHECKPOINT", "CONSISTENCY": "CONSISTENCY 1 2", "RECEIPT": "RECEIPT 1", "COSIGN": "COSIGN 1 name=w signature=AAAA",
    ]
}
