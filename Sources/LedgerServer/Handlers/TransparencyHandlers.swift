import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerProtocol
import LedgerTransparency

extension CommandContext {
    /// The log's signer; without a log key the transparency commands are UNAVAILABLE.
    func checkpointer() throws(ProtocolError) -> Checkpointer {
        guard let checkpointer = services.checkpointer else { throw ProtocolError(.unavailable, "this server has no log key: it signs no checkpoints") }
        return checkpointer
    }
}

extension Commands.CheckpointRead: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let checkpoint = try await context.checkpointer().current()
        return .ok([("size", String(checkpoint.size)), ("root", Base64.encode(checkpoint.root.bytes)),
                    ("note", Base64.encode(Array(checkpoint.servedNote.utf8)))])
    }
}

extension Commands.Consistency: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        _ = try context.checkpointer()
        let (old, new) = (old, new)
        let proof = try await context.ledger.read { try $0.consistencyProof(old: old, new: new) }
        return .list(proof.map { [("hash", Base64.encode($0.bytes))] })
    }
}

extension Commands.ReceiptRead: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let checkpointer = try context.checkpointer()
        let seq = self.seq
        guard let entry = try await context.ledger.read({ try $0.entry(seq: seq) }) else { throw LedgerError.notFound("no entry \(seq)") }
        try Self.checkAccess(entry, context.principal)
        _ = try await checkpointer.checkpoint(covering: seq)
        guard let receipt = try await context.ledger.read({ try $0.receipt(seq: seq) }) else {
            throw ProtocolError(.unavailable, "no checkpoint covers entry \(seq) yet; retry")
        }
        return .ok([("seq", String(seq)), ("proof", Base64.encode(Array(receipt.encoded.utf8)))])
    }

    /// Admin and auditor may have a receipt for any entry; an operator for the entries of its
    /// point; a merchant for those that move points into or out of its account; everyone but a
    /// witness or a resident for the entries written under their own token.
    static func checkAccess(_ entry: Entry, _ principal: Principal?) throws(ProtocolError) {
        guard let principal else { throw ProtocolError(.notAuthenticated, "RECEIPT needs AUTH first") }
        // Residents share one fixed actor, so for them this shortcut would reach other residents' entries.
        if entry.body.actor == principal.actor, principal.role != .witness, principal.role != .resident { return }
        switch principal.role {
        case .admin, .auditor:
            return
        case .operator:
            guard let point = principal.point, entry.body[AttributeKey.point] == point.rawValue else {
                throw ProtocolError(.forbidden, "operators have receipts for the entries of their own point only")
            }
        case .merchant:
            guard let merchant = principal.merchant, entry.body.debit == merchant || entry.body.credit == merchant else {
                throw ProtocolError(.forbidden, "merchants have receipts for their own account's entries only")
            }
        case .witness:
            throw ProtocolError(.forbidden, "witness tokens have no receipts")
        case .resident:
            guard let own = principal.resident, entry.body.debit == own || entry.body.credit == own else {
                throw ProtocolError(.forbidden, "residents have receipts for their own account's entries only")
            }
        }
    }
}

/// A witness's cosignature: checked against the witness's key and the stored checkpoint's
/// text, then kept beside it and served with it.
extension Commands.Cosign: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        _ = try context.checkpointer()
        let (size, name) = (size, name)
        guard let witness = context.services.witnesses.first(where: { $0.name == name }) else {
            throw ProtocolError(.forbidden, "no witness named \(name) is configured on this server")
        }
        guard let stored = try await context.ledger.read({ try $0.checkpoint(size: size) }) else { throw LedgerError.notFound("no checkpoint of size \(size)") }
        let line = try Self.signatureLine(name: name, signature: signature)
        let note = SignedNote(text: try SignedNote(parsing: stored.note).text, signatures: [line])
        let time: UInt64?
        do { time = try Cosignature.verify(note, witness: witness) } catch { throw ProtocolError.badArgument("signature", "\(error)") }
        guard let time else { throw ProtocolError.badArgument("signature", "not a cosignature by \(witness.verifierKey)") }
        try await context.ledger.write { try $0.recordCosignature(size: size, witness: name, line: line.line) }
        context.logger.info("cosignature", metadata: ["witness": "\(name)", "size": "\(size)"])
        return .ok([("size", String(size)), ("witness", name), ("time", String(time))])
    }

    /// The signature line a cosignature/v1 payload (key ID, time, signature) makes.
    static func signatureLine(name: String, signature: String) throws(ProtocolError) -> SignedNote.Signature {
        guard let bytes = Base64.decode(signature) else { throw ProtocolError.badArgument("signature", "expected base64") }
        guard bytes.count == 4 + 8 + Ed25519.signatureCount else {
            throw ProtocolError.badArgument("signature", "a cosignature/v1 payload is 76 bytes (key ID, time, signature), got \(bytes.count)")
        }
        return SignedNote.Signature(name: name, keyID: bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }, payload: Array(bytes.dropFirst(4)))
    }
}
