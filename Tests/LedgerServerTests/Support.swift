import Foundation
import LedgerPersistence
import LedgerHost
import LedgerTestSupport
import LedgerCore
import LedgerCrypto
@testable import LedgerServer
import LedgerStore
import LedgerTransparency
import LedgerWire
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// A server on 127.0.0.1 with a fresh ledger in a temporary folder, run by a real ServiceGroup.
///
/// The ledger has the catalogue below and one token per role with known secrets:
/// PET 18.00/kg (1 kg minimum), point CP-1 and CP-2, residents R-1 and R-2 (PIN 1234), merchants
/// M-1 and M-2, beneficiary B-1; the operator is bound to CP-1 and the merchant to M-1.
final class TestServer: @unchecked Sendable {
    static let secrets: [Role: String] = [
        .admin: "admin-secret-0123456789", .operator: "operator-secret-0123456789",
        .merchant: "merchant-secret-0123456789", .auditor: "auditor-secret-0123456789",
    ]

    /// The log's key in every test server, and a witness it trusts.
    static let logSigner = try! NoteSigner(name: "ledger.test/ecoledger", seed: Array(repeating: 1, count: 32))
    static let witness = try! NoteSigner(name: "witness.test/barangay", kind: .cosignatureV1, seed: Array(repeating: 2, count: 32))

    let directory: URL
    let path: String
    let store: LedgerStore
    let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, Error>

    static func start(in folder: URL? = nil, configure: (inout ServerConfiguration) -> Void = { _ in },
                      clock: @escaping @Sendable () -> Int64 = WallClock.now) async throws -> TestServer {
        let directory = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("ecoledgerd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("ledger.sqlite").path
        let store = try LedgerStore.create(at: path, clock: clock)
        try seed(store)
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.logSigner = logSigner
        configuration.checkpointInterval = .milliseconds(50)
        configuration.witnesses = [witness.key]
        configuration.clock = clock
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await LedgerServer(store: store, configuration: configuration, logger: logger) { address in
            continuation.yield(address.port ?? 0)
            continuation.finish()
        }
        let names = server.services.map { "\($0)" }
        let group = ServiceGroup(configuration: .init(services: server.services, logger: logger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("the server did not start") }
        return TestServer(directory: directory, path: path, store: store, port: port, group: group, running: running, serviceNames: names)
    }

    /// The services of the server, in the group's start order.
    let serviceNames: [String]

    private init(directory: URL, path: String, store: LedgerStore, port: Int, group: ServiceGroup, running: Task<Void, Error>, serviceNames: [String]) {
        self.serviceNames = serviceNames
        self.directory = directory
        self.path = path
        self.store = store
        self.port = port
        self.group = group
        self.running = running
    }

    /// Starts a server, runs `body`, and stops the server whether `body` succeeded or threw
    /// (`defer` cannot await), so a failed test never leaves a server running.
    static func with<T>(in folder: URL? = nil, configure: (inout ServerConfiguration) -> Void = { _ in },
                        clock: @escaping @Sendable () -> Int64 = WallClock.now,
                        _ body: (TestServer) async throws -> T) async throws -> T {
        let server = try await start(in: folder, configure: configure, clock: clock)
        let result: T
        do {
            result = try await body(server)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
        return result
    }

    /// Graceful shutdown, as SIGTERM would do it; waits until every connection is closed.
    func stop(keepingFiles: Bool = false) async throws {
        await group.triggerGracefulShutdown()
        try await running.value
        try? store.close()
        if !keepingFiles { try? FileManager.default.removeItem(at: directory) }
    }

    /// Opens a connection, authenticates as `role` (none when nil) and runs `body`.
    func session<T>(as role: Role? = nil, _ body: (LedgerConnection) async throws -> T) async throws -> T {
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: port) { connection in
            if let role {
                let reply = try await connection.call("AUTH \(Self.secrets[role]!)")
                guard reply.first?.hasPrefix("OK role=\(role.rawValue)") == true else { throw TestFailure("AUTH failed: \(reply)") }
            }
            return try await body(connection)
        }
    }

    static func seed(_ store: LedgerStore) throws {
        let pin = try PINRecord.make(for: PIN("1234"), iterations: 1000)
        let commands: [LedgerCommand] = try [
            .setMaterial(code: MaterialCode("PET"), rate: Rate(perKilogram: Points(parsing: "18")), name: "PET",
                         minGrams: Grams(parsingKilograms: "1"), maxGrams: nil),
            .addPoint(id: PointID("CP-1"), name: "Hall", district: "North"),
            .addPoint(id: PointID("CP-2"), name: "Market", district: nil),
            .openAccount(.init(id: AccountID("R-1"), kind: .resident, name: "Juan dela Cruz", pin: pin)),
            .openAccount(.init(id: AccountID("R-2"), kind: .resident, name: "Maria Clara", pin: pin)),
            .openAccount(.init(id: AccountID("M-1"), kind: .merchant, name: "Store")),
            .openAccount(.init(id: AccountID("M-2"), kind: .merchant, name: "Biller", minRedeem: Points(parsing: "200"))),
            .openAccount(.init(id: AccountID("B-1"), kind: .beneficiary, name: "Fund")),
        ]
        for command in commands { _ = try store.submit(LedgerRequest(actor: .demo, command: command)) }
        try Bootstrap.issue(.admin, secret: secrets[.admin]!, store: store)
        try Bootstrap.issue(.operator, point: PointID("CP-1"), secret: secrets[.operator]!, store: store)
        try Bootstrap.issue(.merchant, merchant: AccountID("M-1"), secret: secrets[.merchant]!, store: store)
        try Bootstrap.issue(.auditor, secret: secrets[.auditor]!, store: store)
    }
}
