import LedgerCore
import LedgerProtocol
import LedgerWire
import Testing

/// Every role against every command, from the table in docs/PROTOCOL.md (written out here
/// independently of the server's policy code).
@Suite("The role matrix")
struct RoleMatrixTests {
    /// A request and the roles allowed to send it ("-" for no AUTH at all).
    static let matrix: [(request: String, allowed: Set<String>)] = [
        ("PING", ["-", "admin", "operator", "merchant", "auditor", "witness", "resident"]),
        ("HELLO 1", ["-", "admin", "operator", "merchant", "auditor", "witness", "resident"]),
        ("HELP", ["-", "admin", "operator", "merchant", "auditor", "witness", "resident"]),
        ("HELP DROPOFF", ["-", "admin", "operator", "merchant", "auditor", "witness", "resident"]),
        ("ACCOUNT OPEN R-NEW kind=resident name=New", ["admin", "operator"]),
        ("ACCOUNT OPEN M-NEW kind=merchant name=New", ["admin"]),
        ("ACCOUNT SHOW R-1", ["admin"]),
        ("ACCOUNT PIN R-2 pin=1234", ["admin"]),
        ("ACCOUNT UNLOCK R-2", ["admin"]),
        ("POINT ADD CP-NEW name=New", ["admin"]),
        ("POINT CLOSE CP-2", ["admin"]),
        ("POINT RENAME CP-1 name=Hall", ["admin"]),
        ("ACCOUNT RENAME M-2 name=Biller", ["admin"]),
        ("POINT LIST", ["admin", "auditor"]),
        ("MATERIAL SET PET rate=18", ["admin"]),
        ("MATERIAL LIST", ["admin", "operator", "auditor"]),
        ("TOKEN ISSUE role=auditor", ["admin"]),
        ("TOKEN REVOKE tok-none", ["admin"]),
        ("TOKEN LIST", ["admin", "auditor"]),
        ("DROPOFF R-1 point=CP-1 material=PET kg=5 ref=REF", ["admin", "operator"]),
        ("DROPOFF R-1 point=CP-2 material=PET kg=5 ref=REF", ["admin"]),
        ("REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=REF", ["admin", "merchant"]),
        ("REDEEM R-1 points=1 merchant=M-2 pin=1234 ref=REF", ["admin"]),
        ("DONATE R-1 points=1 to=B-1 pin=1234 ref=REF", ["admin", "operator"]),
        ("SETTLE M-1 points=1 ref=REF", ["admin"]),
        ("REVERSE 1 reason=test ref=REF", ["admin"]),
        ("BALANCE R-1", ["admin", "operator", "auditor", "resident"]),
        ("BALANCE R-2", ["admin", "operator", "auditor"]),
        ("BALANCE M-1", ["admin", "operator", "merchant", "auditor"]),
        ("HISTORY R-1", ["admin", "operator", "auditor", "resident"]),
        ("HISTORY M-1 limit=5", ["admin", "operator", "merchant", "auditor"]),
        ("ENTRY 1", ["admin", "auditor"]),
        ("HEAD", ["admin", "auditor"]),
        ("AUDIT", ["admin", "auditor"]),
        ("STATS", ["admin", "auditor"]),
        ("CHECKPOINT", ["admin", "operator", "merchant", "auditor", "witness"]),
        ("CONSISTENCY 1 2", ["admin", "operator", "merchant", "auditor", "witness"]),
        ("RECEIPT 1", ["admin", "auditor"]),
        ("COSIGN 1 name=witness.test/barangay signature=AAAA", ["witness"]),
        ("ALERTS limit=5", ["admin", "auditor"]),
        ("REPORT by=material", ["admin", "auditor"]),
        ("EXPIRE", ["admin"]),
        ("POST 1", ["admin", "operator"]), // entry 1 is no held drop-off: NOT_FOUND for both (HoldCommandTests: another point's is FORBIDDEN)
        ("VOID 1 reason=x", ["admin"]),
        ("SCHEME SHOW", ["admin", "operator", "merchant", "auditor", "witness"]),
        ("SCHEME SET monthly_cap=450", ["admin"]),
        ("ACCOUNT CLOSE R-2 reason=moved", ["admin"]),
        ("ACCOUNT ERASE R-2 reason=asked", ["admin"]),
    ]

    /// The verb of a request line, as the server parses it.
    static func verb(of request: String) throws -> String {
        try CommandCatalogue.parse(#require(try LineTokenizer.parse(Array(request.utf8)))).verb
    }

    @Test("each role is allowed exactly its commands, and HELP lists them; the rest are FORBIDDEN (NOT_AUTHENTICATED before AUTH)",
          arguments: ["-", "admin", "operator", "merchant", "auditor", "witness", "resident"])
    func matrix(role: String) async throws {
        try await TestServer.with { server in
            let witnessSecret = role == "witness" ? try await HardeningTests.issue("role=witness", on: server).secret : nil
            try await server.session(as: witnessSecret == nil && role != "resident" ? Role(rawValue: role) : nil) { connection async throws in
                if let witnessSecret { #expect(try await connection.call("AUTH \(witnessSecret)")[0].hasPrefix("OK role=witness")) }
                if role == "resident" { #expect(try await connection.call("AUTH RESIDENT R-1 pin=1234") == ["OK role=resident account=R-1"]) }
                // HELP lists what the matrix allows this role: every command allowed on some line,
                // and no unlimited command that the matrix refuses.
                let help = try await connection.call("HELP").dropFirst()
                let listed = Dictionary(uniqueKeysWithValues: try help.map { line in
                    let fields = try #require(try LineTokenizer.parse(Array("LINE \(line)".utf8))).named
                    return (fields["command"] ?? "?", fields["only"])
                })
                var allowedVerbs: Set<String> = []
                for (index, (template, allowed)) in Self.matrix.enumerated() {
                    let request = template.replacingOccurrences(of: "REF", with: "\(role)-\(index)")
                    let reply = try await connection.call(request)[0]
                    let verb = try Self.verb(of: request)
                    if allowed.contains(role) {
                        #expect(!reply.hasPrefix("ERR FORBIDDEN") && !reply.hasPrefix("ERR NOT_AUTHENTICATED"), "\(role): \(request) → \(reply)")
                        #expect(listed[verb] != nil, "\(role): HELP does not list \(verb)")
                        allowedVerbs.insert(verb)
                    } else {
                        #expect(reply.hasPrefix(role == "-" ? "ERR NOT_AUTHENTICATED" : "ERR FORBIDDEN"), "\(role): \(request) → \(reply)")
                    }
                }
                for (verb, only) in listed where only == nil {
                    #expect(allowedVerbs.contains(verb) || ["AUTH", "QUIT"].contains(verb), "\(role): HELP offers \(verb) without limit, the matrix refuses it")
                }
                let show = try await connection.call("HELP dropoff")[0]
                #expect(show.hasPrefix("OK command=DROPOFF usage=\"DROPOFF ACCOUNT point=ID material=CODE kg=KG ref=ID\" "), "\(show)")
                #expect(show.contains(" allowed=\(["admin", "operator"].contains(role) ? "yes" : "no")"), "\(role): \(show)")
            }
        }
    }
}

import Foundation
