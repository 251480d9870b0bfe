import CLibCrypto

/// PBKDF2-HMAC-SHA256 (OpenSSL `PKCS5_PBKDF2_HMAC`), the only way a resident's PIN is stored.
public enum PBKDF2 {
    public static func sha256(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int = 32) throws(CryptoError) -> [UInt8] {
        precondition(iterations > 0 && iterations <= Int(Int32.max), "PBKDF2 iterations out of range")
        var out = [UInt8](repeating: 0, count: keyLength)
        let ok = password.withUnsafeBufferPointer { pass in
            salt.withUnsafeBufferPointer { saltBytes in
                out.withUnsafeMutableBufferPointer { key in
                    pass.withMemoryRebound(to: CChar.self) { passChars in
                        PKCS5_PBKDF2_HMAC(
                            passChars.baseAddress, Int32(passChars.count),
                            saltBytes.baseAddress, Int32(saltBytes.count),
                            Int32(iterations), EVP_sha256(), Int32(keyLength), key.baseAddress)
                    }
                }
            }
        }
        guard ok == 1 else { throw OpenSSL.error("PKCS5_PBKDF2_HMAC") }
        return out
    }
}
