import Foundation
import LedgerPersistence
import LedgerCore
import LedgerHost
import LedgerProtocol
@testable import LedgerServer
import LedgerStore
import LedgerTestSupport
import Logging

/// The server's command layer without a socket: the same fixture ledger as `TestServer`
/// (`TestServer.seed`), the same `ServerServices`, `CommandDispatcher` and `SessionMachine` a
/// connection uses, fed lines directly. For tests of what a command answers; `TestServer` stays
/// for what only a real connection shows (framing, pipelining, closes, TLS, shutdown).
final class CommandHarness: @unchecked Sendable {
    let directory: URL
    let store: LedgerStore
    let services: ServerServices
    let dispatcher: CommandDispatcher

    static func with<T>(clock: @escaping @Sendable () -> Int64 = WallClock.now, logSigner: Bool = true,
                        _ body: (CommandHarness) async throws -> T) async throws -> T {
        let harness = try await CommandHarness(clock: clock, logSigner: logSigner)
        // Stopped whether `body` succeeded or threw (`defer` cannot await).
        let result: T
        do {
            result = try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
        return result
    }

    private init(clock: @escaping @Sendable () -> Int64, logSigner: Bool) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-harness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try LedgerStore.create(at: directory.appendingPathComponent("ledger.sqlite").path, clock: clock)
        try TestServer.seed(store)
        var logger = Logger(label: "harness")
        logger.logLevel = .critical
        let gateway = LedgerGateway(database: store)
        let checkpointer = logSigner ? Checkpointer(signer: TestServer.logSigner, gateway: gateway, logger: logger) : nil
        services = ServerServices(gateway: gateway, logger: logger, checkpointer: checkpointer, witnesses: [TestServer.witness.key], clock: clock)
        dispatcher = CommandDispatcher(services: services)
        try await services.reloadTokens()
    }

    private func stop() async {
        await services.checkpointer?.stop()
        try? await services.gateway.shutdown()
        try? store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    var path: String { directory.appendingPathComponent("ledger.sqlite").path }

    /// A session, logged in as `role` with the fixture's token when given, as
    /// `TestServer.session` opens one over TCP.
    func session<T>(as role: Role? = nil, peer: String = "192.0.2.1", _ body: (Client) async throws -> T) async throws -> T {
        let client = Client(dispatcher: dispatcher, peer: peer)
        if let role {
            let reply = try await client.call("AUTH \(TestServer.secrets[role]!)")
            guard reply.first?.hasPrefix("OK role=\(role.rawValue)") == true else { throw TestFailure("AUTH failed: \(reply)") }
        }
        return try await body(client)
    }

    /// One connection's session, as `Session` runs it, minus the network.
    final class Client: @unchecked Sendable {
        let dispatcher: CommandDispatcher
        private(set) var machine: SessionMachine
        /// Set once a reply closed the connection.
        private(set) var closed = false

        init(dispatcher: CommandDispatcher, peer: String) {
            self.dispatcher = dispatcher
            machine = SessionMachine(peer: peer)
        }

        /// The reply's lines, as a client reads them (a list: its `OK n=N` line, then the rows).
        /// Throws once the session has closed, as a connection would.
        func call(_ line: String) async throws -> [String] {
            guard !closed else { throw TestFailure("the session is closed") }
            let reply: Reply
            switch dispatcher.prepare(Array(line.utf8), session: &machine) {
            case .answer(let answer, _):
                reply = answer
            case .queued(let queued):
                switch await queued.ticket.result {
                case .success(let receipt): reply = queued.shape(receipt)
                case .failure(let error): reply = dispatcher.reply(for: error, verb: queued.verb)
                }
            case .run(let command):
                let result = await dispatcher.execute(command, session: &machine)
                reply = result.reply
                closed = closed || result.close
            }
            return reply.encoded.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
        }
    }
}
