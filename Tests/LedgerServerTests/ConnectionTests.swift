import Foundation
import LedgerPersistence
import LedgerCore
import LedgerStore
import LedgerWire
import LedgerTestSupport
import Testing

@Suite("Connections: pipelining, retries, limits and bad bytes")
struct ConnectionTests {
    @Test("1,000 pipelined requests are answered in order")
    func pipelining() async throws {
        try await TestServer.with { server in
            try await server.session(as: .operator) { connection async throws in
                for n in 0..<1000 {
                    let request = n % 2 == 0 ? "DROPOFF R-\(1 + n % 4 / 2) point=CP-1 material=PET kg=1.\(n % 1000) ref=pipe-\(n)" : "BALANCE R-1"
                    try await connection.send(request)
                }
                var dropoffSeqs: [Int64] = []
                for n in 0..<1000 {
                    let reply = try #require(try await connection.readReply())[0]
                    if n % 2 == 0 {
                        #expect(reply.hasPrefix("OK seq="), "\(n): \(reply)")
                        dropoffSeqs.append(Int64(reply.split(separator: " ")[1].dropFirst(4))!)
                    } else {
                        #expect(reply.hasPrefix("OK account=R-1 balance="), "\(n): \(reply)")
                    }
                }
                #expect(dropoffSeqs == Array(13...512), "drop-offs committed in the order they were sent")
            }
        }
    }

