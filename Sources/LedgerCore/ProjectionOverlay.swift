/// The projections as entries change them, in memory: the one `apply` of a `ProjectionChange`,
/// and the one answer to the rules' queries about what was credited, earned and held.
///
/// The audit's `LedgerSnapshot` is an overlay over nothing (every row is here); the writer's
/// `WriteBatch` is an overlay over what the store has committed (only this batch's rows are
/// here, and it adds the store's answer for the rest). Both therefore apply an entry, and count
/// its credits, with the same code.
public struct ProjectionOverlay: Sendable {
    public var head: ChainHead
    public var accounts: [AccountID: AccountState] = [:]
    public var points: [PointID: PointState] = [:]
    public var materials: [MaterialCode: MaterialState] = [:]
    public var tokens: [TokenID: TokenState] = [:]
    /// The scheme, once an entry here set it.
    public var scheme: SchemeState?
    public var holds: [Int64: HoldState] = [:]
    /// original seq → reversing seq
    public var reversals: [Int64: Int64] = [:]
    public var pinRecords: [AccountID: PINRecord] = [:]
    /// Profiles saved (a resident opened), or erased (`nil`).
    public var profiles: [AccountID: Profile?] = [:]
    /// Each account's held drop-offs here that are pending or voided (voids are rare).
    private var unposted: [AccountID: Set<Int64>] = [:]
    /// The credits recorded by `append`, per account, oldest first: (time, centipoints, signed
    /// negative for anything but a drop-off: a credit's amount is positive).
    private var credits: [AccountID: [(timeMs: Int64, signedCentipoints: Int64)]] = [:]
    /// Credits older than this before the newest entry are forgotten (nil: kept); the rules
    /// never look back further.
    private let keptMs: Int64?

    public init(head: ChainHead, keepingCreditsFor keptMs: Int64? = nil) {
        self.head = head
        self.keptMs = keptMs
    }

    /// Makes `entry` the head and, when asked, records its credit for the rules' queries.
    public mutating func append(_ entry: Entry, recordingCredit: Bool) {
        head = ChainHead(seq: entry.seq, hash: entry.hash, timeMs: entry.timeMs)
        guard recordingCredit, let account = entry.body.credit else { return }
        let amount = entry.body.amount.centipoints
        Self.record((entry.timeMs, entry.kind == .dropoff ? amount : -amount), in: &credits[account, default: []], keptMs: keptMs)
    }

    /// Appends a credit to an account's list, in place (the dictionary is hashed once).
    private static func record(_ credit: (timeMs: Int64, signedCentipoints: Int64),
                               in list: inout [(timeMs: Int64, signedCentipoints: Int64)], keptMs: Int64?) {
        list.append(credit)
        // Times never decrease, so what is too old is at the front.
        if let keptMs, let first = list.first, first.timeMs < credit.timeMs - keptMs {
            list.removeAll { $0.timeMs < credit.timeMs - keptMs }
        }
    }

    public mutating func apply(_ change: consuming ProjectionChange, seq: Int64) {
        switch consume change {
        case .putAccount(let account): accounts[account.id] = account
        case .putPoint(let point): points[point.id] = point
        case .putMaterial(let material): materials[material.code] = material
        case .putToken(let token): tokens[token.id] = token
        case .putScheme(let scheme): self.scheme = scheme
        case .putHold(let hold):
            holds[hold.dropoff] = hold
            if hold.decision == .posted { unposted[hold.account]?.remove(hold.dropoff) } else { unposted[hold.account, default: []].insert(hold.dropoff) }
        case .eraseProfile(let account): profiles[account] = .some(nil)
        case .markReversed(let original): reversals[original] = seq
        }
    }

    /// The points of `account`'s held drop-offs here credited after `timeMs` that are not posted.
    public func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points {
        var sum = Points.zero
        for seq in unposted[account] ?? [] {
            guard let hold = holds[seq], hold.creditedMs > timeMs else { continue }
            sum = try sum.adding(hold.amount)
        }
        return sum
    }

    /// The points of `account`'s drop-offs recorded here whose time is at least `timeMs`.
    public func earned(by account: AccountID, since timeMs: Int64) throws -> Points {
        var sum = Points.zero
        for credit in (credits[account] ?? []).reversed() {
            guard credit.timeMs >= timeMs else { break }
            if credit.signedCentipoints > 0 { sum = try sum.adding(Points(centipoints: credit.signedCentipoints)) } // overflow is an error, as in the writer
        }
        return sum
    }

    /// The points of every credit of `account` recorded here whose time is after `timeMs`.
    public func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
        var sum = Points.zero
        for credit in (credits[account] ?? []).reversed() {
            guard credit.timeMs > timeMs else { break }
            sum = try sum.adding(Points(centipoints: abs(credit.signedCentipoints)))
        }
        return sum
    }
}
