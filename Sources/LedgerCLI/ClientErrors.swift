import Foundation
import LedgerWire
import NIOCore
import NIOPosix
import NIOSSL

/// A client's failures in words an operator can act on: what happened, on which address, and
/// what to try. No NIO type name or raw errno tuple ever reaches a person.
public enum ClientErrors {
    /// One line saying why talking to `host:port` failed.
    public static func explain(_ error: any Error, host: String, port: Int, tls: Bool) -> String {
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch error {
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return "cannot connect to \(target): the host name \(host.debugDescription) does not resolve"
            }
            if let first = error.connectionErrors.first {
                return explain(first.error, host: host, port: port, tls: tls)
            }
            return "cannot connect to \(target)"
        case let error as IOError:
            let reason = String(cString: strerror(error.errnoCode))
            let advice = switch error.errnoCode {
            case ECONNREFUSED: " (is ecoledgerd running there, on that --port?)"
            case ETIMEDOUT, EHOSTUNREACH, ENETUNREACH: " (is the address right, and the network up?)"
            default: ""
            }
            return "cannot connect to \(target): \(reason.prefix(1).lowercased() + reason.dropFirst())\(advice)"
        case ChannelError.connectTimeout:
            return "cannot connect to \(target): no answer in time (is the address right, and the network up?)"
        case is NIOSSLExtraError, is LedgerTLS.NameMismatch:
            return "cannot talk to \(target) over TLS: its certificate is not for \(host) (connect with the name or address it was made for)"
        case let error as NIOSSLError:
            return tlsFailure(error, target: target, host: host)
        case is BoringSSLError:
            return "cannot talk to \(target) over TLS: the handshake failed (is it a TLS port? do both sides share a TLS version and key type?)"
        case is TLSHandshakeClosed:
            return "cannot talk to \(target) over TLS: the server closed the connection during the handshake (is it a TLS port?)"
        case let error as LedgerConnection.ConnectionClosed:
            return "\(target): \(error.description)"
        case let error as LedgerConnection.ReplyTooLong:
            return "\(target): \(error.description)"
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof, ChannelError.outputClosed:
            return "\(target): the server closed the connection\(tls ? " (a TLS failure on its side?)" : " (does it want TLS? try --tls)")"
        default:
            return "cannot talk to \(target): \(error)"
        }
    }

    static func tlsFailure(_ error: NIOSSLError, target: String, host: String) -> String {
        let detail = "\(error)"
        if detail.contains("CERTIFICATE_VERIFY_FAILED") || detail.contains("certificate verify failed") {
            return "cannot talk to \(target) over TLS: its certificate is not trusted (give the certificate it chains to with --ca), or not for \(host)"
        }
        if detail.contains("WRONG_VERSION_NUMBER") || detail.contains("HTTP_REQUEST") || detail.contains("PACKET_LENGTH_TOO_LONG") {
            return "cannot talk to \(target) over TLS: it does not speak TLS (drop --tls and --ca?)"
        }
        if case .handshakeFailed = error {
            return "cannot talk to \(target) over TLS: the handshake failed (is it a TLS port? do both sides share a TLS version and key type?)"
        }
        if case .uncleanShutdown = error {
            return "cannot talk to \(target) over TLS: the server closed the connection without a TLS goodbye"
        }
        return "cannot talk to \(target) over TLS: the TLS layer failed"
    }
}
