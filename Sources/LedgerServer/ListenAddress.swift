import Foundation
import NIOCore
import NIOPosix

/// Whether the server can listen where it was told to, asked before a ledger, a key or an
/// origin is written, and the reason in words when it cannot.
public enum ListenAddress {
    /// Why a listening address cannot be used; names the address and says what to do.
    public struct Unusable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Binds every address at once (so two options naming the same port are caught too) and
    /// lets them go again; throws `Unusable` for the first that cannot be bound.
    public static func check(_ addresses: [(host: String, port: Int, option: String)]) async throws {
        var bound: [any Channel] = []
        defer { for channel in bound { channel.close(promise: nil) } }
        for address in addresses {
            do {
                bound.append(try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: address.host, port: address.port).get())
            } catch {
                throw unusable(host: address.host, port: address.port, error, option: address.option)
            }
        }
    }

    /// `error` from binding `host:port`, in words.
    public static func unusable(host: String, port: Int, _ error: any Error, option: String = "--port") -> Unusable {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        if let error = error as? IOError {
            let reason = String(cString: strerror(error.errnoCode))
            let advice = switch error.errnoCode {
            case EADDRINUSE: "another program is listening there; stop it or choose another \(option)"
            case EACCES: "ports below 1024 need privileges; choose a port of 1024 or more"
            case EADDRNOTAVAIL: "no network interface of this machine has that address"
            default: "check the host and port"
            }
            return Unusable(description: "cannot listen on \(address): \(reason); \(advice)")
        }
        if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            return Unusable(description: "cannot listen on \(address): the host \(host.debugDescription) is not an address or a name this machine resolves")
        }
        return Unusable(description: "cannot listen on \(address): \(error)")
    }
}
