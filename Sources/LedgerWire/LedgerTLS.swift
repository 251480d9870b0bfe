import Foundation
import NIOCore
import NIOSSL

/// TLS for the line protocol (swift-nio-ssl): tokens and PINs cross the network in requests, so
/// a server reachable beyond loopback must not take them in clear. TLS 1.2 at least, on both
/// sides; the client checks the server's certificate against `--ca` (or the system's roots)
/// and its name (or address) against the host it dialled.
public enum LedgerTLS {
    /// Why the server's TLS files cannot be used: names the file and the reason.
    public struct FileProblem: Error, CustomStringConvertible {
        public let description: String
    }

    /// The server's context from PEM files: its certificate chain (leaf first) and private key.
    /// Each failure says which file and why (`FileProblem`).
    public static func serverContext(certificateFile: String, keyFile: String) throws -> NIOSSLContext {
        try readable(certificateFile, as: "--tls-cert")
        try readable(keyFile, as: "--tls-key")
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw FileProblem(description: "--tls-cert \(certificateFile) holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")")
        }
        guard !certificates.isEmpty else {
            throw FileProblem(description: "--tls-cert \(certificateFile) holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw FileProblem(description: "--tls-key \(keyFile) holds no unencrypted PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: certificates.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw FileProblem(description: "--tls-key \(keyFile) is not the private key of the certificate in --tls-cert \(certificateFile) "
                              + "(the first certificate of the file must be the server's own)")
        } catch {
            throw FileProblem(description: "cannot use --tls-cert \(certificateFile) with --tls-key \(keyFile): \(error)")
        }
    }

    private static func readable(_ file: String, as option: String) throws {
        guard access(file, R_OK) == 0 else {
            throw FileProblem(description: "cannot read \(option) \(file): \(String(cString: strerror(errno)))")
        }
    }

    /// A client's context: the server's certificate must chain to a certificate of `caFile`
    /// (PEM), or to the system's trusted roots when nil.
    public static func clientContext(trusting caFile: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        // BoringSSL's client leaves Ed25519 out unless asked; a server may well have such a key
        // (ecoledgerd and openssl s_client accept one), so it is offered with the usual ones.
        configuration.verifySignatureAlgorithms = clientSignatureAlgorithms
        if let caFile { configuration.trustRoots = .file(caFile) }
        return try NIOSSLContext(configuration: configuration)
    }

    /// What a client accepts from a server's certificate and handshake: Ed25519, ECDSA and RSA
    /// (PSS and PKCS#1), never SHA-1.
    static let clientSignatureAlgorithms: [SignatureAlgorithm] = [
        .ed25519, .ecdsaSecp256R1Sha256, .ecdsaSecp384R1Sha384, .ecdsaSecp521R1Sha512,
        .rsaPssRsaeSha256, .rsaPssRsaeSha384, .rsaPssRsaeSha512, .rsaPkcs1Sha256, .rsaPkcs1Sha384, .rsaPkcs1Sha512,
    ]

    /// The client handler for `host`: its name is sent (SNI) and checked against the
    /// certificate; an IP address is checked against the certificate's addresses instead.
    static func clientHandler(_ context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }
}
