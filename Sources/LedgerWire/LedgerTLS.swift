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

    /// The server's certificate names `host` (when `host` is a name, not an address).
    ///
    /// swift-nio-ssl also accepts a certificate whose IP address entry matches the address it
    /// connected to, whatever name was dialled: anyone who can point that name at an address they
    /// hold a certificate for would then receive the token. A client that dialled a name wants a
    /// certificate for that name: one of its DNS names must match (`*.` covering one label), or,
    /// without any name or address entries, its common name (which swift-nio-ssl checked).
    static func checkDialledName(_ host: String, on channel: any Channel) async throws {
        guard (try? SocketAddress(ipAddress: host, port: 0)) == nil else { return }
        let names = try await channel.eventLoop.submit { () -> (dns: [String], others: Int) in
            guard let leaf = try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate else { return ([], 0) }
            var dns: [String] = [], others = 0
            for name in leaf._subjectAlternativeNames() {
                if name.nameType == .dnsName {
                    dns.append(name.contents.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) })
                } else {
                    others += 1
                }
            }
            return (dns, others)
        }.get()
        guard !names.dns.isEmpty || names.others > 0 else { return }
        guard names.dns.contains(where: { dnsName($0, matches: host) }) else {
            channel.close(promise: nil)
            throw NameMismatch(host: host)
        }
    }

    /// RFC 6125 matching of a certificate's DNS name against the dialled host.
    static func dnsName(_ pattern: String, matches host: String) -> Bool {
        let pattern = pattern.lowercased(), host = host.lowercased().hasSuffix(".") ? String(host.lowercased().dropLast()) : host.lowercased()
        if pattern.hasPrefix("*.") {
            guard let dot = host.firstIndex(of: ".") else { return false }
            return host[host.index(after: dot)...] == pattern.dropFirst(2) && host[..<dot].count > 0
        }
        return pattern == host
    }

    /// The server's certificate does not name the host the client dialled.
    public struct NameMismatch: Error, CustomStringConvertible {
        public let host: String
        public var description: String { "the server's certificate does not name \(host)" }
    }

    /// The client handler for `host`: its name is sent (SNI) and checked against the
    /// certificate; an IP address is checked against the certificate's addresses instead.
    static func clientHandler(_ context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }
}
