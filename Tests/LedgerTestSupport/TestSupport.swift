import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB

// Helpers shared by the test targets (never by the product): a seeded random generator so every
// randomised run replays, temporary folders, and the real ecoledgerd as a separate process.

/// SplitMix64: a tiny deterministic generator, so a failing run replays from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A test precondition that did not hold, as an error with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A temporary folder removed at the end of the test.
public final class Scratch {
    public let url = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-test-\(UUID().uuidString)")
    public init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// The `ecoledgerd` binary built beside the test bundle, run as a separate process (killed
/// when this value goes away, if the test has not stopped it).
public final class DaemonProcess {
    public static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ecoledgerd")

    public let process = Process()
    public let port: Int
    private let output: Pipe

    /// Where stderr goes with `captureStderr`: a file, not a pipe, so a server that logs a lot
    /// while nobody reads (a failover's retries) never blocks on a full pipe.
    private let errors: URL?

    public init(arguments: [String], captureStderr: Bool = false, environment: [String: String] = [:]) throws {
        process.executableURL = Self.binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        output = Pipe()
        if captureStderr {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledgerd-stderr-\(UUID().uuidString)")
            guard FileManager.default.createFile(atPath: file.path, contents: nil) else { throw TestFailure("cannot create \(file.path)") }
            errors = file
            process.standardError = try FileHandle(forWritingTo: file)
        } else {
            errors = nil
            process.standardError = FileHandle.nullDevice
        }
        process.standardOutput = output
        try process.run()
        var port: Int?
        var text = ""
        let handle = output.fileHandleForReading
        while port == nil {
            let data = handle.availableData
            guard !data.isEmpty else { break }
            text += String(decoding: data, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
               let colon = line.lastIndex(of: ":") {
                port = Int(line[line.index(after: colon)...])
            }
        }
        guard let port else { throw TestFailure("ecoledgerd did not print 'listening on': \(text)") }
        self.port = port
        printed = text
    }

    /// A test that fails before it stops its server still leaves no process behind.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let errors { try? FileManager.default.removeItem(at: errors) }
    }

    /// Everything it printed to stdout before listening.
    public let printed: String

    /// VmHWM from /proc: the most memory the server has had resident.
    public func peakRSSKilobytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    /// What it has written to stderr so far (only with `captureStderr`).
    public func standardError() -> String {
        guard let errors, let data = FileManager.default.contents(atPath: errors.path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    @discardableResult
    public func terminate() -> Int32 {
        process.terminate() // SIGTERM
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The token of `role` from the file `--demo` writes beside the ledger at `db`.
    public static func demoToken(_ role: String, db: String) throws -> String {
        let tokens = try String(contentsOfFile: db + ".demo-tokens", encoding: .utf8)
        guard let line = tokens.split(separator: "\n").first(where: { $0.hasPrefix("\(role)=") }) else {
            throw TestFailure("no \(role)= line in \(db).demo-tokens")
        }
        return String(line.dropFirst(role.count + 1))
    }
}

/// Edits a ledger file directly with SQL, as its owner could with the sqlite3 shell.
public enum Tamper {
    public static func sql(_ path: String, _ statements: String) throws {
        try DatabaseQueue(path: path).writeWithoutTransaction { db in try db.execute(sql: statements) }
    }
}
