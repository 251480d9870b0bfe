import Foundation
import LedgerPersistence
import LedgerHost
import LedgerStore
import LedgerTestSupport
import Testing

/// `ecoledger connect` on a real terminal (a pseudo-terminal driven by Python's pty module):
/// Tab completion of verbs and keys, Up to recall, the history file, and no secret kept in it.
@Suite("The console", .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
struct ConsoleTests {
    static let driver = #"""
        import os, pty, select, sys, time
        binary, port, tokens, history = sys.argv[1:5]
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["TERM"] = "xterm"
            os.execv(binary, [binary, "connect", "--port", port, "--token-file", tokens, "--role", "auditor", "--history", history])
        out = b""
        def read_until(marker, count=1, timeout=15):
            global out
            end = time.time() + timeout
            while out.count(marker) < count and time.time() < end:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if ready:
                    try:
                        out += os.read(fd, 4096)
                    except OSError:
                        break
            return out.count(marker) >= count
        def type(keys):
            os.write(fd, keys)
        ok = read_until(b"ecoledger> ")
        type(b"PIN\t\r"); ok = ok and read_until(b"OK pong")              # Tab completes PING
        type(b"\x1b[A\r"); ok = ok and read_until(b"OK pong", 2)          # Up recalls it
        type(b"bal\tR-DEMO-1\r"); ok = ok and read_until(b"OK account=R-DEMO-1")
        type(b"HISTORY R-DEMO-1 li\t5\r"); ok = ok and read_until(b"OK n=")  # keys complete too
        # Lines with a PIN or a resident's personal data (refused for an auditor, but typed all the same).
        type(b"ACCOUNT OPEN R-SECRET-1 kind=resident name=\"Ana Santos\" district=Payatas pin=4821\r"); ok = ok and read_until(b"ERR FORBIDDEN")
        type(b"ACCOUNT PIN R-DEMO-1 old=1234 pin=7391\r"); ok = ok and read_until(b"ERR FORBIDDEN", 2)
        type(b"REDEEM R-DEMO-1 points=1 merchant=M-DEMO pin=5529 ref=x\r"); ok = ok and read_until(b"ERR FORBIDDEN", 3)
        type(b"AUTH not-a-real-secret\r"); ok = ok and read_until(b"ERR NOT_AUTHENTICATED")
        type(b"QUIT\r"); read_until(b"OK bye")
        os.waitpid(pid, 0)
        sys.stdout.write(out.decode("utf-8", "replace"))
        sys.exit(0 if ok else 1)
        """#

    @Test("Tab completes verbs and keys from HELP, Up recalls, the history is kept owner-only and without secrets")
    func console() throws {
        let scratch = try Scratch()
        let db = scratch.path("c.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        defer { daemon.terminate() }
        let history = scratch.path("history")
        let run = try CLI.run(["-c", Self.driver, CLI.binary.path, String(daemon.port), db + ".demo-tokens", history],
                              executable: URL(fileURLWithPath: "/usr/bin/python3"))
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("PING") && run.stdout.contains("BALANCE R-DEMO-1"), "the completions were echoed: \(run.stdout)")
        let kept = try String(contentsOfFile: history, encoding: .utf8)
        // libedit writes spaces as \040.
        #expect(kept.contains("PING") && kept.contains("BALANCE\\040R-DEMO-1") && kept.contains("HISTORY\\040R-DEMO-1\\040limit=5"), "\(kept)")
        #expect(!kept.contains("AUTH") && !kept.contains("not-a-real-secret"), "\(kept)")
        for secret in ["Ana", "Santos", "Payatas", "4821", "1234", "7391", "5529"] {
            #expect(!kept.contains(secret), "\(secret) was kept in the history: \(kept)")
        }
        #expect(SecretFile.mode(history) == 0o600)
    }
}
