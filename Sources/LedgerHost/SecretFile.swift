import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files that hold secrets, or the ledger itself: created owner-only (0600) from the first
/// byte, never widened afterwards, never overwritten.
public enum SecretFile {
    /// Creates `path` with mode 0600 and writes `contents`; fails if anything is already there.
    public static func create(_ path: String, contents: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var offset = 0
        while offset < contents.count {
            let written = contents[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
    }

    /// Writes `contents` into `path`, an existing file this process made with `create` (its mode
    /// stays 0600; a symlink put in its place is refused).
    public static func fill(_ path: String, contents: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var offset = 0
        while offset < contents.count {
            let written = contents[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
    }

    /// The permission bits of `path`, or nil when it does not exist.
    public static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    /// Whether group or others may read or write `path`.
    public static func isExposed(_ path: String) -> Bool {
        guard let mode = mode(path) else { return false }
        return mode & 0o077 != 0
    }
}
