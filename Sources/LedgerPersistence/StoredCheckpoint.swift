import LedgerCrypto

/// A checkpoint the log signed, as stored: its size, root and signed note (the log's signature
/// only; cosignatures are kept beside it).
public struct StoredCheckpoint: Sendable, Equatable {
    public let size: Int64
    public let root: Hash256
    public let note: String
    public let timeMs: Int64
    /// Witnesses' cosignature lines, in witness-name order.
    public var cosignatures: [String]

    /// The note as served: the log's signature, then every cosignature.
    public init(size: Int64, root: Hash256, note: String, timeMs: Int64, cosignatures: [String]) {
        self.size = size
        self.root = root
        self.note = note
        self.timeMs = timeMs
        self.cosignatures = cosignatures
    }

    public var servedNote: String { note + cosignatures.joined() }
}