    @Test("the same drop-off retried from 8 concurrent connections is credited exactly once")
    func concurrentRetries() async throws {
        try await TestServer.with { server in
            let replies = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await server.session(as: .operator) { connection async throws in
                            var replies: [String] = []
                            for _ in 0..<5 { replies.append(try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=10 ref=flaky-1")[0]) }
                            return replies
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(replies.count == 40)
            // Every reply names the same entry; only the first carries balance= (a retry does not).
            let first = replies.filter { !$0.hasSuffix("replayed=1") }
            #expect(first.count == 1 && first[0].contains(" balance=180.00 "), "\(first)")
            let unbalanced = replies.map { $0.replacingOccurrences(of: " replayed=1", with: "").replacingOccurrences(of: " balance=180.00", with: "") }
            #expect(Set(unbalanced).count == 1, "\(Set(replies))")
            #expect(replies.filter { !$0.hasSuffix("replayed=1") }.count == 1)
            #expect(try server.store.account(AccountID("R-1"))?.balance == (try Points(parsing: "180")))
        }
    }

    @Test("a line over --max-line is answered LINE_TOO_LONG and the connection closes; others carry on")
    func lineTooLong() async throws {
        try await TestServer.with(configure: { $0.maxLine = 100 }) { server in
            try await server.session { connection async throws in
                #expect(try await connection.call("PING \(String(repeating: "x", count: 80))")[0].hasPrefix("ERR BAD_ARGUMENT"))
                try await connection.sendRaw(Array("PING \(String(repeating: "x", count: 200))".utf8)) // no LF: never buffered whole
                #expect(try await connection.readReply() == ["ERR LINE_TOO_LONG request line over the limit; closing"])
                #expect(try await connection.readReply() == nil)
            }
            try await server.session { connection async throws in
                let reply = try await connection.call("PING")
                #expect(reply == ["OK pong"])
            }
        }
    }

    @Test("unbalanced quotes, NUL and invalid UTF-8 are BAD_REQUEST and the connection stays usable")
    func badBytes() async throws {
        try await TestServer.with { server in
            try await server.session(as: .admin) { connection async throws in
                #expect(try await connection.call("POINT ADD CP-9 name=\"Plaza")[0] == "ERR BAD_REQUEST unbalanced quotes")
                try await connection.sendRaw(Array("PI".utf8) + [0] + Array("NG\n".utf8))
                #expect(try await connection.readReply()?[0] == "ERR BAD_REQUEST control byte 0x0 in request")
                try await connection.sendRaw(Array("AUTH ".utf8) + [0xc3, 0x28, 0x0a])
                #expect(try await connection.readReply()?[0] == "ERR BAD_REQUEST request is not valid UTF-8")
                try await connection.sendRaw(Array("\n\r\n   \nPING\r\n".utf8))
                #expect(try await connection.readReply() == ["OK pong"], "blank lines are ignored, CRLF accepted")
                #expect(try await connection.call("HEAD")[0] == "OK seq=12 hash=\(try server.store.head().hash.hex)", "the ledger is unchanged")
            }
        }
    }

    @Test("over a socket: half a line is idle, and the idle connection is told TIMEOUT and closed")
    func idleTimeout() async throws {
        // The exact timing is tested on an embedded loop (IdleTimeoutTests); this checks the wiring,
        // with a timeout long enough that a loaded machine does not close the connection first.
        try await TestServer.with(configure: { $0.idleTimeout = .seconds(1) }) { server in
            try await server.session { connection async throws in
                // Half a line does not count as activity. On a machine so loaded that the second
                // passes before it is sent, the server has already said TIMEOUT and closed: the
                // reply below is the same either way.
                try? await connection.sendRaw(Array("PIN".utf8))
                // Waits for the server, however slow the machine: no timer races the assertion.
                #expect(try await connection.readReply()?[0].hasPrefix("ERR TIMEOUT") == true)
                #expect(try await connection.readReply() == nil)
            }
        }
    }

    @Test("connections beyond --max-connections get LIMIT_EXCEEDED and close; existing ones carry on")
    func maxConnections() async throws {
        try await TestServer.with(configure: { $0.maxConnections = 2 }) { server in
            try await server.session { first async throws in
                try await server.session { second async throws in
                    #expect(try await second.call("PING") == ["OK pong"])
                    try await server.session { third async throws in
                        let reply = try await third.readReply()
                        #expect(reply?[0].hasPrefix("ERR LIMIT_EXCEEDED too many connections") == true)
                        #expect(try await third.readReply() == nil)
                    }
                    #expect(try await first.call("PING") == ["OK pong"])
                }
            }
            // Slots free up again once connections close (the server notices the close on its own loop).
            var served = false
            for _ in 0..<300 where !served {
                served = (try? await server.session { try await $0.call("PING") }) == ["OK pong"]
                if !served { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(served, "no slot came free")
        }
    }

    @Test("a last line without its LF is answered BAD_REQUEST and not executed; the lines before it are")
    func unterminatedLastLine() async throws {
        try await TestServer.with { server in
            let before = try server.store.head()
            let client = try RawClient(port: server.port)
            // The blocking socket is read on a thread of its own: the server in this process
            // needs Swift's pool (one thread per core) to answer.
            let replies = try await RawClient.onOwnThread {
                try client.write("AUTH \(TestServer.secrets[.operator]!)\nPING\nDROPOFF R-1 point=CP-1 material=PET kg=12 ref=cut-1")
                client.closeWriting()
                return try client.readToEnd()
            }
            let lines = replies.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 3 && lines[0].hasPrefix("OK role=operator") && lines[1] == "OK pong", "\(lines)")
            // Half a line is all a kiosk that died mid-write leaves: "kg=12" may have been "kg=12.5".
            #expect(lines.last == "ERR BAD_REQUEST request line ended without LF; not executed")
            #expect(try server.store.head() == before, "nothing was written")
        }
    }

    @Test("at shutdown, half a line is no request: it is neither executed nor answered")
    func unterminatedAtShutdown() async throws {
        let server = try await TestServer.start()
        let before = try server.store.head()
        let client = try RawClient(port: server.port)
        let answered: [String?]
        do {
            answered = try await RawClient.onOwnThread {
                try client.write("AUTH \(TestServer.secrets[.operator]!)\nPING\nDROPOFF R-1 point=CP-1 material=PET kg=12 ref=cut-2")
                return [try client.readLine(), try client.readLine()]
            }
        } catch {
            try? await server.stop(keepingFiles: true)
            throw error
        }
        #expect(answered[0]?.hasPrefix("OK role=operator") == true)
        #expect(answered[1] == "OK pong", "the line before it was read and answered")
        try await server.stop(keepingFiles: true)
        // The server stopped reading mid-line: the kiosk resends the request whole, same ref.
        let rest = try await RawClient.onOwnThread { try client.readToEnd() }
        #expect(rest.isEmpty, "no BAD_REQUEST (nor anything else) for a line the server never finished reading: \(rest)")
        let reopened = try LedgerStore.open(at: server.store.path)
        defer { try? reopened.close(); try? FileManager.default.removeItem(at: server.directory) }
        #expect(try reopened.head() == before, "nothing was written")
    }

    @Test("QUIT answers bye and closes; a client that half-closes still gets every reply")
    func quitAndHalfClose() async throws {
        try await TestServer.with { server in
            try await server.session { connection async throws in
                #expect(try await connection.call("QUIT") == ["OK bye"])
                #expect(try await connection.readReply() == nil)
            }
        }
    }
}

@Suite("Pipelined writes")
struct PipelinedWriteTests {
    @Test("pipelined requests behave as if sent one by one: opens before their drop-offs, reads see earlier writes")
    func orderPreserved() async throws {
        try await TestServer.with { server in
            try await server.session(as: .admin) { connection async throws in
                var expected: [String] = []
                for n in 0..<30 {
                    try await connection.send("ACCOUNT OPEN R-P\(n) kind=resident name=P pin=1234")
                    expected.append("OK seq=")
                    for k in 0..<5 {
                        try await connection.send("DROPOFF R-P\(n) point=CP-1 material=PET kg=1 ref=p\(n)-\(k)")
                        expected.append("OK seq=")
                    }
                    try await connection.send("REDEEM R-P\(n) points=90 merchant=M-1 pin=1234 ref=r\(n)")
                    expected.append("OK seq=")
                    try await connection.send("BALANCE R-P\(n)")
                    expected.append("OK account=R-P\(n) balance=0.00")
                    try await connection.send("REDEEM R-P\(n) points=0.01 merchant=M-1 pin=1234 ref=r\(n)-too-much")
                    expected.append("ERR INSUFFICIENT_POINTS")
                }
                for (index, prefix) in expected.enumerated() {
                    let reply = try #require(try await connection.readReply())[0]
                    #expect(reply.hasPrefix(prefix), "\(index): \(reply)")
                }
            }
            guard case .success = try server.store.verify() else { Issue.record("must verify"); return }
        }
    }
}
