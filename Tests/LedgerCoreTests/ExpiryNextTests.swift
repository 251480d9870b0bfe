import LedgerCore
import Testing

/// BALANCE's next lot read from a prefix of the credits (`ExpiryRules.next(of:totalCredited:
/// creditsOldestFirst:in:)`) against the bisection over every credit time, with an independent
/// model of the rule's queries that sums the whole history each time.
@Suite("Expiry's next lot from the fewest credits")
struct ExpiryNextTests {
    /// Every query answered by summing the whole history: no shortcut to share a bug with.
    struct History: RuleQueries {
        let account = AccountID(unchecked: "R-1")
        var credits: [(timeMs: Int64, points: Points)] = []
        /// Unposted held drop-offs: (credited at, points).
        var held: [(timeMs: Int64, points: Points)] = []
        var settings = SchemeState(offsetMinutes: 0, dailyCap: nil, monthlyCap: nil, expiryMs: 1_000, lastSeq: 0)

        func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
            try credits.filter { $0.timeMs > timeMs }.reduce(.zero) { try $0.adding($1.points) }
        }
        func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points {
            try held.filter { $0.timeMs > timeMs }.reduce(.zero) { try $0.adding($1.points) }
        }
        func scheme() throws -> SchemeState { settings }
        func earned(by account: AccountID, since timeMs: Int64) throws -> Points { .zero }

        var total: Points { get throws { try credits.reduce(.zero) { try $0.adding($1.points) } } }
    }

    /// The rule's answer from a prefix, and how many credits it read.
    static func fromPrefix(_ resident: AccountState, _ history: History) throws -> (answer: (points: Points, expiresMs: Int64)?, read: Int) {
        var unread = history.credits.makeIterator()
        var read = 0
        let answer = try ExpiryRules.next(of: resident, totalCredited: try history.total, creditsOldestFirst: {
            guard let credit = unread.next() else { return nil }
            read += 1
            return credit
        }, in: history)
        return (answer, read)
    }

    @Test("on 2,000 random histories (spent, held, credits of one millisecond) the answer is the bisection's over every credit")
    func agreesWithEveryCredit() throws {
        var generator = SystemRandomNumberGenerator()
        var answered = 0, partial = 0
        for _ in 0..<2_000 {
            var history = History()
            // Some histories end within the expiry of the clock's end, where lots never come of age.
            var time: Int64 = Bool.random(using: &generator) ? 0 : Int64.max - 130_000
            for _ in 0..<Int.random(in: 0...60, using: &generator) {
                time += [0, 0, 1, 7, 300, 2_000].randomElement(using: &generator)!
                history.credits.append((time, Points(centipoints: Int64.random(in: 1...5_000, using: &generator))))
            }
            let total = try history.total
            for credit in history.credits where Int.random(in: 0..<8, using: &generator) == 0 { history.held.append(credit) }
            let held = try history.held.reduce(Points.zero) { try $0.adding($1.points) }
            // The resident has spent some of the posted points, up to all of them.
            let posted = try total.subtracting(held)
            let spent = Points(centipoints: posted.centipoints == 0 ? 0 : Int64.random(in: 0...posted.centipoints, using: &generator))
            let resident = AccountState(id: history.account, kind: .resident, name: nil,
                                        balance: try total.subtracting(spent), pending: held)
            let expected = try ExpiryRules.next(of: resident, creditTimes: history.credits.map(\.timeMs), in: history)
            let (answer, read) = try Self.fromPrefix(resident, history)
            #expect(answer?.points == expected?.points && answer?.expiresMs == expected?.expiresMs,
                    "credits \(history.credits), held \(history.held), spent \(spent)")
            if expected != nil { answered += 1 }
            if read < history.credits.count { partial += 1 }
        }
        #expect(answered > 500 && partial > 500, "the histories must exercise both answers and short reads")
    }

    @Test("credits whose time plus the expiry overflows never come of age, and do not hide an earlier lot that does")
    func overflowingTail() throws {
        var history = History()
        for time: Int64 in [.max - 2_000, .max - 1_500, .max - 500, .max - 100] { history.credits.append((timeMs: time, points: Points(centipoints: 100))) }
        // 150 spent: the first lot is used up, 50 of the second is left; the last two never expire.
        let resident = AccountState(id: history.account, kind: .resident, name: nil, balance: Points(centipoints: 250))
        let everyCredit = try ExpiryRules.next(of: resident, creditTimes: history.credits.map(\.timeMs), in: history)
        let (answer, _) = try Self.fromPrefix(resident, history)
        #expect(everyCredit?.points == Points(centipoints: 50) && everyCredit?.expiresMs == .max - 500)
        #expect(answer?.points == Points(centipoints: 50) && answer?.expiresMs == .max - 500)
    }

    @Test("a resident who never spent is answered from the first credit, whatever the history's length")
    func neverSpentReadsTheFirst() throws {
        var history = History()
        for index in 0..<5_000 { history.credits.append((Int64(index) * 10, Points(centipoints: 100))) }
        let resident = AccountState(id: history.account, kind: .resident, name: nil, balance: try history.total)
        let (answer, read) = try Self.fromPrefix(resident, history)
        #expect(answer?.points == Points(centipoints: 100) && answer?.expiresMs == 1_000)
        #expect(read == 2, "the first credit and the one after it, which shows its millisecond is whole")
    }

    @Test("a resident who spent all but the last lot reads the history once, and is answered with that lot")
    func spentAllButTheLast() throws {
        var history = History()
        for index in 0..<1_000 { history.credits.append((Int64(index) * 10, Points(centipoints: 100))) }
        let resident = AccountState(id: history.account, kind: .resident, name: nil, balance: Points(centipoints: 100))
        let (answer, read) = try Self.fromPrefix(resident, history)
        #expect(answer?.points == Points(centipoints: 100) && answer?.expiresMs == 9_990 + 1_000)
        #expect(read == 1_000)
    }
}
