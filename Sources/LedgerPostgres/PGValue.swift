import NIOCore
import PostgresNIO

/// A statement parameter, so a call site lists its values in order: `[.int(seq), .text(id)]`.
enum PGValue {
    case int(Int64)
    case text(String)
    case optionalText(String?)
    case optionalInt(Int64?)
    case bytes([UInt8])
    case ints([Int64])
    case texts([String])
    case byteArrays([[UInt8]])

    static func flag(_ value: Bool) -> PGValue { .int(value ? 1 : 0) }
}

extension PostgresBindings {
    init(_ values: [PGValue]) {
        self.init(capacity: values.count)
        for value in values {
            switch value {
            case .int(let number): append(number)
            case .text(let text): append(text)
            case .optionalText(let text): append(text)
            case .optionalInt(let number): append(number)
            case .bytes(let bytes): append(ByteBuffer(bytes: bytes))
            case .ints(let numbers): append(numbers)
            case .texts(let texts): append(texts)
            case .byteArrays(let arrays): append(arrays.map { ByteBuffer(bytes: $0) })
            }
        }
    }
}

extension PGConnection {
    @discardableResult
    func query(_ sql: String, _ values: [PGValue]) throws -> [PGRow] {
        try query(sql, PostgresBindings(values))
    }

    func execute(_ sql: String, _ values: [PGValue]) throws -> Int {
        try execute(sql, PostgresBindings(values))
    }

    /// The first row, if any.
    func one(_ sql: String, _ values: [PGValue] = []) throws -> PGRow? {
        try query(sql, values).first
    }
}
