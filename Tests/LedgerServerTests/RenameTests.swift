import Foundation
import LedgerCore
import LedgerProtocol
import LedgerTestSupport
import Testing

/// Names typed wrong (a shell's literal quotes, a typo) can be corrected, for points, merchants
/// and pools, by an administrator, in an entry that says so; residents' names live in profiles.
@Suite("Correcting names (POINT RENAME, ACCOUNT RENAME)")
struct RenameTests {
    @Test("a point's and a merchant's names stored with literal quotes are corrected, journaled, shown, and audited")
    func renames() async throws {
        try await CommandHarness.with { server in
            try await server.session(as: .admin) { admin async throws in
                // The mistake: a shell passed the quotes through.
                #expect(try await admin.call(#"POINT ADD CP-Q name="\"Payatas Hall\"""#)[0].hasPrefix("OK seq="))
                #expect(try await admin.call("POINT LIST").contains { $0.hasPrefix(#"point=CP-Q name="\"Payatas Hall\"" "#) })
                let renamed = try await admin.call("POINT RENAME CP-Q name=\"Payatas Hall\" district=Payatas")[0]
                #expect(renamed.hasPrefix("OK seq="), "\(renamed)")
                #expect(try await admin.call("POINT LIST").contains("point=CP-Q name=\"Payatas Hall\" district=Payatas active=1"))
                let seq = try #require(Reply.field("seq", in: renamed))
                let entry = try await admin.call("ENTRY \(seq)")[0]
                #expect(entry.contains(" kind=point_renamed ") && entry.contains(" point=CP-Q") && entry.contains(#"name="Payatas Hall""#), "\(entry)")

                #expect(try await admin.call(#"ACCOUNT OPEN M-Q kind=merchant name="\"Nena Store\"""#)[0].hasPrefix("OK seq="))
                #expect(try await admin.call("ACCOUNT RENAME M-Q name=\"Nena Store\"")[0].hasPrefix("OK seq="))
                #expect(try await admin.call("ACCOUNT SHOW M-Q")[0].hasPrefix("OK account=M-Q kind=merchant name=\"Nena Store\" "))
                #expect(try await admin.call("ACCOUNT RENAME B-1 name=\"School fund\" district=North")[0].hasPrefix("OK seq="))

                // What may not be renamed, and what a rename needs.
                #expect(try await admin.call("ACCOUNT RENAME R-1 name=Juan")
                        == ["ERR BAD_ARGUMENT account: R-1 is a resident: a resident's name is kept in their profile, outside the journal, and is not renamed"])
                #expect(try await admin.call("ACCOUNT RENAME sys:forfeit name=X")[0].hasPrefix("ERR BAD_ARGUMENT"))
                #expect(try await admin.call("POINT RENAME CP-NOPE name=X") == ["ERR NOT_FOUND no point CP-NOPE"])
                #expect(try await admin.call("ACCOUNT RENAME M-NOPE name=X") == ["ERR NOT_FOUND no account M-NOPE"])
                #expect(try await admin.call("POINT RENAME CP-Q")[0].hasPrefix("ERR BAD_ARGUMENT name"))
                #expect(try await admin.call("AUDIT")[0].hasPrefix("OK entries="))
            }
            try await server.session(as: .operator) { kiosk async throws in
                #expect(try await kiosk.call("POINT RENAME CP-1 name=Mine")[0].hasPrefix("ERR FORBIDDEN"))
            }
        }
    }
}
