import CLibCrypto

/// SHA-256 through OpenSSL's EVP interface.
///
/// `SHA256.digest` is a one-shot `EVP_Digest`; `SHA256.Hasher` keeps one `EVP_MD_CTX`
/// for hot loops (auditing millions of entries) so no context is allocated per hash.
public enum SHA256 {
    /// The SHA-256 implementation, fetched from OpenSSL's default provider once: OpenSSL 3
    /// would otherwise look it up again on every digest (`EVP_sha256()` is only a name for it).
    /// Immutable after the fetch and never freed, so sharing it between threads is safe.
    nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The digest of `bytes`, in one call.
    public static func digest(_ bytes: [UInt8]) throws(CryptoError) -> Hash256 {
        try bytes.withUnsafeBytes { input in Result { () throws(CryptoError) in try digest(raw: input) } }.get()
    }

    /// The digest of the bytes in memory, in one call, allocating nothing.
    public static func digest(raw input: UnsafeRawBufferPointer) throws(CryptoError) -> Hash256 {
        var out: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var length: UInt32 = 0
        let ok = withUnsafeMutableBytes(of: &out) { output in
            EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, algorithm ?? EVP_sha256(), nil)
        }
        guard ok == 1, length == Hash256.byteCount else { throw OpenSSL.error("EVP_Digest") }
        return withUnsafeBytes(of: &out) { Hash256(raw: $0)! }
    }

    /// A reusable digest context. Not thread-safe: use one per task.
    public final class Hasher {
        private let context: OpaquePointer

        public init() throws(CryptoError) {
            guard let context = EVP_MD_CTX_new() else { throw OpenSSL.error("EVP_MD_CTX_new") }
            self.context = context
        }

        deinit { EVP_MD_CTX_free(context) }

        /// SHA-256 of the concatenation of `parts`.
        public func digest(_ parts: [UInt8]...) throws(CryptoError) -> Hash256 {
            try start()
            for part in parts {
                try part.withUnsafeBytes { bytes in Result { () throws(CryptoError) in try update(bytes) } }.get()
            }
            return try finish()
        }

        /// SHA-256 of `bytes`, with this context (nothing allocated, unlike `SHA256.digest(raw:)`,
        /// which makes and frees one per call).
        public func digest(raw bytes: UnsafeRawBufferPointer) throws(CryptoError) -> Hash256 {
            try start()
            try update(bytes)
            return try finish()
        }

        /// SHA-256 of `hash`'s 32 bytes followed by `bytes`: an entry's hash over its
        /// predecessor's, with nothing allocated.
        public func digest(after hash: Hash256, _ bytes: UnsafeRawBufferPointer) throws(CryptoError) -> Hash256 {
            try start()
            try hash.withUnsafeBytes { prefix in Result { () throws(CryptoError) in try update(prefix) } }.get()
            try update(bytes)
            return try finish()
        }

        private func start() throws(CryptoError) {
            guard EVP_DigestInit_ex(context, SHA256.algorithm ?? EVP_sha256(), nil) == 1 else { throw OpenSSL.error("EVP_DigestInit_ex") }
        }

        private func update(_ bytes: UnsafeRawBufferPointer) throws(CryptoError) {
            guard EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1 else { throw OpenSSL.error("EVP_DigestUpdate") }
        }

        private func finish() throws(CryptoError) -> Hash256 {
            var out: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            var length: UInt32 = 0
            let ok = withUnsafeMutableBytes(of: &out) { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
            guard ok == 1, length == Hash256.byteCount else { throw OpenSSL.error("EVP_DigestFinal_ex") }
            return withUnsafeBytes(of: &out) { Hash256(raw: $0)! }
        }
    }
}

/// Helpers shared by the libcrypto wrappers.
enum OpenSSL {
    /// The oldest queued OpenSSL error as text, clearing the queue.
    static func error(_ operation: String) -> CryptoError {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return CryptoError(operation: operation, detail: "no OpenSSL error queued") }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return CryptoError(operation: operation, detail: text)
    }
}
