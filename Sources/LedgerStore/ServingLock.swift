import Foundation
import LedgerPersistence
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The claim one server process holds on the ledger it serves, so that a second server on the
/// same file is refused before it writes anything.
///
/// Two servers on one file would each keep their own tokens, throttle, checkpointer and sweep (a
/// token revoked through one would still log in on the other); through a hard link, SQLite
/// would even keep two write-ahead logs, and acknowledged entries would be lost. So the claim
/// is on the file, not on a name: an exclusive `flock` on the ledger file itself (whatever path
/// reaches it: a symlink, a hard link, `..`), and, for a ledger not created yet, on
/// `REALPATH.lock` beside it, which also holds the holder's pid and start time for the refusal's
/// message. The kernel drops both locks when the process ends, however it ends (SIGKILL
/// included), so a stale file never blocks a start. `flock` locks are independent of SQLite's
/// own POSIX locks on the ledger file.
public final class ServingLock: Sendable {
    public let path: String
    private let descriptor: Int32
    private let ledgerDescriptor: Mutex<Int32?>

    /// Why the ledger cannot be served here.
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    private init(path: String, descriptor: Int32, ledgerDescriptor: Int32?) {
        self.path = path
        self.descriptor = descriptor
        self.ledgerDescriptor = Mutex(ledgerDescriptor)
    }

    deinit {
        close(descriptor)
        if let ledger = ledgerDescriptor.withLock({ $0 }) { close(ledger) }
    }

    /// Claims `ledger` for this process, or throws `Refused`, naming the process that holds it.
    public static func acquire(ledger: String, now: Date = Date()) throws -> ServingLock {
        let resolved = resolve(ledger)
        let path = resolved + ".lock"
        var info = stat()
        if lstat(path, &info) == 0 {
            if info.st_mode & S_IFMT != S_IFLNK, info.st_mode & S_IFMT != S_IFREG || info.st_nlink > 1 {
                throw Refused(description: "\(path) is not a plain file of its own (a link to another file, a FIFO…); refusing to use it as the ledger's lock "
                              + "(remove it; ecoledgerd makes its own)")
            }
            if info.st_mode & S_IFMT == S_IFLNK {
                throw Refused(description: "\(path) is a symlink; refusing to use it as the ledger's lock (remove it; ecoledgerd makes its own)")
            }
            if info.st_uid != geteuid() || info.st_mode & 0o022 != 0 {
                throw Refused(description: "\(path) is not this user's own, or others may write it; refusing to use it as the ledger's lock "
                              + "(remove it; ecoledgerd makes its own, owner-only)")
            }
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw Refused(description: "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let why = errno
            let holder = contents(descriptor)
            close(descriptor)
            guard why == EWOULDBLOCK else { throw Refused(description: "cannot lock \(path): \(String(cString: strerror(why)))") }
            throw refusal(ledger, holder: holder.isEmpty ? "another process" : holder)
        }
        let lock = ServingLock(path: path, descriptor: descriptor, ledgerDescriptor: nil)
        try lock.lockLedgerFile(ledger)
        let stamp = ISO8601DateFormatter().string(from: now)
        let text = "ecoledgerd pid \(getpid()) since \(stamp)\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return lock
    }

    /// Locks the ledger file itself once it exists (at once for an existing ledger; after
    /// creating a new one): any other name for the same file then finds it taken.
    public func lockLedgerFile(_ ledger: String) throws {
        guard ledgerDescriptor.withLock({ $0 }) == nil, FileManager.default.fileExists(atPath: ledger) else { return }
        let file = open(ledger, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { throw Refused(description: "cannot open \(ledger): \(String(cString: strerror(errno)))") }
        guard flock(file, LOCK_EX | LOCK_NB) == 0 else {
            let why = errno
            var info = stat()
            let holder = fstat(file, &info) == 0 ? Self.flockHolder(inode: UInt64(info.st_ino)) : nil
            close(file)
            guard why == EWOULDBLOCK else { throw Refused(description: "cannot lock \(ledger): \(String(cString: strerror(why)))") }
            throw Self.refusal(ledger, holder: holder.map { "process \($0) (through another name for the same file: a link?)" }
                               ?? "another process (through another name for the same file: a link?)")
        }
        ledgerDescriptor.withLock { $0 = file }
    }

    static func refusal(_ ledger: String, holder: String) -> Refused {
        Refused(description: "\(ledger) is already being served by \(holder); stop that server first, or serve another ledger "
                + "(two servers on one ledger would each keep their own tokens, sessions and checkpoints)")
    }

    /// The ledger's real path: symlinks and `..` resolved (of its folder, when it does not exist yet).
    static func resolve(_ ledger: String) -> String {
        if let real = realpath(ledger, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let (folder, name) = split(ledger)
        guard let real = realpath(folder, nil) else { return ledger }
        defer { free(real) }
        return String(cString: real) + "/" + name
    }

    /// A path's folder (`.` when it names none) and last component.
    public static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    /// The pid holding a `flock` on the file with `inode`, from /proc/locks.
    ///
    /// The kernel builds that file as it is read, one `read` at a time: read in pieces while other
    /// processes take and drop locks, a line can be skipped. So it is read in one `read` into a
    /// buffer larger than the file (and tried again, 50 ms apart, when the lock is not listed:
    /// with both cores busy the lock was seen missing from the listing, cause not found).
    static func flockHolder(inode: UInt64) -> Int32? {
        for _ in 0..<3 {
            let descriptor = open("/proc/locks", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 1 << 22)
            let count = read(descriptor, &buffer, buffer.count)
            close(descriptor)
            guard count > 0 else { return nil }
            for line in buffer[..<count].split(separator: UInt8(ascii: "\n")) {
                let fields = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
                guard fields.count >= 6, fields[1] == "FLOCK", let id = fields[5].split(separator: ":").last, UInt64(id) == inode else { continue }
                return Int32(fields[4])
            }
            usleep(50_000)
        }
        return nil
    }

    /// What the holder wrote, on one line (empty when unreadable).
    private static func contents(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return "" }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return String(text.prefix { $0 != "\n" && $0 != "\r" }.filter { !$0.isASCII || $0 >= " " }.prefix(120))
    }
}
