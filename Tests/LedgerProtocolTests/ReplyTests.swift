import LedgerCore
import LedgerProtocol
import Testing

@Suite("Encoding replies")
struct ReplyTests {
    @Test("OK lines end in CRLF and quote values that need it")
    func okLine() {
        #expect(Reply.word("pong").encoded == "OK pong\r\n")
        #expect(Reply.ok([("note", "")]).encoded == "OK note=\"\"\r\n")
        #expect(Reply.ok([("name", "Juan dela Cruz"), ("balance", "12.50")]).encoded == "OK name=\"Juan dela Cruz\" balance=12.50\r\n")
        #expect(Reply.ok([("reason", #"a "b" \c"#)]).encoded == #"OK reason="a \"b\" \\c""# + "\r\n")
    }

    @Test("a list is OK n=N followed by exactly N lines")
    func list() {
        #expect(Reply.list([[("a", "1")], [("a", "2")]]).encoded == "OK n=2\r\na=1\r\na=2\r\n")
        #expect(Reply.list([]).encoded == "OK n=0\r\n")
    }

    @Test("errors are ERR CODE message on one line")
    func error() {
        #expect(Reply.error(ProtocolError(.notFound, "no account R-9")).encoded == "ERR NOT_FOUND no account R-9\r\n")
        #expect(Reply.error(ProtocolError(.badRequest, "a\r\nb")).encoded == "ERR BAD_REQUEST a  b\r\n")
    }

    @Test("a quoted reply value reads back through the request tokenizer unchanged")
    func roundTrip() throws {
        for value in ["plain", "with space", #"quote " and \ slash"#, "", "tab\there"] {
            let line = "X v=" + Reply.quote(value)
            #expect(try LineTokenizer.parse(Array(line.utf8))?.named["v"] == value)
        }
    }

    @Test("every ledger error code is a protocol code")
    func ledgerCodes() {
        let errors: [LedgerError] = [.invalid("a", "b"), .notFound("x"), .alreadyExists("x"), .conflict("x"), .insufficientPoints("x"),
                                     .limitExceeded("x"), .overflow("x"), .locked("x"), .wrongPIN(account: "R", remaining: 1), .forbidden("x")]
        for error in errors { #expect(ProtocolError(error).code.rawValue == error.code) }
    }
}
