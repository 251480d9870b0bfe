import ArgumentParser
import Foundation
import LedgerPersistence
import LedgerCLI
import LedgerCore
import LedgerStore
import LedgerTransparency

/// What an audit can be checked against beyond the file itself: a head and a checkpoint kept
/// elsewhere, the log's key and the witnesses' keys. `verify`, `backup` and `restore` share them.
struct AuditOptions: ParsableArguments {
    @Option(name: .customLong("expect-head"), help: ArgumentHelp(
        "The head recorded elsewhere, as SEQ:HASH; a journal that does not reach it is reported as truncated.",
        valueName: "seq:hash"))
    var expectHead: String?

    @Option(help: ArgumentHelp("A checkpoint kept elsewhere: a signed checkpoint file (a witness's state) or a receipt (.tlog-proof); the journal's tree at its size must have its root.", valueName: "file"))
    var checkpoint: String?

    @Option(name: .customLong("log-key"), help: "The log's verifier key (NAME+KEYID+BASE64): checks --checkpoint and every checkpoint stored in the ledger.")
    var logKey: String?

    @Option(name: .customLong("witness-key"), help: ArgumentHelp(
        "A witness's verifier key (NAME+KEYID+BASE64, as `ecoledger key public --witness` prints it): the signature of every cosignature kept for that witness must check. Repeatable; cosignatures of witnesses without a key are checked for form only.",
        valueName: "vkey"))
    var witnessKeys: [String] = []

    func validate() throws {
        for text in witnessKeys {
            guard let key = try? NoteKey(verifierKey: text), key.kind == .cosignatureV1 else {
                throw ValidationError("--witness-key must be a witness's verifier key (NAME+KEYID+BASE64 of a cosignature key), got \(text.debugDescription)")
            }
        }
        if let expectHead, ExpectedHead(expectHead) == nil {
            throw ValidationError("--expect-head must be SEQ:HASH with a 64-digit hex hash, got \(expectHead.debugDescription)")
        }
        if checkpoint != nil, logKey == nil { throw ValidationError("--checkpoint needs --log-key, the key it must be signed with") }
    }

    /// Audits `store` with these expectations; `progress` as `LedgerStore.verify` takes it.
    func verify(_ store: any LedgerAuditing, progress: ((Int64, Int64) -> Void)? = nil) throws -> Result<AuditReport, AuditFailure> {
        try Self.verify(store, expectHead: expectHead, checkpoint: checkpoint, logKey: logKey, witnessKeys: witnessKeys, progress: progress)
    }

    static func verify(_ store: any LedgerAuditing, expectHead: String? = nil, checkpoint: String? = nil, logKey: String?,
                       witnessKeys: [String] = [], progress: ((Int64, Int64) -> Void)? = nil) throws -> Result<AuditReport, AuditFailure> {
        let key = try logKey.map { try NoteKey(verifierKey: $0) }
        let witnesses = try witnessKeys.map { try NoteKey(verifierKey: $0) }
        var anchor: Checkpoint?
        if let checkpoint, let key {
            guard let data = FileManager.default.contents(atPath: checkpoint) else { throw CLIFailure.message("cannot read \(checkpoint)") }
            var text = String(decoding: data, as: UTF8.self)
            // A receipt (.tlog-proof) carries a checkpoint: use that.
            if text.hasPrefix(InclusionReceipt.header + "\n") { text = try InclusionReceipt(parsing: text).checkpoint.encoded }
            anchor = try Checkpoint.open(text, logKey: key).0
        }
        return try store.verify(expecting: expectHead.flatMap(ExpectedHead.init), logKey: key, anchor: anchor, witnessKeys: witnesses,
                                progressEvery: 50_000, progress: progress)
    }
}
