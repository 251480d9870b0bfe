/// A libcrypto call failed; carries the OpenSSL error string so the cause is never hidden.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let detail: String
    public var description: String { "\(operation) failed: \(detail)" }
}
