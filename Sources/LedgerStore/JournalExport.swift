import Foundation
import LedgerPersistence
import GRDB
import LedgerCore

/// The export formats of `ecoledger export`: every entry with all its fields and hashes.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// One JSON object per line.
    case jsonl
    /// RFC 4180 CSV with a header row; `attrs` is a JSON object in one field.
    case csv
}

extension LedgerStore {
    /// Streams every entry in seq order to `write`, one line at a time (ending in LF), from
    /// one consistent snapshot. Memory stays constant whatever the ledger's size.
    public func export(_ format: ExportFormat, write: (String) throws -> Void) throws {
        try withSnapshot { db in
            if format == .csv { try write("seq,time_ms,kind,debit,credit,amount,actor,ref,attrs,prev_hash,hash\n") }
            let rows = try Row.fetchCursor(db, sql: "SELECT \(RowDecoding.journalColumns) FROM journal ORDER BY seq")
            while let row = try rows.next() {
                let entry = try RowDecoding.entry(row)
                try write(format == .jsonl ? EntryExport.jsonLine(entry) : EntryExport.csvLine(entry))
            }
        }
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
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
