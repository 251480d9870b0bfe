import LedgerCore

/// The transparency log: signed checkpoints, proofs, receipts and witnesses' cosignatures.
extension Commands {
    /// The latest signed checkpoint, with witnesses' cosignatures.
    public struct CheckpointRead: ProtocolCommand {
        public static let verb = "CHECKPOINT"
        public static let usage = "CHECKPOINT"
        public static let summary = "the latest signed checkpoint"
        public static let access = Access.tokenRoles
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    /// The RFC 6962 consistency proof between two tree sizes.
    public struct Consistency: ProtocolCommand {
        public static let verb = "CONSISTENCY"
        public static let usage = "CONSISTENCY OLD NEW"
        public static let summary = "a consistency proof between two tree sizes"
        public static let access = Access.tokenRoles
        public let old: Int64, new: Int64
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            old = try arguments.size(positional: "old")
            new = try arguments.size(positional: "new")
            guard old <= new else { throw ProtocolError.badArgument("old", "must not be above new") }
        }
    }

    /// A tlog-proof receipt for one entry. Its scope depends on the entry, which the handler reads.
    public struct ReceiptRead: ProtocolCommand {
        public static let verb = "RECEIPT"
        public static let usage = "RECEIPT SEQ"
        public static let summary = "a verifiable receipt of one entry"
        public static let access = Access.scoped([
            .admin: .all, .auditor: .all,
            .operator: .limited("entries of its own point, and its own"),
            .merchant: .limited("entries that debit or credit its account, and its own"),
            .resident: .limited("entries that debit or credit its account"),
        ])
        public let seq: Int64
        public init(parsing arguments: inout Arguments) throws(ProtocolError) { seq = try arguments.seq(positional: "seq") }
    }

    /// A witness's cosignature of the checkpoint of `size`: the signature line's name and base64 payload.
    public struct Cosign: ProtocolCommand {
        public static let verb = "COSIGN"
        public static let usage = "COSIGN SIZE name=NAME signature=BASE64"
        public static let summary = "a witness's cosignature of a checkpoint"
        public static let access = Access.roles([.witness], refusal: "only witness tokens hand in cosignatures")
        public let size: Int64, name: String, signature: String
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            size = try arguments.size(positional: "size")
            name = try arguments.named("name")
            signature = try arguments.named("signature")
            guard !name.isEmpty, name.utf8.count <= 200, !name.unicodeScalars.contains(where: { $0 == "+" || $0.properties.isWhitespace }) else {
                throw ProtocolError.badArgument("name", "a witness name has no spaces or +")
            }
            guard signature.utf8.count <= 200, signature.utf8.allSatisfy({ byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
            }) else { throw ProtocolError.badArgument("signature", "expected base64") }
        }
    }
}

extension CommandCatalogue {
    /// The transparency log, in `HELP`'s order: a command added to this file is listed here, beside it.
    static let transparencyFamily: [any ProtocolCommand.Type] = [Commands.CheckpointRead.self, Commands.Consistency.self, Commands.ReceiptRead.self, Commands.Cosign.self]
}
