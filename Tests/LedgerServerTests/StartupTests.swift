import Foundation
import LedgerPersistence
import LedgerStore
import LedgerTestSupport
import LedgerWire
import Testing

/// What ecoledgerd checks before it writes anything, and a ledger served by one process only.
@Suite("Start-up checks", .serialized)
struct StartupTests {
    /// The files a failed start must not leave behind (the lock file aside, which holds nothing).
    static func leftovers(_ scratch: Scratch, _ db: String) -> [String] {
        [db, db + "-wal", db + ".log-key", db + ".pin-key", db + ".demo-tokens"].filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test("a second ecoledgerd on a ledger being served is refused before it writes anything, naming the other process")
    func secondServerRefused() async throws {
        let scratch = try Scratch()
        let db = scratch.path("one.sqlite")
        let first = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        let head = try await LedgerConnection.withConnection(host: "127.0.0.1", port: first.port) { try await $0.call("HEAD")[0] }
        let refusal = try DaemonTests.refusedStart(["--db", db, "--port", "0"])
        #expect(refusal.contains("\(db) is already being served by ecoledgerd pid \(first.process.processIdentifier)"), "\(refusal)")
        #expect(refusal.contains("stop that server first"), "\(refusal)")
        // The first one serves on, unchanged.
        #expect(try await LedgerConnection.withConnection(host: "127.0.0.1", port: first.port) { try await $0.call("HEAD")[0] } == head)
        // Another name for the same file is the same ledger: a symlink, a hard link, a path with `..`.
        let symlink = scratch.path("sym.sqlite"), hardLink = scratch.path("hard.sqlite")
        try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: db)
        #expect(link(db, hardLink) == 0)
        for other in [symlink, hardLink, scratch.path("../\(scratch.url.lastPathComponent)/one.sqlite")] {
            let refused = try DaemonTests.refusedStart(["--db", other, "--port", "0", "--key", db + ".log-key", "--pin-key", db + ".pin-key"])
            #expect(refused.contains("\(other) is already being served by "), "\(other): \(refused)")
            // Through a hard link the holder is named from /proc/locks, which with both cores busy
            // was seen (twice in six full runs) not to list the lock: then "another process".
            #expect(refused.contains("\(first.process.processIdentifier)") || (other == hardLink && refused.contains("by another process")),
                    "\(other): \(refused)")
        }
        #expect(!FileManager.default.fileExists(atPath: hardLink + "-wal"), "the hard link was never opened as a ledger")
        // A lock file planted by someone else (writable by others), or a symlink in its place, is refused.
        let planted = scratch.path("planted.sqlite")
        #expect(FileManager.default.createFile(atPath: planted + ".lock", contents: Data("ecoledgerd pid 1 since then; run rm -rf".utf8)))
        chmod(planted + ".lock", 0o666)
        #expect(try DaemonTests.refusedStart(["--db", planted, "--port", "0"]).contains("or others may write it; refusing to use it as the ledger's lock"))
        try FileManager.default.removeItem(atPath: planted + ".lock")
        try FileManager.default.createSymbolicLink(atPath: planted + ".lock", withDestinationPath: scratch.path("elsewhere"))
        #expect(try DaemonTests.refusedStart(["--db", planted, "--port", "0"]).contains("is a symlink; refusing to use it as the ledger's lock"))
        #expect(!FileManager.default.fileExists(atPath: planted), "nothing was written")
        // A lock file that is a hard link to another file would be overwritten: refused.
        try FileManager.default.removeItem(atPath: planted + ".lock")
        let victim = scratch.path("victim")
        #expect(FileManager.default.createFile(atPath: victim, contents: Data("precious".utf8)))
        chmod(victim, 0o600)
        #expect(link(victim, planted + ".lock") == 0)
        #expect(try DaemonTests.refusedStart(["--db", planted, "--port", "0"]).contains("is not a plain file of its own"))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        // Once it is gone (even killed), the ledger may be served again.
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let second = try DaemonProcess(arguments: ["--db", db, "--port", "0"])
        #expect(second.terminate() == 0)
    }

    @Test("a port in use is reported with its address before a ledger, a key or an origin is written")
    func portInUse() throws {
        let scratch = try Scratch()
        let holder = try DaemonProcess(arguments: ["--db", scratch.path("holder.sqlite"), "--port", "0"])
        defer { holder.terminate() }
        let db = scratch.path("new.sqlite")
        let refusal = try DaemonTests.refusedStart(["--db", db, "--port", String(holder.port), "--origin", "wrong.example/log"])
        #expect(refusal.contains("cannot listen on 127.0.0.1:\(holder.port): Address already in use"), "\(refusal)")
        #expect(!refusal.contains("errno") && !refusal.contains("descriptor"), "no raw NIO error: \(refusal)")
        #expect(Self.leftovers(scratch, db) == [], "a failed start left files behind")
        // The next start, with the intended origin, is not refused for an origin it never had.
        let started = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--origin", "right.example/log"])
        #expect(started.terminate() == 0)
    }

    @Test("a weak admin token, an exposed TLS key or a missing certificate leave no ledger or key behind")
    func nothingWrittenOnBadFiles() throws {
        let scratch = try Scratch()
        let db = scratch.path("x.sqlite")
        let weak = scratch.path("admin.token")
        try DaemonTests.writeSecret("0f1e2d3c4b5a69788796a5b4c3d2e1f", to: weak)
        #expect(try DaemonTests.refusedStart(["--db", db, "--port", "0", "--admin-token-file", weak]).contains("at least 128 are needed"))
        #expect(Self.leftovers(scratch, db) == [])
        let key = scratch.path("tls.key"), cert = scratch.path("tls.crt")
        try DaemonTests.writeSecret("not a key", to: key, mode: 0o644)
        #expect(try DaemonTests.refusedStart(["--db", db, "--port", "0", "--tls-cert", cert, "--tls-key", key]).contains("chmod 600 \(key)"))
        #expect(Self.leftovers(scratch, db) == [])
        try DaemonTests.writeSecret("not a key", to: key)
        let missing = try DaemonTests.refusedStart(["--db", db, "--port", "0", "--tls-cert", cert, "--tls-key", key])
        #expect(missing.contains("cannot read --tls-cert \(cert): No such file or directory"), "\(missing)")
        #expect(Self.leftovers(scratch, db) == [])
        // The metrics on the server's own port, key files exposed, not keys, or in missing folders, an unknown host.
        let port = try Self.freePort()
        let same = try DaemonTests.refusedStart(["--db", db, "--port", String(port), "--metrics", "127.0.0.1:\(port)", "--demo"])
        #expect(same.contains("cannot listen on 127.0.0.1:\(port): Address already in use") && same.contains("--metrics"), "\(same)")
        let exposedKey = scratch.path("exposed.key")
        try DaemonTests.writeSecret(String(repeating: "ab", count: 32), to: exposedKey, mode: 0o644)
        #expect(try DaemonTests.refusedStart(["--db", db, "--port", "0", "--pin-key", exposedKey]).contains("chmod 600 \(exposedKey)"))
        #expect(try DaemonTests.refusedStart(["--db", db, "--port", "0", "--key", exposedKey]).contains("chmod 600 \(exposedKey)"))
        try DaemonTests.writeSecret("not a key", to: exposedKey)
        #expect(try DaemonTests.refusedStart(["--db", db, "--port", "0", "--pin-key", exposedKey]).contains("does not hold a PIN key"))
        #expect(try DaemonTests.refusedStart(["--db", db, "--port", "0", "--key", exposedKey]).contains("not a key file"))
        for option in ["--key", "--pin-key", "--admin-token-file"] {
            let refused = try DaemonTests.refusedStart(["--db", db, "--port", "0", option, scratch.path("nodir/file")])
            #expect(refused.contains("\(option) \(scratch.path("nodir/file")) cannot be created: No such file or directory"), "\(refused)")
        }
        let host = try DaemonTests.refusedStart(["--db", db, "--host", "no-such-host.invalid", "--port", "0"])
        #expect(host.contains("is not an address or a name this machine resolves") && !host.contains("SocketAddressError"), "\(host)")
        #expect(Self.leftovers(scratch, db) == [], "no refused start left a ledger or a key")
    }

    /// A port nobody listens on right now.
    static func freePort() throws -> Int {
        let (descriptor, port) = try Self.listener()
        close(descriptor)
        return port
    }

    static func listener() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("a failed AUTH is logged with the peer's address")
    func failedAuthNamesThePeer() async throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(arguments: ["--db", scratch.path("l.sqlite"), "--port", "0", "--log-format", "json"], captureStderr: true)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            #expect(try await connection.call("AUTH not-a-token")[0].hasPrefix("ERR NOT_AUTHENTICATED"))
        }
        #expect(daemon.terminate() == 0)
        let line = try #require(daemon.standardError().split(separator: "\n").first { $0.contains("\"AUTH failed\"") })
        #expect(line.contains("\"peer\":\"127.0.0.1\""), "\(line)")
    }
}
