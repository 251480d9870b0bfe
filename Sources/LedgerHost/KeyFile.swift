import Foundation
import LedgerCrypto

/// An Ed25519 key kept in a file: the 32-byte seed in hex, owner-only (0600). The log's signing
/// key (`ecoledgerd --key`) and a witness's key (`ecoledger witness --key`) are such files.
public enum KeyFile {
    /// Writes a new random seed to `path`; fails if anything is already there.
    public static func create(_ path: String) throws -> [UInt8] {
        let seed = try SecureRandom.bytes(Ed25519.seedCount)
        try SecretFile.create(path, contents: Array((Hex.encode(seed) + "\n").utf8))
        return seed
    }

    /// The seed in `path`; refuses a file others may read or change.
    public static func load(_ path: String) throws -> [UInt8] {
        guard SecretFile.mode(path) != nil else { throw FileError(path: path, reason: "no such key file") }
        guard !SecretFile.isExposed(path) else {
            throw FileError(path: path, reason: "the key file is readable or writable by others; run: chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path),
              let seed = Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              seed.count == Ed25519.seedCount else {
            throw FileError(path: path, reason: "not a key file (64 hex digits)")
        }
        return seed
    }

    /// The seed in `path`, creating the file first when it is missing.
    public static func loadOrCreate(_ path: String) throws -> (seed: [UInt8], created: Bool) {
        FileManager.default.fileExists(atPath: path) ? (try load(path), false) : (try create(path), true)
    }
}
