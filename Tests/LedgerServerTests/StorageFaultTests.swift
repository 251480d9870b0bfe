import Foundation
import LedgerPersistence
import LedgerCore
import LedgerProtocol
import LedgerStore
import LedgerWire
import LedgerTestSupport
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
        try await TestServer.with(in: Self.mountPoint.appendingPathComponent("ledger")) { server in
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
                #expect(Reply.field("balance", in: try await connection.call("BALANCE R-1")[0]) == "\(Points(centipoints: Int64(acknowledged.count) * 1800))")
                #expect(try await connection.call("HEAD")[0].hasPrefix("OK seq="))
                // Space comes back: writes work again, without a restart.
                try FileManager.default.removeItem(at: filler)
                let reply = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=after-space")[0]
                #expect(reply.hasPrefix("OK seq=\(12 + acknowledged.count + 1) "), "\(reply)")
                #expect(try await connection.call("AUDIT")[0].hasPrefix("OK entries=\(12 + acknowledged.count + 1) "))
            }
            for ref in acknowledged { #expect(try server.store.entry(ref: ClientRef(ref)) != nil) }
        }
    }
}

/// I/O errors: the real server with an LD_PRELOAD shim that makes every `pwrite` fail with EIO
/// while a flag file exists (SQLite writes the WAL with `pwrite`; reads use `pread`).
@Suite("I/O errors", .serialized)
struct IOErrorTests {
    static let shimSource = """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <errno.h>
        #include <stdlib.h>
        #include <unistd.h>
        static int failing(void) { const char *flag = getenv("ECOLEDGER_EIO_FLAG"); return flag && access(flag, F_OK) == 0; }
        ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
            static ssize_t (*real)(int, const void *, size_t, off_t);
            if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
            if (failing()) { errno = EIO; return -1; }
            return real(fd, buf, count, offset);
        }
        ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) { return pwrite64(fd, buf, count, offset); }
        """

    static var compiler: String? {
        ["/usr/bin/cc", "/usr/bin/gcc"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test("an I/O error on write: ERR UNAVAILABLE, reads keep working, writes resume when the device recovers",
          .enabled(if: compiler != nil))
    func ioError() async throws {
        let scratch = try Scratch()
        let directory = scratch.url
        let source = directory.appendingPathComponent("eio.c"), library = directory.appendingPathComponent("libeio.so")
        try Self.shimSource.write(to: source, atomically: true, encoding: .utf8)
        #expect(StorageFaultTests.run(Self.compiler!, ["-shared", "-fPIC", "-o", library.path, source.path, "-ldl"]))
        let flag = directory.appendingPathComponent("fail-writes")
        let db = directory.appendingPathComponent("ledger.sqlite").path
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"],
                                       environment: ["LD_PRELOAD": library.path, "ECOLEDGER_EIO_FLAG": flag.path])
        let token = try DaemonProcess.demoToken("operator", db: db)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            _ = try await connection.call("AUTH \(token)")
            #expect(try await connection.call("DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=1 ref=before")[0].hasPrefix("OK seq=15 "))
            #expect(FileManager.default.createFile(atPath: flag.path, contents: nil))
            for n in 0..<3 {
                let reply = try await connection.call("DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=1 ref=during-\(n)")[0]
                #expect(reply.hasPrefix("ERR UNAVAILABLE I/O error"), "\(reply)")
            }
            #expect(Reply.field("balance", in: try await connection.call("BALANCE R-DEMO-1")[0]) == "18.00", "reads keep working")
            try FileManager.default.removeItem(at: flag)
            #expect(try await connection.call("DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=1 ref=during-0")[0].hasPrefix("OK seq=16 "),
                    "the refused write was not kept: retried with its ref, it is applied now")
        }
        #expect(daemon.terminate() == 0)
        let store = try LedgerStore.open(at: db, readOnly: true)
        guard case .success(let report) = try store.verify() else { Issue.record("must verify"); return }
        #expect(report.entries == 16)
        try store.close()
    }
}
