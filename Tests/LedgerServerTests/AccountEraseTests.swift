import Foundation
import LedgerCore
import LedgerProtocol
import LedgerTestSupport
import Testing

@Suite("Residents' profiles and ACCOUNT ERASE, handled without a socket")
struct AccountEraseTests {
    @Test("a resident's name is shown to an admin from the profile, never in an entry; after ACCOUNT ERASE it is in no reply and no byte of the ledger's files")
    func eraseResident() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .admin) { admin async throws in
                let opened = try await admin.call("ACCOUNT OPEN R-9 kind=resident name=\"Perpetua Villanueva\" district=Payatas pin=4321")[0]
                let seq = try #require(Reply.field("seq", in: opened))
                let before = try await admin.call("ACCOUNT SHOW R-9")[0]
                #expect(before.hasPrefix("OK account=R-9 kind=resident name=\"Perpetua Villanueva\" district=Payatas ") && before.hasSuffix(" profile=kept"),
                        "\(before)")
                let entry = try await admin.call("ENTRY \(seq)")[0]
                #expect(entry.contains("profile_digest=") && !entry.contains("Perpetua") && !entry.contains("Payatas"), "\(entry)")
                #expect(try await admin.call("DROPOFF R-9 point=CP-1 material=PET kg=2 ref=r9-1")[0].hasPrefix("OK seq="))

                #expect(try await admin.call("ACCOUNT ERASE R-9 reason=\"asked on 2026-11-25\"")
                        == ["ERR CONFLICT R-9 is open: close it first (ACCOUNT CLOSE), which forfeits what it holds"])
                #expect(try await admin.call("ACCOUNT ERASE M-1 reason=x") == ["ERR BAD_ARGUMENT account: M-1 is not a resident"])
                #expect(try await admin.call("ACCOUNT ERASE R-NOPE reason=x") == ["ERR NOT_FOUND no account R-NOPE"])
                #expect(try await admin.call("ACCOUNT ERASE R-9")[0].hasPrefix("ERR BAD_ARGUMENT reason"))
                #expect(try await admin.call("ACCOUNT CLOSE R-9 reason=\"moved away\"")[0].hasPrefix("OK seq="))
                let erased = try await admin.call("ACCOUNT ERASE R-9 reason=\"asked on 2026-11-25\"")[0]
                #expect(erased.hasPrefix("OK seq=") && erased.contains(" account=R-9"), "\(erased)")
                let shown = try await admin.call("ACCOUNT SHOW R-9")[0]
                #expect(shown.hasPrefix("OK account=R-9 kind=resident balance=0.00 ") && shown.hasSuffix(" locked=0 profile=erased closed=1"), "\(shown)")
                #expect(!shown.contains("Perpetua") && !shown.contains("Payatas"))
                #expect(try await admin.call("ACCOUNT ERASE R-9 reason=again") == ["ERR CONFLICT R-9 is already erased"])
                // The points it earned and forfeited stay in its history, and the ledger audits.
                #expect(try await admin.call("HISTORY R-9").count == 3, "header, the forfeit and the drop-off")
                #expect(try await admin.call("AUDIT")[0].hasPrefix("OK entries="))
                // Nowhere: no reply about any entry names it…
                let head = try #require(Int(Reply.field("seq", in: try await admin.call("HEAD")[0]) ?? ""))
                for seq in 1...head {
                    let entry = try await admin.call("ENTRY \(seq)")[0]
                    #expect(!entry.contains("Perpetua") && !entry.contains("Payatas"), "\(entry)")
                }
                for line in try await admin.call("HISTORY R-9") { #expect(!line.contains("Perpetua") && !line.contains("Payatas"), "\(line)") }
            }
            // …and no byte of the ledger's files holds it, once the erasure's scrub has run (it
            // is retried every checkpoint interval while a reader holds it up).
            let files = [server.path, server.path + "-wal"]
            func holdsName() -> Bool {
                files.contains { file in
                    guard let data = FileManager.default.contents(atPath: file) else { return false }
                    return data.range(of: Data("Perpetua".utf8)) != nil || data.range(of: Data("Payatas".utf8)) != nil
                }
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while holdsName(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!holdsName(), "the erased name is still in the ledger's files")
            try await server.session(as: .operator) { kiosk async throws in
                #expect(try await kiosk.call("ACCOUNT ERASE R-2 reason=x")[0].hasPrefix("ERR FORBIDDEN"), "erasure is for administrators")
            }
        }
    }
}
