import Foundation

/// A real PostgreSQL server for one test: `initdb` in a scratch folder owned by the `postgres`
/// user (PostgreSQL refuses to run as root), started on a free loopback port with a password for
/// TCP connections (SCRAM), and stopped and removed by `stop()`, which the test calls in `defer`.
public final class PostgresCluster: @unchecked Sendable {
    public let directory: String
    public let port: Int
    /// The superuser's password, also in `passwordFile` (mode 600).
    public let password: String
    public var passwordFile: String { directory + "/superuser.password" }
    private static let bin: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).max().map { "\(root)/\($0)/bin" }
    }()

    /// Whether PostgreSQL is installed here (`make test-deps` installs it).
    public static var isInstalled: Bool { bin != nil }

    public init(settings: [String] = []) throws {
        guard let bin = Self.bin else { throw TestFailure("PostgreSQL is not installed (make test-deps installs it)") }
        directory = try Self.run("/bin/mktemp", ["-d", "/tmp/ecoledger-pg.XXXXXX"]).trimmingCharacters(in: .whitespacesAndNewlines)
        port = try Self.freePort()
        password = "test-\(UInt64.random(in: 0...UInt64.max))"
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile)
        try Self.run("/bin/chown", ["-R", "postgres", directory])
        try Self.asPostgres("\(bin)/initdb", ["-D", directory + "/data", "-U", "postgres", "--pwfile=\(passwordFile)", "--auth-local=trust",
                                             "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"])
        let options = (["-p \(port)", "-k \(directory)", "-c listen_addresses=127.0.0.1", "-c fsync=on"] + settings.map { "-c \($0)" })
            .joined(separator: " ")
        try Self.asPostgres("\(bin)/pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "-o", options, "start"])
    }

    /// A streaming-replication standby of `primary`: a base backup (`pg_basebackup -R`) in a
    /// folder of its own, started on a port of its own. It counts as synchronous when the
    /// primary was started with `synchronous_standby_names='*'`.
    public init(standbyOf primary: PostgresCluster) throws {
        guard let bin = Self.bin else { throw TestFailure("PostgreSQL is not installed (make test-deps installs it)") }
        directory = try Self.run("/bin/mktemp", ["-d", "/tmp/ecoledger-pg.XXXXXX"]).trimmingCharacters(in: .whitespacesAndNewlines)
        port = try Self.freePort()
        password = primary.password
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile)
        try Self.run("/bin/chown", ["-R", "postgres", directory])
        try Self.asPostgres("/usr/bin/env", ["PGPASSWORD=\(password)", "\(bin)/pg_basebackup", "-h", "127.0.0.1", "-p", "\(primary.port)",
                                            "-U", "postgres", "-D", directory + "/data", "-R", "-X", "stream", "-c", "fast"])
        let options = ["-p \(port)", "-k \(directory)", "-c listen_addresses=127.0.0.1", "-c fsync=on"].joined(separator: " ")
        try Self.asPostgres("\(bin)/pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "-o", options, "start"])
    }

    /// Makes this standby the primary (`pg_ctl promote`, what Patroni or pg_auto_failover do).
    public func promote() throws {
        guard let bin = Self.bin else { return }
        try Self.asPostgres("\(bin)/pg_ctl", ["-D", directory + "/data", "-w", "promote"])
    }

    /// Kills the server's postmaster with SIGKILL, as a machine that dies would stop it.
    public func kill9() throws {
        let pidFile = try String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8)
        guard let pid = pid_t(pidFile.split(separator: "\n").first ?? "") else { throw TestFailure("no postmaster pid") }
        kill(pid, SIGKILL)
    }

    /// The URL of database `name` for `user` (the password comes from `passfile`).
    public func url(database: String = "postgres", user: String = "postgres", passfile: String? = nil) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)?passfile=\(passfile ?? passwordFile)"
    }

    /// Runs SQL as the superuser through psql on the local socket; returns what it printed.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Self.run("/usr/bin/psql", ["-h", directory, "-p", "\(port)", "-U", "postgres", "-d", database, "-X", "-q", "-t", "-A",
                                       "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Stops the server at once and removes its folder.
    public func stop() {
        if let bin = Self.bin {
            _ = try? Self.asPostgres("\(bin)/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    static func asPostgres(_ tool: String, _ arguments: [String]) throws -> String {
        try run("/usr/sbin/runuser", ["-u", "postgres", "--", tool] + arguments)
    }

    /// Runs `tool` and returns what it printed. Not Foundation's `Process`: pg_ctl leaves the
    /// server running with every descriptor it inherited, and `Process` learns of its child's
    /// exit through one of them, so it would wait as long as the server runs. Here the child
    /// gets only its standard descriptors (files), and `waitpid` says when it ends.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-run-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { throw TestFailure("glibc lacks closefrom for spawn") }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tool, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestFailure("cannot run \(tool): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let printed = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let complaint = FileManager.default.contents(atPath: base + ".err") ?? Data()
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw TestFailure("\(tool) \(arguments.joined(separator: " ")) failed: \(String(decoding: complaint, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }

    /// A loopback port nobody listens on now.
    public static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
