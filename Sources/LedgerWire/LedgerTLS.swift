import NIOCore
import NIOSSL

/// TLS for the line protocol (swift-nio-ssl): tokens and PINs cross the network in requests, so
/// a server reachable beyond loopback must not take them in clear. TLS 1.2 at least, on both
/// sides; the client checks the server's certificate against `--ca` (or the system's roots)
/// and its name (or address) against the host it dialled.
public enum LedgerTLS {
    /// The server's context from PEM files: its certificate chain (leaf first) and private key.
    public static func serverContext(certificateFile: String, keyFile: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain,
                                                                     privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }

    /// A client's context: the server's certificate must chain to a certificate of `caFile`
    /// (PEM), or to the system's trusted roots when nil.
    public static func clientContext(trusting caFile: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile { configuration.trustRoots = .file(caFile) }
        return try NIOSSLContext(configuration: configuration)
    }

    /// The client handler for `host`: its name is sent (SNI) and checked against the
    /// certificate; an IP address is checked against the certificate's addresses instead.
    static func clientHandler(_ context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }
}
