import LedgerPersistence

/// The PostgreSQL schema: the numbered files of `schema/postgres`, embedded in the binary, each
/// applied once in a transaction and recorded in `schema_migrations`.
enum PostgresSchema {
    struct Migration {
        let name: String
        let sql: String
    }

    static let migrations = [
        Migration(name: "001_ledger", sql: String(decoding: PackageResources._01_ledger_sql, as: UTF8.self)),
    ]

    /// The statements of a schema file, split at each `;` that ends a statement (not one inside
    /// a `$$`-quoted function body); comment lines are dropped.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = [], current = "", quoted = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if !quoted, line.trimmingPrefix(while: \.isWhitespace).hasPrefix("--") { continue }
            current += line + "\n"
            quoted = line.components(separatedBy: "$$").count.isMultiple(of: 2) ? !quoted : quoted
            if !quoted, line.hasSuffix(";") {
                statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        return rest.isEmpty ? statements : statements + [rest]
    }
}

import Foundation
