import Foundation
import LedgerCore
import LedgerStore
import LedgerWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real full disk: the ledger on a 4 MiB tmpfs, filled up behind the server's back.
/// Needs root (mount); skipped where mounting is not allowed.
@Suite("Storage faults", .serialized)
struct StorageFaultTests {
    static let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-tinyfs-\(getpid())")

    static var canMount: Bool {
        guard getuid() == 0 else { return false }
        try? FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mounted = run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.path])
        if mounted { _ = run("/bin/umount", [mountPoint.path]) }
        return mounted
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test("a full disk: writes get ERR UNAVAILABLE, reads keep working, nothing partial is kept, and writes resume once space returns",
          .enabled(if: canMount))
    func fullDisk() async throws {
        #expect(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", Self.mountPoint.path]))
        defer { Self.run("/bin/umount", [Self.mountPoint.path]) }
        let server = try await TestServer.start(in: Self.mountPoint.appendingPathComponent("ledger"))
        // Leave only a little room: a filler file takes the rest.
        let filler = Self.mountPoint.appendingPathComponent("filler")
        let free = try FileManager.default.attributesOfFileSystem(forPath: Self.mountPoint.path)[.systemFreeSize] as! Int
        try Data(count: max(0, free - 96 * 1024)).write(to: filler)

        var acknowledged: [String] = []
        var refused = 0
        try await server.session(as: .admin) { connection async throws in
            for n in 0..<3000 where refused < 20 {
                let reply = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=full-\(n) ")[0]
                if reply.hasPrefix("OK seq=") {
                    acknowledged.append("full-\(n)")
                } else {
                    #expect(reply.hasPrefix("ERR UNAVAILABLE the disk is full"), "\(reply)")
                    refused += 1
                }
            }
            #expect(refused > 0, "the disk never filled up")
            // Reads still work while the disk is full.
            #expect(try await connection.call("BALANCE R-1")[0] == "OK account=R-1 balance=\(Points(centipoints: Int64(acknowledged.count) * 1800))")
            #expect(try await connection.call("HEAD")[0].hasPrefix("OK seq="))
            // Space comes back: writes work again, without a restart.
            try FileManager.default.removeItem(at: filler)
            let reply = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=after-space")[0]
            #expect(reply.hasPrefix("OK seq=\(12 + acknowledged.count + 1) "), "\(reply)")
            #expect(try await connection.call("AUDIT")[0].hasPrefix("OK entries=\(12 + acknowledged.count + 1) "))
        }
        for ref in acknowledged { #expect(try server.store.entry(ref: ClientRef(ref)) != nil) }
        try await server.stop()
    }
}
