import Foundation
import GRDB
import LedgerCore
import LedgerCrypto

/// Builds core values from stored rows, validating everything: a row that a tampered or
/// damaged file holds becomes a `StoreError.corrupt`, never a crash.
enum RowDecoding {
    static let journalColumns = "seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash"

    static func entry(_ row: Row) throws -> Entry {
        let seq: Int64 = try value(row, "seq")
        func bad(_ what: String) -> StoreError { .corrupt("journal entry \(seq): \(what)") }
        guard let kind = EntryKind(rawValue: try value(row, "kind")) else { throw bad("unknown kind") }
        let attrsText: String = try value(row, "attrs")
        guard let attributes = try? AttributesJSON.decode(attrsText) else { throw bad("attrs is not a JSON object of strings") }
        let body = EntryBody(
            kind: kind,
            debit: try identifier(row, "debit", AccountID.self, seq: seq),
            credit: try identifier(row, "credit", AccountID.self, seq: seq),
            amount: Points(centipoints: try value(row, "amount")),
            actor: try identifier(row, "actor", Actor.self, seq: seq) ?? { throw bad("actor missing") }(),
            ref: try identifier(row, "ref", ClientRef.self, seq: seq),
            attributes: attributes)
        guard let prev = Hash256(bytes: try value(row, "prev_hash") as Data),
              let hash = Hash256(bytes: try value(row, "hash") as Data)
        else { throw bad("hashes are not 32 bytes") }
        return Entry(seq: seq, timeMs: try value(row, "time_ms"), body: body, prevHash: prev, hash: hash)
    }

    static func account(_ row: Row) throws -> AccountState {
        let id: String = try value(row, "id")
        func bad(_ what: String) -> StoreError { .corrupt("account \(id.debugDescription): \(what)") }
        guard AccountID.isValid(id), let kind = AccountKind(rawValue: try value(row, "kind")) else { throw bad("invalid id or kind") }
        let pinHash: String? = try value(row, "pin_hash")
        let minRedeem: Int64? = try value(row, "min_redeem")
        let locked: Int64 = try value(row, "locked")
        let failures: Int64 = try value(row, "pin_failures")
        guard let pinFailures = Int(exactly: failures) else { throw bad("pin_failures out of range") }
        return AccountState(
            id: AccountID(unchecked: id), kind: kind, name: try value(row, "name"), district: try value(row, "district"),
            balance: Points(centipoints: try value(row, "balance")), minRedeem: minRedeem.map(Points.init(centipoints:)),
            pinDigest: try pinHash.map { try SHA256.digest(Array($0.utf8)) }, pinFailures: pinFailures,
            locked: locked != 0, lastSeq: try value(row, "last_seq"))
    }

    static func point(_ row: Row) throws -> PointState {
        let id: String = try value(row, "id")
        guard PointID.isValid(id) else { throw StoreError.corrupt("point \(id.debugDescription): invalid id") }
        let active: Int64 = try value(row, "active")
        return PointState(id: PointID(unchecked: id), name: try value(row, "name"), district: try value(row, "district"),
                          active: active != 0, lastSeq: try value(row, "last_seq"))
    }

    static func material(_ row: Row) throws -> MaterialState {
        let code: String = try value(row, "code")
        guard MaterialCode.isValid(code) else { throw StoreError.corrupt("material \(code.debugDescription): invalid code") }
        let minGrams: Int64? = try value(row, "min_grams")
        let maxGrams: Int64? = try value(row, "max_grams")
        return MaterialState(code: MaterialCode(unchecked: code), name: try value(row, "name"),
                             rate: Rate(perKilogram: Points(centipoints: try value(row, "rate"))),
                             minGrams: minGrams.map(Grams.init), maxGrams: maxGrams.map(Grams.init),
                             lastSeq: try value(row, "last_seq"))
    }

    static func token(_ row: Row) throws -> TokenState {
        let id: String = try value(row, "id")
        func bad(_ what: String) -> StoreError { .corrupt("token \(id.debugDescription): \(what)") }
        guard TokenID.isValid(id), let role = Role(rawValue: try value(row, "role")) else { throw bad("invalid id or role") }
        guard let secretHash = Hash256(bytes: try value(row, "secret_hash") as Data) else { throw bad("secret_hash is not 32 bytes") }
        let revoked: Int64 = try value(row, "revoked")
        return TokenState(id: TokenID(unchecked: id), role: role,
                          point: try identifier(row, "point", PointID.self, seq: nil),
                          merchant: try identifier(row, "merchant", AccountID.self, seq: nil),
                          secretHash: secretHash, revoked: revoked != 0, lastSeq: try value(row, "last_seq"))
    }

    /// A column's value, or `corrupt` when it is NULL where a value is required or of the wrong type.
    static func value<T: DatabaseValueConvertible>(_ row: Row, _ column: String) throws -> T {
        do {
            return try row.decode(T.self, forColumn: column)
        } catch {
            throw StoreError.corrupt("column \(column): \(error)")
        }
    }

    static func identifier<ID: LedgerIdentifier>(_ row: Row, _ column: String, _: ID.Type, seq: Int64?) throws -> ID? {
        guard let text: String = try value(row, column) else { return nil }
        guard ID.isValid(text) else {
            throw StoreError.corrupt("\(seq.map { "journal entry \($0): " } ?? "")\(column) \(text.debugDescription) is not a valid id")
        }
        return ID(unchecked: text)
    }
}
