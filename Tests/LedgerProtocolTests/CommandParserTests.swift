import LedgerCore
@testable import LedgerProtocol
import Testing

@Suite("Decoding commands")
struct CommandParserTests {
    func command(_ text: String) throws -> any ProtocolCommand {
        try CommandCatalogue.parse(try #require(try LineTokenizer.parse(Array(text.utf8))))
    }

    func expectError(_ code: ProtocolError.Code, _ text: String, naming argument: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let parsed = try command(text)
            Issue.record("expected \(code), got \(parsed.verb)", sourceLocation: sourceLocation)
        } catch let error as ProtocolError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            if let argument { #expect(error.message.hasPrefix("\(argument):"), "\(error)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("a drop-off decodes into exact, validated values")
    func dropoff() throws {
        guard let d = (try command("DROPOFF R-1 point=CP-1 material=PET kg=2.345 ref=k-1") as? Commands.Dropoff)?.dropoff else {
            Issue.record("not a drop-off"); return
        }
        #expect(d.account.rawValue == "R-1" && d.point.rawValue == "CP-1" && d.material.rawValue == "PET")
        #expect(d.grams == Grams(2345) && d.ref.rawValue == "k-1")
    }

    @Test("every command of protocol v1 decodes", arguments: [
        "PING", "HELLO", "HELLO 1", "AUTH abc", "QUIT",
        "ACCOUNT OPEN R-1 kind=resident name=\"Juan dela Cruz\" pin=1234", "ACCOUNT OPEN M-1 kind=merchant name=Biller min_redeem=200",
        "ACCOUNT OPEN B-1 kind=beneficiary name=Fund district=\"Batasan Hills\"",
        "ACCOUNT SHOW R-1", "ACCOUNT PIN R-1 pin=87654321", "ACCOUNT UNLOCK R-1",
        "ACCOUNT CLOSE R-1 reason=\"moved to Cebu\"", "SCHEME SHOW", "SCHEME SET daily_cap=50 monthly_cap=none tz=-03:30",
        "ALERTS", "ALERTS since=10 limit=5", "EXPIRE", "SCHEME SET expiry=5y",
        "SCHEME SET hold_action=post", "MATERIAL SET ALU rate=12.5 hold=7d", "MATERIAL SET ALU rate=12.5 hold=0", "POST 12", "VOID 12 reason=\"wet paper\"",
        "POINT ADD CP-1 name=Hall district=North", "POINT CLOSE CP-1", "POINT RENAME CP-1 name=Hall", "ACCOUNT RENAME M-1 name=Store district=North", "POINT LIST",
        "MATERIAL SET PET rate=18 name=PET min_kg=1 max_kg=100", "MATERIAL SET PET rate=18.5", "MATERIAL LIST",
        "TOKEN ISSUE role=operator point=CP-1", "TOKEN ISSUE role=merchant merchant=M-1", "TOKEN ISSUE role=auditor",
        "TOKEN REVOKE tok-1", "TOKEN LIST",
        "DROPOFF R-1 point=CP-1 material=PET kg=2 ref=r", "REDEEM R-1 points=10.50 merchant=M-1 pin=1234 ref=r",
        "DONATE R-1 points=5 to=B-1 pin=1234 ref=r", "SETTLE M-1 points=100 ref=r", "REVERSE 12 reason=\"wrong scale\" ref=r",
        "BALANCE R-1", "HISTORY R-1", "HISTORY R-1 limit=10 before=99", "ENTRY 1", "HEAD", "AUDIT", "STATS",
        "ping", "account show R-1",
    ])
    func everyCommand(text: String) throws {
        // The decoded command is the one the line names (ASCII letters fold to upper case).
        let words = text.split(separator: " ").map { LineTokenizer.asciiUppercased(String($0)) }
        let expected = ["ACCOUNT", "POINT", "MATERIAL", "TOKEN", "SCHEME"].contains(words[0]) ? "\(words[0]) \(words[1])" : words[0]
        #expect(try command(text).verb == expected)
    }

    @Test("decoded arguments keep their exact values")
    func argumentValues() throws {
        let open = try #require(try command("ACCOUNT OPEN B-1 kind=beneficiary name=\"Juan \\\"JC\\\" dela Cruz\" district=\"Batasan Hills\"") as? Commands.AccountOpen)
        #expect(open.id.rawValue == "B-1" && open.kind == .beneficiary && open.name == #"Juan "JC" dela Cruz"# && open.district == "Batasan Hills")
        #expect(open.pin == nil && open.minRedeem == nil)
        let history = try #require(try command("HISTORY R-1 limit=10 before=99") as? Commands.History)
        #expect(history.account.rawValue == "R-1" && history.limit == 10 && history.before == 99)
        let spend = try #require(try command("REDEEM R-1 points=10.50 merchant=M-1 pin=1234 ref=r") as? Commands.Redeem).spend
        #expect(spend.amount == (try Points(parsing: "10.50")) && spend.payee.rawValue == "M-1" && spend.ref.rawValue == "r")
    }

    @Test("unknown verbs and sub-verbs are UNKNOWN_COMMAND")
    func unknown() {
        expectError(.unknownCommand, "FROBNICATE")
        expectError(.unknownCommand, "ACCOUNT DELETE R-1")
        expectError(.unknownCommand, "TOKEN")
    }

    @Test("missing, unknown and malformed arguments are BAD_ARGUMENT naming the argument")
    func badArguments() {
        expectError(.badArgument, "DROPOFF R-1 point=CP-1 material=PET ref=r", naming: "kg")
        expectError(.badArgument, "DROPOFF R-1 point=CP-1 material=PET kg=1.2345 ref=r", naming: "kg")
        expectError(.badArgument, "DROPOFF R-1 point=CP-1 material=PET kg=-1 ref=r", naming: "kg")
        expectError(.badArgument, "DROPOFF R-1 point=CP-1 material=PET kg=1 ref=r colour=red", naming: "colour")
        expectError(.badArgument, "DROPOFF R-1 extra point=CP-1 material=PET kg=1 ref=r", naming: "extra")
        expectError(.badArgument, "DROPOFF point=CP-1 material=PET kg=1 ref=r", naming: "account")
        expectError(.badArgument, "DROPOFF R/1 point=CP-1 material=PET kg=1 ref=r", naming: "account")
        expectError(.badArgument, "REDEEM R-1 points=10.555 merchant=M-1 pin=1234 ref=r", naming: "points")
        expectError(.badArgument, "REDEEM R-1 points=0 merchant=M-1 pin=1234 ref=r", naming: "points")
        expectError(.badArgument, "REDEEM R-1 points=-5 merchant=M-1 pin=1234 ref=r", naming: "points")
        expectError(.badArgument, "REDEEM R-1 points=99999999999999999999 merchant=M-1 pin=1234 ref=r", naming: "points")
        expectError(.badArgument, "REDEEM R-1 points=1 merchant=M-1 pin=12 ref=r", naming: "pin")
        expectError(.badArgument, "ACCOUNT OPEN S-1 kind=system name=x", naming: "kind")
        expectError(.badArgument, "TOKEN ISSUE role=root", naming: "role")
        expectError(.badArgument, "HISTORY R-1 limit=0", naming: "limit")
        expectError(.badArgument, "HISTORY R-1 limit=1001", naming: "limit")
        expectError(.badArgument, "ENTRY 0", naming: "seq")
        expectError(.badArgument, "ENTRY 01", naming: "seq")
        expectError(.badArgument, "HELLO 2", naming: "version")
        expectError(.badArgument, "PING now", naming: "now")
        expectError(.badArgument, "POINT ADD CP-1", naming: "name")
    }

    @Test("a malformed PIN is refused as BAD_ARGUMENT pin, and its digits never appear in the message",
          arguments: ["12345abc", "123", "123456789", "98765x", "９８７６"])
    func pinNotEchoed(pin: String) {
        do {
            let parsed = try command("REDEEM R-1 points=1 merchant=M-1 pin=\(pin) ref=r")
            Issue.record("pin=\(pin) was accepted as \(parsed.verb)")
        } catch let error as ProtocolError {
            #expect(error.code == .badArgument && error.message.hasPrefix("pin:"), "\(error)")
            #expect(!error.message.contains(pin), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
