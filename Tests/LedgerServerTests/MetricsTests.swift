import Foundation
import LedgerTestSupport
import LedgerWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ecoledgerd --metrics`: a real scrape over HTTP, read by an independent parser of the
/// Prometheus text format (Python's prometheus_client, which `make test-deps` installs).
@Suite("Prometheus metrics", .serialized)
struct MetricsTests {
    /// One HTTP/1.1 request over a plain socket; the whole response (the server closes after it).
    static func http(_ method: String, _ path: String, port: Int) throws -> String {
        let client = try RawClient(port: port)
        try client.write("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        return try client.readToEnd()
    }

    /// Whether `condition` becomes true within 10 s, trying every 20 ms.
    static func poll(_ condition: () throws -> Bool) throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return false
    }

    /// The samples of an exposition, as prometheus_client parses them: `name{labels} value` per line,
    /// labels sorted, so the test reads them without parsing the format itself.
    static func parsed(_ exposition: String) throws -> [String: Double] {
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                    print(f"{s.name}{{{labels}}} {family.type} {s.value}")
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        python.standardInput = input
        python.standardOutput = output
        python.standardError = errors
        try python.run()
        input.fileHandleForWriting.write(Data(exposition.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        guard python.terminationStatus == 0 else { throw TestFailure("prometheus_client refused the exposition: \(complaint)") }
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = Double(parts[2])
        }
        return samples
    }

    @Test("a scrape counts requests and errors by command and code, batches, commits, connections, the ledger's size and the checkpoint's age")
    func scrape() async throws {
        let scratch = try Scratch()
        let db = scratch.path("m.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo", "--metrics", "127.0.0.1:0"])
        defer { daemon.terminate() }
        let url = try #require(daemon.printed.split(separator: "\n").first { $0.hasPrefix("metrics on http://127.0.0.1:") })
        let metricsPort = try #require(Int(url.split(separator: ":").last!.split(separator: "/").first!))
        let operatorToken = try DaemonProcess.demoToken("operator", db: db)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            _ = try await connection.call("AUTH \(operatorToken)")
            for ref in ["m-1", "m-2"] {
                #expect(try await connection.call("DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=2 ref=\(ref)")[0].hasPrefix("OK seq="))
            }
            #expect(try await connection.call("SETTLE M-DEMO points=1 ref=x")[0].hasPrefix("ERR FORBIDDEN"))
            #expect(try await connection.call("BOGUS-\(UUID().uuidString)")[0].hasPrefix("ERR UNKNOWN_COMMAND"))
            #expect(try await connection.call("PING") == ["OK pong"])
        }
        let response = try Self.http("GET", "/metrics", port: metricsPort)
        let head = response.components(separatedBy: "\r\n\r\n")[0]
        #expect(head.hasPrefix("HTTP/1.1 200 OK") && head.contains("Content-Type: text/plain; version=0.0.4"), "\(head)")
        let samples = try Self.parsed(response.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n"))
        #expect(samples["ecoledger_requests_total{code=\"OK\",command=\"DROPOFF\"}"] == 2, "\(samples.keys.sorted())")
        #expect(samples["ecoledger_request_errors_total{code=\"FORBIDDEN\",command=\"SETTLE\"}"] == 1)
        #expect(samples["ecoledger_requests_total{code=\"UNKNOWN_COMMAND\",command=\"-\"}"] == 1, "an unknown verb makes no series of its own")
        #expect(!samples.keys.contains { $0.contains("BOGUS") })
        #expect(samples["ecoledger_requests_total{code=\"OK\",command=\"PING\"}"] == 1)
        #expect(samples["ecoledger_request_duration_seconds_count{command=\"DROPOFF\"}"] == 2)
        #expect(samples["ecoledger_write_batch_size_count{}"].map { $0 >= 1 } == true)
        #expect(samples["ecoledger_commit_duration_seconds_count{}"].map { $0 >= 1 } == true)
        #expect(samples["ecoledger_connections_total{}"].map { $0 >= 1 } == true)
        #expect(samples["ecoledger_journal_entries{}"].map { $0 >= 2 } == true)
        #expect(samples["ecoledger_checkpoint_age_seconds{}"].map { $0 >= 0 && $0 < 60 } == true)
        #expect(try Self.http("GET", "/other", port: metricsPort).hasPrefix("HTTP/1.1 404"))
        // Connections that never send a request hold at most 8 slots; a ninth is closed at once.
        // The server accepts in order, so a ninth connection opened after eight fresh ones finds
        // them counted (polled, with a deadline, in case a loaded machine let some time out).
        #expect(try Self.poll {
            let held = try (0..<8).map { _ in try RawClient(port: metricsPort) }
            defer { withExtendedLifetime(held) {} }
            return try Self.http("GET", "/metrics", port: metricsPort).isEmpty
        }, "closed without a reply while 8 are held")
        #expect(try Self.poll { try Self.http("GET", "/metrics", port: metricsPort).hasPrefix("HTTP/1.1 200") }, "served again once they are gone")
        #expect(try Self.http("POST", "/metrics", port: metricsPort).hasPrefix("HTTP/1.1 405"))
    }
}

