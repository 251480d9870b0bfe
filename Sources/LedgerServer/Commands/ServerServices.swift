import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerHost
import LedgerTransparency
import Logging

/// The server's parts a command may use, built once per server and shared by every session:
/// the ledger, the tokens, the throttles, the keys, the clock and the jobs EXPIRE and RECEIPT
/// reach. Handlers see it through `CommandContext`.
final class ServerServices: Sendable {
    static let serverVersion = EcoLedgerVersion.text

    let gateway: LedgerGateway
    let tokens: TokenRegistry
    let stats: ServerStats
    let logger: Logger
    let authThrottle: AuthThrottle
    /// PIN checks of REDEEM, DONATE and ACCOUNT PIN old=, per address: a stolen merchant token
    /// must not try four PINs on every resident (the lock comes at the fifth) at full speed.
    let pinThrottle: AuthThrottle
    let randomBytes: @Sendable (Int) throws -> [UInt8]
    let pinKey: PINKey?
    /// Checked when a resident login names no PIN record, so that it costs what a real check does.
    let decoyRecord: PINRecord?
    let residentLogins = ResidentLogins()
    /// The wall clock, injectable: what "now" is for an expiry sweep.
    let clock: @Sendable () -> Int64
    let checkpointer: Checkpointer?
    /// The witnesses whose cosignatures the server accepts, serves and checks in AUDIT.
    let witnesses: [NoteKey]
    let expiry: ExpirySweep

    init(gateway: LedgerGateway, tokens: TokenRegistry = TokenRegistry(), stats: ServerStats = ServerStats(), logger: Logger,
         authThrottle: AuthThrottle = AuthThrottle(),
         randomBytes: @escaping @Sendable (Int) throws -> [UInt8] = { try SecureRandom.bytes($0) }, pinKey: PINKey? = nil,
         checkpointer: Checkpointer? = nil, witnesses: [NoteKey] = [], clock: @escaping @Sendable () -> Int64 = WallClock.now) {
        self.gateway = gateway
        self.tokens = tokens
        self.stats = stats
        self.logger = logger
        self.authThrottle = authThrottle
        pinThrottle = AuthThrottle(limit: authThrottle.limit, window: authThrottle.window)
        self.randomBytes = randomBytes
        self.pinKey = pinKey
        decoyRecord = try? PINRecord.make(for: PIN("0000"), key: pinKey)
        self.clock = clock
        self.checkpointer = checkpointer
        self.witnesses = witnesses
        expiry = ExpirySweep(gateway: gateway, logger: logger)
    }

    /// Revokes a token. It stops working before the revocation is even written: a command of
    /// another connection that starts from now on is refused.
    func revoke(_ id: TokenID, as actor: Actor) async throws -> WriteReceipt {
        tokens.revokeAhead(id)
        let receipt: WriteReceipt
        do {
            receipt = try await gateway.submit(LedgerRequest(actor: actor, command: .revokeToken(id: id)))
        } catch {
            tokens.settle(try await gateway.read { try $0.tokenSnapshot() }, revokedAhead: id)
            throw error
        }
        tokens.settle(try await gateway.read { try $0.tokenSnapshot() }, revokedAhead: id)
        return receipt
    }

    /// A new PIN record. PBKDF2 costs milliseconds: done on the read threads, never on the writer.
    func pinRecord(_ pin: PIN) async throws -> PINRecord {
        let salt = try randomBytes(16)
        let key = pinKey
        return try await gateway.compute { try PINRecord.make(for: pin, salt: salt, iterations: PINRecord.defaultIterations, key: key) }
    }

    func reloadTokens() async throws {
        tokens.replace(with: try await gateway.read { try $0.tokenSnapshot() })
    }
}
