import LedgerCLI
import Foundation

/// An `ecoledgerd` started by the load generator (the binary beside this one), so the run can
/// report the server's peak memory.
final class ServerUnderTest {
    let process = Process()
    let port: Int

    init(db: String, adminTokenFile: String?) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("ecoledgerd")
        process.executableURL = binary
        process.arguments = ["--db", db, "--port", "0", "--max-connections", "4096"]
            + (adminTokenFile.map { ["--admin-token-file", $0] } ?? [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        var port: Int?
        while port == nil {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            text += String(decoding: data, as: UTF8.self)
            port = text.split(separator: "\n").first { $0.hasPrefix("listening on ") }.flatMap { Int($0.split(separator: ":").last!) }
        }
        guard let port else { throw CLIFailure.message("ecoledgerd did not start: \(text)") }
        self.port = port
    }

    /// VmHWM from /proc: the most resident memory the server has used.
    func peakRSSKilobytes() -> Int? { status("VmHWM:") }

    /// VmRSS from /proc: the server's resident memory now.
    func currentRSSKilobytes() -> Int? { status("VmRSS:") }

    private func status(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
