import Synchronization
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
import LedgerHost
@testable import LedgerStore

/// A ledger in a fresh temporary folder, removed when the test's value goes away.
final class TemporaryLedger {
    let directory: URL
    let path: String
    let store: LedgerStore

    init(clock: @escaping @Sendable () -> Int64 = WallClock.now) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("ledger.sqlite").path
        store = try LedgerStore.create(at: path, clock: clock)
    }

    deinit {
        try? store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Shorthands that read like the domain, for building requests in tests.
enum Make {
    static let admin = Actor.server
    static let pinIterations = 1_000 // the record is self-describing; tests keep PIN checks cheap

    static func request(_ command: LedgerCommand, actor: Actor = admin) -> LedgerRequest {
        LedgerRequest(actor: actor, command: command)
    }

    static func pin(_ digits: String) throws -> PINRecord {
        try PINRecord.make(for: PIN(digits), iterations: pinIterations)
    }

    static func points(_ text: String) throws -> Points { try Points(parsing: text) }
    static func kg(_ text: String) throws -> Grams { try Grams(parsingKilograms: text) }

    static func dropoff(_ account: String, kg: String, material: String = "PET", point: String = "CP-1", ref: String) throws -> LedgerRequest {
        request(.dropoff(.init(account: try AccountID(account), point: try PointID(point), material: try MaterialCode(material),
                               grams: try Make.kg(kg), ref: try ClientRef(ref))))
    }

    static func redeem(_ account: String, _ points: String, at merchant: String = "M-1", pin: String = "1234", ref: String) throws -> LedgerRequest {
        request(.redeem(.init(account: try AccountID(account), payee: try AccountID(merchant), amount: try Make.points(points),
                              pin: try PIN(pin), ref: try ClientRef(ref))))
    }

    static func donate(_ account: String, _ points: String, to pool: String = "B-1", pin: String = "1234", ref: String) throws -> LedgerRequest {
        request(.donate(.init(account: try AccountID(account), payee: try AccountID(pool), amount: try Make.points(points),
                              pin: try PIN(pin), ref: try ClientRef(ref))))
    }

    static func settle(_ merchant: String, _ points: String, ref: String) throws -> LedgerRequest {
        request(.settle(merchant: try AccountID(merchant), amount: try Make.points(points), ref: try ClientRef(ref)))
    }

    static func reverse(_ seq: Int64, reason: String = "mistake", ref: String) throws -> LedgerRequest {
        request(.reverse(seq: seq, reason: reason, ref: try ClientRef(ref)))
    }
}

extension LedgerStore {
    /// The standard catalogue of these tests: PET at 18.00/kg (min 1 kg), SACHET at 1.00/kg
    /// (3 to 50 kg), ALU at 12.50/kg with no limits, point CP-1, residents R-1 and R-2 (PIN 1234),
    /// merchant M-1, biller M-BILL (min 200.00), beneficiary B-1.
    func seedCatalogue() throws {
        let commands: [LedgerCommand] = try [
            .setMaterial(code: MaterialCode("PET"), rate: Rate(perKilogram: Make.points("18")), name: "PET", minGrams: Make.kg("1"), maxGrams: nil),
            .setMaterial(code: MaterialCode("SACHET"), rate: Rate(perKilogram: Make.points("1")), name: "Sachets",
                         minGrams: Make.kg("3"), maxGrams: Make.kg("50")),
            .setMaterial(code: MaterialCode("ALU"), rate: Rate(perKilogram: Make.points("12.5")), name: "Cans", minGrams: nil, maxGrams: nil),
            .addPoint(id: PointID("CP-1"), name: "Barangay Hall", district: "Batasan Hills"),
            .openAccount(.init(id: AccountID("R-1"), kind: .resident, name: "Juan dela Cruz", pin: Make.pin("1234"))),
            .openAccount(.init(id: AccountID("R-2"), kind: .resident, name: "Maria Clara", pin: Make.pin("1234"))),
            .openAccount(.init(id: AccountID("M-1"), kind: .merchant, name: "Sari-sari")),
            .openAccount(.init(id: AccountID("M-BILL"), kind: .merchant, name: "Water bills", minRedeem: Make.points("200"))),
            .openAccount(.init(id: AccountID("B-1"), kind: .beneficiary, name: "School fund", district: "Batasan Hills")),
        ]
        for command in commands { _ = try submit(Make.request(command)) }
    }

    func balance(_ id: String) throws -> Points {
        try account(AccountID(id))?.balance ?? .zero
    }

    /// The audit's replay of entries 1 through `seq` (what `verify` rebuilds, through
    /// `ChainReplayer`), to ask how it would judge an entry after them.
    func replayed(through seq: Int64) throws -> LedgerSnapshot {
        var replayer = try ChainReplayer(lookup: .init(bySeq: { try self.entry(seq: $0) }, byRef: { try self.entry(ref: $0) }))
        for next in stride(from: Int64(1), through: seq, by: 1) {
            guard let entry = try entry(seq: next) else { throw StoreError.corrupt("no entry \(next)") }
            try replayer.feed(entry)
        }
        return replayer.snapshot
    }

    /// Runs raw SQL on the file, as someone tampering with it would (bypassing the store).
    func tamper(_ sql: String) throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: sql) }
    }
}

/// Asserts that `body` throws exactly `LedgerError` with `code`; returns the error.
@discardableResult
func expectLedgerError(_ code: String, _ body: () throws -> Void) -> LedgerError? {
    do {
        try body()
    } catch let error as LedgerError {
        if error.code == code { return error }
        Issue.record("expected \(code), got \(error)")
        return error
    } catch {
        Issue.record("expected LedgerError \(code), got \(error)")
        return nil
    }
    Issue.record("expected \(code), but it succeeded")
    return nil
}

import Testing

/// A clock that moves on by `step` every time it is read: a ledger whose entries span days
/// without a test waiting for them.
final class SteppingClock: Sendable {
    private let now: Mutex<Int64>
    private let step: Int64

    init(start: Int64, step: Int64) {
        now = Mutex(start)
        self.step = step
    }

    var current: Int64 { now.withLock { $0 } }
    var read: @Sendable () -> Int64 { { self.now.withLock { $0 += self.step; return $0 } } }
}

/// Asserts that an audit failed at `seq`, for a reason that mentions `text`.
func expectAuditFailure(_ result: Result<AuditReport, AuditFailure>, atSeq seq: Int64, mentioning text: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    switch result {
    case .success(let report):
        Issue.record("the tampering passed the audit (\(report.entries) entries)", sourceLocation: sourceLocation)
    case .failure(let failure):
        #expect(failure.seq == seq, "\(failure)", sourceLocation: sourceLocation)
        #expect(failure.reason.contains(text), "\(failure)", sourceLocation: sourceLocation)
    }
}
