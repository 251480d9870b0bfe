/// A file beside the ledger (a key, a token, a queue) that could not be made or read: the path
/// and why, in one line.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
