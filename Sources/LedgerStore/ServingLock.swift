import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The claim one server process holds on the ledger it serves, so that a second server on the
/// same file is refused before it writes anything.
///
/// Two servers on one file would each keep their own tokens, throttle, checkpointer and sweep
/// (a token revoked through one would still log in on the other). The claim is an exclusive
/// `flock` on `LEDGER.lock` (owner-only), which holds the holder's pid and start time for the
/// refusal's message. The kernel drops the lock when the process ends however it ends
/// (SIGKILL included), so a stale file never blocks a start; the lock is independent of
/// SQLite's own POSIX locks on the ledger file.
public final class ServingLock: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Why the ledger cannot be served here.
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Claims `ledger` for this process, or throws `Refused`, naming the process that holds it.
    public static func acquire(ledger: String, now: Date = Date()) throws -> ServingLock {
        let path = ledger + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw Refused(description: "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let why = errno
            let holder = contents(descriptor)
            close(descriptor)
            guard why == EWOULDBLOCK else {
                throw Refused(description: "cannot lock \(path): \(String(cString: strerror(why)))")
            }
            let who = holder.isEmpty ? "another process" : holder
            throw Refused(description: "\(ledger) is already being served by \(who); stop that server first, or serve another ledger "
                          + "(two servers on one ledger would each keep their own tokens, sessions and checkpoints)")
        }
        let stamp = ISO8601DateFormatter().string(from: now)
        let text = "ecoledgerd pid \(getpid()) since \(stamp)\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return ServingLock(path: path, descriptor: descriptor)
    }

    /// What the holder wrote, on one line (empty when unreadable).
    private static func contents(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return "" }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return String(text.prefix { $0 != "\n" && $0 != "\r" }.filter { !$0.isASCII || $0 >= " " })
    }
}
