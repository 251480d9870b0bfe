import CLibCrypto

/// HMAC-SHA256 (OpenSSL `HMAC`): keys a PIN record with the server's secret, so the database
/// alone cannot confirm a guessed PIN.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = key.withUnsafeBufferPointer { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                out.withUnsafeMutableBufferPointer { digest in
                    CLibCrypto.HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                                    messageBytes.baseAddress, messageBytes.count, digest.baseAddress, &length)
                }
            }
        }
        guard result != nil, length == 32 else { throw OpenSSL.error("HMAC") }
        return out
    }
}
