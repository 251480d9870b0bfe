import CLibCrypto

/// Ed25519 (RFC 8032, pure) through OpenSSL's EVP_PKEY_ED25519: the log signs its checkpoints
/// with it, and witnesses their cosignatures.
public enum Ed25519 {
    public static let seedCount = 32
    public static let publicKeyCount = 32
    public static let signatureCount = 64

    /// A private key, from its 32-byte seed (RFC 8032's private key).
    public final class PrivateKey: @unchecked Sendable {
        // EVP_PKEY is reference-counted and immutable once made; signing uses a fresh context.
        private let key: OpaquePointer
        public let publicKey: [UInt8]

        public init(seed: [UInt8]) throws(CryptoError) {
            guard seed.count == Ed25519.seedCount else { throw CryptoError(operation: "Ed25519 key", detail: "a seed is 32 bytes") }
            guard let key = seed.withUnsafeBufferPointer({ EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) }) else {
                throw OpenSSL.error("EVP_PKEY_new_raw_private_key")
            }
            self.key = key
            var length = Ed25519.publicKeyCount
            var bytes = [UInt8](repeating: 0, count: length)
            guard EVP_PKEY_get_raw_public_key(key, &bytes, &length) == 1, length == Ed25519.publicKeyCount else {
                EVP_PKEY_free(key)
                throw OpenSSL.error("EVP_PKEY_get_raw_public_key")
            }
            publicKey = bytes
        }

        deinit { EVP_PKEY_free(key) }

        public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
            guard let context = EVP_MD_CTX_new() else { throw OpenSSL.error("EVP_MD_CTX_new") }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else { throw OpenSSL.error("EVP_DigestSignInit") }
            var length = Ed25519.signatureCount
            var signature = [UInt8](repeating: 0, count: length)
            let ok = message.withUnsafeBufferPointer { EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) }
            guard ok == 1, length == Ed25519.signatureCount else { throw OpenSSL.error("EVP_DigestSign") }
            return signature
        }
    }

    /// Whether `signature` is `publicKey`'s signature of `message`.
    public static func verify(publicKey: [UInt8], message: [UInt8], signature: [UInt8]) -> Bool {
        guard publicKey.count == publicKeyCount, signature.count == signatureCount,
              let key = publicKey.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) })
        else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { return false }
        let ok = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { EVP_DigestVerify(context, sig.baseAddress, sig.count, $0.baseAddress, $0.count) }
        }
        ERR_clear_error()
        return ok == 1
    }
}
