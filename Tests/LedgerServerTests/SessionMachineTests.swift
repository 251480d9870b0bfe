import LedgerCore
import LedgerProtocol
@testable import LedgerServer
import Testing

/// The session's state machine, event by event, with no channel and no ledger.
@Suite("The session state machine")
struct SessionMachineTests {
    let admin = Principal(token: try! TokenID("tok-admin"), role: .admin, point: nil, merchant: nil)

    func command(_ line: String) throws -> any ProtocolCommand {
        try CommandCatalogue.parse(try #require(try LineTokenizer.parse(Array(line.utf8))))
    }

    @Test("a new session is logged out: PING runs, HEAD needs AUTH")
    func startsLoggedOut() throws {
        var machine = SessionMachine(peer: "192.0.2.1")
        #expect(machine.state == .loggedOut && machine.principal == nil)
        try machine.authorize(try command("PING"), isActive: { _ in true })
        #expect(throws: ProtocolError(.notAuthenticated, "HEAD needs AUTH first")) { try machine.authorize(try command("HEAD"), isActive: { _ in true }) }
    }

    @Test("a login is kept until its token is revoked; then the next command logs out and says why")
    func revocationLogsOut() throws {
        var machine = SessionMachine()
        #expect(machine.apply(.reply(.word("ok"), then: .loggedIn(admin))) == (.word("ok"), false))
        try machine.authorize(try command("HEAD"), isActive: { _ in true })
        #expect(machine.principal == admin)
        #expect(throws: ProtocolError(.notAuthenticated, "token tok-admin has been revoked; this connection is logged out")) {
            try machine.authorize(try command("HEAD"), isActive: { _ in false })
        }
        #expect(machine.state == .loggedOut)
        // A command anyone may send is not refused, but the session is logged out all the same.
        machine = SessionMachine()
        _ = machine.apply(.reply(.word("ok"), then: .loggedIn(admin)))
        try machine.authorize(try command("PING"), isActive: { _ in false })
        #expect(machine.principal == nil)
    }

    @Test("each failed AUTH logs out and counts; the fifth closes, with its own words")
    func failedAuths() {
        var machine = SessionMachine()
        _ = machine.apply(.reply(.word("ok"), then: .loggedIn(admin)))
        for attempt in 1...4 {
            let (reply, close) = machine.apply(.authFailed(attempt % 2 == 0 ? .invalidToken : .wrongResidentPIN))
            #expect(!close && machine.principal == nil && machine.failedAuths == attempt)
            #expect(reply.encoded.hasPrefix("ERR NOT_AUTHENTICATED ") && !reply.encoded.contains("closing"))
        }
        let (reply, close) = machine.apply(.authFailed(.invalidToken))
        #expect(close && machine.state == .closing)
        #expect(reply.encoded == "ERR NOT_AUTHENTICATED invalid token; too many failures, closing\r\n")
    }

    @Test("a throttled AUTH counts as a failure, with LIMIT_EXCEEDED")
    func throttled() {
        var machine = SessionMachine()
        let (reply, close) = machine.apply(.authFailed(.throttled))
        #expect(!close && machine.failedAuths == 1 && reply.encoded.hasPrefix("ERR LIMIT_EXCEEDED too many AUTH attempts"))
    }

    @Test("a resident's session keeps its record and head; their own PIN change carries it on; its end logs out")
    func residentSession() throws {
        var machine = SessionMachine()
        let account = try AccountID("R-1")
        _ = machine.apply(.reply(.word("ok"), then: .residentLoggedIn(account, record: "old", since: 7)))
        #expect(machine.residentSession?.account == account && machine.residentSession?.record == "old" && machine.residentSession?.since == 7)
        #expect(machine.principal?.actor == .resident)
        _ = machine.apply(.reply(.word("ok"), then: .residentPINChanged(record: "new")))
        #expect(machine.residentSession?.record == "new" && machine.residentSession?.since == 7)
        let error = machine.residentSessionEnded()
        #expect(error.code == .notAuthenticated && machine.state == .loggedOut && machine.residentSession == nil)
        // A PIN change outside a resident's session (an administrator's) changes nothing.
        _ = machine.apply(.reply(.word("ok"), then: .loggedIn(admin)))
        _ = machine.apply(.reply(.word("ok"), then: .residentPINChanged(record: "x")))
        #expect(machine.state == .token(admin))
    }

    @Test("QUIT closes after its reply; logOut never reopens a closing session")
    func quit() {
        var machine = SessionMachine()
        #expect(machine.apply(.reply(.word("bye"), then: .quit)) == (.word("bye"), true))
        machine.logOut()
        #expect(machine.state == .closing)
    }
}
