import LedgerCore
import LedgerCrypto

/// The export formats of `ecoledger export`: every entry with all its fields and hashes.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// One JSON object per line.
    case jsonl
    /// RFC 4180 CSV with a header row; `attrs` is a JSON object in one field.
    case csv
}

/// Every entry of a ledger, whatever its engine, as export lines.
package enum JournalExport {
    /// Streams every entry in seq order from `source` (one snapshot) to `write`, one line at a
    /// time (ending in LF); each row passes the same checks as any stored entry. Memory stays
    /// constant whatever the ledger's size.
    package static func export(from source: some LedgerRowSource, _ format: ExportFormat, write: (String) throws -> Void) throws {
        guard let journal = LedgerTables.all.first(where: { $0.name == "journal" }) else { return }
        if format == .csv { try write("seq,time_ms,kind,debit,credit,amount,actor,ref,attrs,prev_hash,hash\n") }
        try source.forEachRow(of: journal) { values in
            let entry = try entry(values)
            try write(format == .jsonl ? EntryExport.jsonLine(entry) : EntryExport.csvLine(entry))
        }
    }

    /// A journal row's values, in `LedgerTables`' column order, as an entry.
    private static func entry(_ values: [StoredValue]) throws -> Entry {
        func integer(_ index: Int) throws -> Int64 {
            guard case .integer(let value) = values[index] else { throw StoreError.corrupt("journal row: \(columnName(index)) is not an integer") }
            return value
        }
        func text(_ index: Int) throws -> String? {
            switch values[index] {
            case .null: return nil
            case .text(let text?): return text
            default: throw StoreError.corrupt("journal row: \(columnName(index)) is not UTF-8 text")
            }
        }
        func hash(_ index: Int) -> Hash256? {
            guard case .blob(let bytes) = values[index] else { return nil }
            return Hash256(bytes: bytes)
        }
        return try RowDecoding.entry(seq: try integer(0), timeMs: try integer(1), kind: try text(2), debit: try text(3), credit: try text(4),
                                     amount: try integer(5), actor: try text(6), ref: try text(7), attrs: try text(8),
                                     prevHash: hash(9), hash: hash(10))
    }

    private static func columnName(_ index: Int) -> String {
        LedgerTables.all.first { $0.name == "journal" }?.columns[index] ?? "column \(index)"
    }
}

/// How one entry is written in an export. Field names match docs/LEDGER.md, so an
/// independent verifier can rebuild the canonical bytes from an export alone.
public enum EntryExport {
    public static func jsonLine(_ entry: Entry) -> String {
        let body = entry.body
        var fields: [String] = [
            "\"seq\":\(entry.seq)",
            "\"time_ms\":\(entry.timeMs)",
            "\"kind\":\(json(body.kind.rawValue))",
            "\"debit\":\(body.debit.map { json($0.rawValue) } ?? "null")",
            "\"credit\":\(body.credit.map { json($0.rawValue) } ?? "null")",
            "\"amount\":\(body.amount.centipoints)",
            "\"actor\":\(json(body.actor.rawValue))",
            "\"ref\":\(body.ref.map { json($0.rawValue) } ?? "null")",
        ]
        fields.append("\"attrs\":\(AttributesJSON.encode(body.attributes))")
        fields.append("\"prev_hash\":\"\(entry.prevHash.hex)\"")
        fields.append("\"hash\":\"\(entry.hash.hex)\"")
        return "{" + fields.joined(separator: ",") + "}\n"
    }

    public static func csvLine(_ entry: Entry) -> String {
        let body = entry.body
        let fields = [
            String(entry.seq), String(entry.timeMs), body.kind.rawValue, body.debit?.rawValue ?? "", body.credit?.rawValue ?? "",
            String(body.amount.centipoints), body.actor.rawValue, body.ref?.rawValue ?? "", AttributesJSON.encode(body.attributes),
            entry.prevHash.hex, entry.hash.hex,
        ]
        return fields.map(csv).joined(separator: ",") + "\n"
    }

    static func json(_ text: String) -> String {
        var out = ""
        AttributesJSON.appendString(text, to: &out)
        return out
    }

    static func csv(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + String(field.flatMap { $0 == "\"" ? ["\"", "\""] : [$0] }) + "\""
    }
}
