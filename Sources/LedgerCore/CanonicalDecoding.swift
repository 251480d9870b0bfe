import LedgerCrypto

/// Reads canonical bytes back into an entry (the inverse of `CanonicalEncoding`), so a receipt,
/// which carries only those bytes, can show what its entry says and recompute its hash.
public enum CanonicalDecoding {
    public static func decode(_ bytes: [UInt8]) throws(LedgerError) -> Entry {
        var reader = Reader(bytes: bytes[...])
        guard try reader.byte() == CanonicalEncoding.version else { throw .invalid("entry", "unknown canonical encoding version") }
        let seq = try reader.int64()
        let timeMs = try reader.int64()
        guard let kind = EntryKind(rawValue: try reader.string()) else { throw .invalid("entry", "unknown entry kind") }
        let debit = try reader.string(), credit = try reader.string()
        let amount = try reader.int64()
        let actor = try reader.string(), ref = try reader.string()
        var pairs: [(String, String)] = []
        for _ in 0..<(try reader.uint32()) {
            pairs.append((try reader.string(), try reader.string()))
        }
        guard let attributes = EntryAttributes(pairs: pairs) else { throw .invalid("entry", "a repeated attribute") }
        guard reader.bytes.count == Hash256.byteCount, let prevHash = Hash256(bytes: reader.bytes) else {
            throw .invalid("entry", "the canonical bytes end in the previous hash (32 bytes)")
        }
        let body = EntryBody(kind: kind, debit: debit.isEmpty ? nil : AccountID(unchecked: debit), credit: credit.isEmpty ? nil : AccountID(unchecked: credit),
                             amount: Points(centipoints: amount), actor: Actor(unchecked: actor),
                             ref: ref.isEmpty ? nil : ClientRef(unchecked: ref), attributes: attributes)
        // What a receipt shows must be what the ledger could hold: valid ids, and text without
        // control characters (an escape sequence could repaint a terminal).
        for id in [debit, credit, ref] where !id.isEmpty {
            guard AccountID.isValid(id) else { throw .invalid("entry", "an id is not valid") }
        }
        guard Actor.isValid(actor) else { throw .invalid("entry", "the actor is not a valid id") }
        for (key, value) in attributes {
            guard key.utf8.allSatisfy({ (0x61...0x7a).contains($0) || $0 == 0x5f }),
                  value.utf8.count <= FreeText.maxBytes, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .invalid("entry", "an attribute holds text the ledger never writes")
            }
        }
        let hash: Hash256
        do { hash = try SHA256.digest(prevHash.bytes + bytes) } catch { throw .invalid("entry", "could not hash: \(error)") }
        let entry = Entry(seq: seq, timeMs: timeMs, body: body, prevHash: prevHash, hash: hash)
        guard entry.canonicalBytes == bytes else { throw .invalid("entry", "the bytes are not in canonical form") }
        return entry
    }

    struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func take(_ count: Int) throws(LedgerError) -> ArraySlice<UInt8> {
            guard bytes.count >= count else { throw .invalid("entry", "the canonical bytes end early") }
            defer { bytes = bytes.dropFirst(count) }
            return bytes.prefix(count)
        }

        mutating func byte() throws(LedgerError) -> UInt8 { try take(1).first! }
        mutating func int64() throws(LedgerError) -> Int64 { Int64(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) }) }
        mutating func uint32() throws(LedgerError) -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }

        mutating func string() throws(LedgerError) -> String {
            let count = Int(try uint32())
            guard let text = String(validating: try take(count), as: UTF8.self) else { throw .invalid("entry", "a string is not UTF-8") }
            return text
        }
    }
}

