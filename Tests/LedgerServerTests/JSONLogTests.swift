import Foundation
import LedgerServer
import Logging
import Synchronization
import Testing

@Suite("JSON log lines")
struct JSONLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    @Test("each event is one line of one JSON object: time, level, label, message, error and metadata, however odd the text")
    func oneObjectPerLine() throws {
        let collected = Lines()
        var handler = JSONLogHandler(label: "ecoledgerd", output: .init { line in collected.lines.withLock { $0.append(line) } })
        handler.metadata = ["peer": "127.0.0.1:5000", "shared": "handler"]
        handler.logLevel = .info
        let logger = Logger(label: "ecoledgerd", factory: { _ in handler })
        logger.debug("not logged below info")
        logger.info("quote \" backslash \\ newline \n tab \t bell \u{07} line separator \u{2028} done",
                    metadata: ["shared": "call", "nested": ["list": ["a", "b"], "n": "\(42)"]])
        logger.error("failed", error: CocoaError(.fileNoSuchFile))
        let lines = collected.all
        #expect(lines.count == 2)
        for line in lines {
            #expect(line.hasSuffix("}\n") && line.dropLast().firstIndex(of: "\n") == nil, "one line: \(line)")
        }
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "info" && first["label"] as? String == "ecoledgerd")
        #expect(first["message"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} line separator \u{2028} done")
        let time = try #require(first["time"] as? String)
        #expect(time.count == 24 && time.hasSuffix("Z") && time.dropFirst(10).hasPrefix("T"), "\(time)")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["peer"] as? String == "127.0.0.1:5000" && metadata["shared"] as? String == "call", "the call's metadata wins")
        let nested = try #require(metadata["nested"] as? [String: Any])
        #expect(nested["list"] as? [String] == ["a", "b"] && nested["n"] as? String == "42")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["level"] as? String == "error" && (second["error"] as? String)?.isEmpty == false)
    }
}
