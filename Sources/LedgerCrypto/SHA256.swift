import CLibCrypto

/// SHA-256 through OpenSSL's EVP interface.
///
/// `SHA256.digest` is a one-shot `EVP_Digest`; `SHA256.Hasher` keeps one `EVP_MD_CTX`
/// for hot loops (auditing millions of entries) so no context is allocated per hash.
public enum SHA256 {
    /// The digest of `bytes`, in one call.
    public static func digest(_ bytes: [UInt8]) throws(CryptoError) -> Hash256 {
        var out = [UInt8](repeating: 0, count: Hash256.byteCount)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        guard ok == 1, length == Hash256.byteCount else { throw OpenSSL.error("EVP_Digest") }
        return Hash256(bytes: out)!
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
            guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else { throw OpenSSL.error("EVP_DigestInit_ex") }
            for part in parts {
                let ok = part.withUnsafeBufferPointer { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
                guard ok == 1 else { throw OpenSSL.error("EVP_DigestUpdate") }
            }
            var out = [UInt8](repeating: 0, count: Hash256.byteCount)
            var length: UInt32 = 0
            let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
            guard ok == 1, length == Hash256.byteCount else { throw OpenSSL.error("EVP_DigestFinal_ex") }
            return Hash256(bytes: out)!
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