/// An entry the way a resident reads it: "seq 15, 2026-11-25 14:03 UTC: drop-off of 2.5 kg PET
/// at CP-DEMO, 45.00 points to R-DEMO-1".
public enum EntryDescription {
    /// `offsetMinutes`: the zone its time is shown in (`2026-01-01T08:00+08:00`); nil: UTC
    /// (`2026-01-01 00:00 UTC`).
    public static func describe(_ entry: Entry, offsetMinutes: Int? = nil) -> String {
        let body = entry.body
        let a = { (key: String) in body[key] ?? "?" }
        let what: String
        switch body.kind {
        case .dropoff:
            let kg = Int64(a(AttributeKey.grams)).map { Grams($0).kilograms } ?? "?"
            what = "drop-off of \(kg) kg \(a(AttributeKey.material)) at \(a(AttributeKey.point)), \(body.amount) points to \(body.credit?.rawValue ?? "?")"
        case .redemption: what = "redemption of \(body.amount) points by \(body.debit?.rawValue ?? "?") at \(body.credit?.rawValue ?? "?")"
        case .donation: what = "donation of \(body.amount) points from \(body.debit?.rawValue ?? "?") to \(body.credit?.rawValue ?? "?")"
        case .settlement: what = "settlement of \(body.amount) points from \(body.debit?.rawValue ?? "?")"
        case .reversal: what = "reversal of entry \(a(AttributeKey.reverses)): \(body.amount) points from \(body.debit?.rawValue ?? "?") back to \(body.credit?.rawValue ?? "?")"
        case .accountOpened: what = "account \(a(AttributeKey.account)) opened (\(a(AttributeKey.accountKind)))"
        case .pinChanged: what = "PIN of \(a(AttributeKey.account)) changed"
        case .pinRejected: what = "wrong PIN for \(a(AttributeKey.account))"
        case .accountUnlocked: what = "account \(a(AttributeKey.account)) unlocked"
        case .accountClosed:
            what = "account \(a(AttributeKey.account)) closed" + (body.amount > .zero ? ", \(body.amount) points forfeited" : "")
        case .accountErased: what = "profile of account \(a(AttributeKey.account)) erased"
        case .pointAdded: what = "collection point \(a(AttributeKey.point)) added"
        case .pointClosed: what = "collection point \(a(AttributeKey.point)) closed"
        case .pointRenamed: what = "collection point \(a(AttributeKey.point)) renamed \(a(AttributeKey.name).debugDescription)"
        case .accountRenamed: what = "account \(a(AttributeKey.account)) renamed \(a(AttributeKey.name).debugDescription)"
        case .materialSet: what = "material \(a(AttributeKey.material)) set to \(Int64(a(AttributeKey.rate)).map { Points(centipoints: $0).description } ?? "?") points/kg"
        case .tokenIssued: what = "token \(a(AttributeKey.token)) issued (\(a(AttributeKey.role)))"
        case .tokenRevoked: what = "token \(a(AttributeKey.token)) revoked"
        case .schemeSet: what = "scheme settings changed"
        case .expiry: what = "\(body.amount) points of \(body.debit?.rawValue ?? "?") expired"
        case .holdPosted: what = "held drop-off \(a(AttributeKey.dropoff)) posted"
        case .holdVoided: what = "held drop-off \(a(AttributeKey.dropoff)) voided: \(body.amount) points back from \(body.debit?.rawValue ?? "?")"
        }
        let when = offsetMinutes.map { SchemeCalendar.localMinute(entry.timeMs, offsetMinutes: $0) } ?? utcMinute(entry.timeMs)
        return "seq \(entry.seq), \(when): \(what)"
    }

    /// `YYYY-MM-DD HH:MM UTC` from milliseconds since the epoch (civil-from-days, no Foundation).
    public static func utcMinute(_ timeMs: Int64) -> String {
        let seconds = timeMs >= 0 ? timeMs / 1000 : (timeMs - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let minuteOfDay = (seconds - days * 86_400) / 60
        let date = CivilDate(days: days)
        let (year, month, day) = (date.year, date.month, date.day)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(minuteOfDay / 60)):\(two(minuteOfDay % 60)) UTC"
    }
}
