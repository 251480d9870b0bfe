import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// The audit of the signed checkpoints and witnesses' cosignatures kept beside the journal.
extension LedgerAuditor {
    /// The roots the journal's tree must have: each stored checkpoint's, once its signature
    /// checks, and the anchor's; and the cosignatures kept (all checked for form), and how many
    /// of them were checked with a given witness key.
    func signedRoots() throws -> (roots: [Int64: [(root: Hash256, what: String)]], cosignatures: (kept: Int, verified: Int)) {
        var roots: [Int64: [(root: Hash256, what: String)]] = [:]
        if let anchor { roots[anchor.size, default: []].append((anchor.root, "the given checkpoint (size \(anchor.size))")) }
        let stored = try storedCheckpoints()
        var cosignatures = try storedCosignatures()
        let kept = cosignatures.values.reduce(0) { $0 + $1.count }
        var verified = 0
        if !stored.isEmpty {
            let key: NoteKey
            do {
                guard let known = try logKey ?? recordedLogKey(reportingAt: stored[0].size).map({ try NoteKey(verifierKey: $0) }) else {
                    throw AuditFailure(seq: stored[0].size, reason: "the ledger has signed checkpoints but no log key to check them with")
                }
                key = known
            } catch let error as NoteError {
                throw AuditFailure(seq: stored[0].size, reason: "the recorded log key is malformed: \(error)")
            }
            for checkpoint in stored {
                let signed: SignedNote
                do {
                    let (opened, note) = try Checkpoint.open(checkpoint.note, logKey: key)
                    guard opened.size == checkpoint.size, opened.root == checkpoint.root else {
                        throw NoteError.unverified("its note says size \(opened.size), not the row's")
                    }
                    signed = note
                } catch let error as NoteError {
                    throw AuditFailure(seq: checkpoint.size, reason: "checkpoint \(checkpoint.size) is not signed by \(key.verifierKey): \(error)")
                }
                // Cosignatures are kept in their own table, where the audit checks them: a line in
                // the note itself would be served as one without any check.
                guard signed.signatures.count == 1 else {
                    throw AuditFailure(seq: checkpoint.size, reason: """
                        checkpoint \(checkpoint.size)'s note carries \(signed.signatures.count) signature lines: it must hold the log's alone
                        """)
                }
                roots[checkpoint.size, default: []].append((checkpoint.root, "the log signed checkpoint \(checkpoint.size)"))
                for (witness, line) in cosignatures.removeValue(forKey: checkpoint.size) ?? [] {
                    if try checkCosignature(line, of: witness, on: signed.text, size: checkpoint.size) { verified += 1 }
                }
            }
        }
        if let orphan = cosignatures.keys.min() {
            throw AuditFailure(seq: orphan, reason: "a cosignature of size \(orphan) has no checkpoint")
        }
        return (roots, (kept, verified))
    }

    /// The `checkpoints` rows in order of size, each read strictly: a malformed one is reported at
    /// its size.
    func storedCheckpoints() throws -> [(size: Int64, root: Hash256, note: String)] {
        let rows = try source.cursor("SELECT size, root, note, time_ms FROM checkpoints ORDER BY size")
        var stored: [(size: Int64, root: Hash256, note: String)] = []
        while let row = try rows.next() {
            // `size` is the table's integer primary key on both engines, so always an integer.
            let size = (try? row.integer(0, "size", atLeast: 0)) ?? 0
            do {
                guard let root = Hash256(bytes: try row.blob(1, "root")) else { throw StoreError.corrupt("root is not 32 bytes") }
                let note = try row.text(2, "note")
                _ = try row.integer(3, "time_ms")
                stored.append((size, root, note))
            } catch let error as StoreError {
                guard case .corrupt(let why) = error else { throw error }
                throw AuditFailure(seq: size, reason: "checkpoint \(size) is malformed: \(why)")
            }
        }
        return stored
    }

    /// The `cosignatures` rows, by size, each (witness, line) in order of witness; read strictly,
    /// a malformed one is reported at its size (0 when that is not an integer).
    func storedCosignatures() throws -> [Int64: [(witness: String, line: String)]] {
        let rows = try source.cursor("SELECT size, witness, line FROM cosignatures ORDER BY size, witness")
        var stored: [Int64: [(witness: String, line: String)]] = [:]
        while let row = try rows.next() {
            let size = (try? row.integer(0, "size", atLeast: 0)) ?? 0
            do {
                _ = try row.integer(0, "size", atLeast: 0)
                stored[size, default: []].append((try row.text(1, "witness"), try row.text(2, "line")))
            } catch let error as StoreError {
                guard case .corrupt(let why) = error else { throw error }
                throw AuditFailure(seq: size, reason: "a cosignature row of size \(size) is malformed: \(why)")
            }
        }
        return stored
    }

    /// The verifier key `ecoledgerd` recorded in `ledger_meta`, if any.
    func recordedLogKey(reportingAt seq: Int64) throws -> String? {
        guard let row = try source.cursor("SELECT value FROM ledger_meta WHERE key = 'log_key'").next() else { return nil }
        do {
            return try row.text(0, "log_key")
        } catch {
            throw AuditFailure(seq: seq, reason: "the recorded log key is malformed: \(error)")
        }
    }

    /// One stored cosignature of the checkpoint whose text is `text`: one well-formed
    /// cosignature/v1 line (c2sp.org/tlog-cosignature) by `witness`, the row's own; and, when a
    /// key of that witness was given, signed by one of them. True when its signature was checked.
    func checkCosignature(_ line: String, of witness: String, on text: String, size: Int64) throws -> Bool {
        func fail(_ why: String) -> AuditFailure {
            AuditFailure(seq: size, reason: "checkpoint \(size)'s cosignature by \(witness.debugDescription) \(why)")
        }
        guard let parsed = try? SignedNote(parsing: "c\n\n" + line), parsed.signatures.count == 1 else {
            throw AuditFailure(seq: size, reason: "checkpoint \(size) has a malformed cosignature line (witness \(witness.debugDescription))")
        }
        let signature = parsed.signatures[0]
        guard signature.name == witness else { throw fail("is a line of \(signature.name.debugDescription)") }
        guard signature.payload.count == 8 + Ed25519.signatureCount,
              signature.payload.prefix(8).reduce(UInt64(0), { $0 << 8 | UInt64($1) }) <= UInt64(Int64.max) else {
            throw fail("is not a cosignature/v1 line (key ID, time up to 2^63-1 and signature: 76 bytes)")
        }
        let keys = witnessKeys.filter { $0.name == witness }
        guard !keys.isEmpty else { return false }
        guard let key = keys.first(where: { $0.keyID == signature.keyID }) else {
            throw fail("is signed by key ID \(String(format: "%08x", signature.keyID)), which none of the witness keys given for it has")
        }
        do {
            guard try Cosignature.verify(SignedNote(text: text, signatures: [signature]), witness: key) != nil else {
                throw fail("is not by \(key.verifierKey)")
            }
        } catch let error as NoteError {
            throw fail("does not verify with \(key.verifierKey): \(error)")
        }
        return true
    }
}
