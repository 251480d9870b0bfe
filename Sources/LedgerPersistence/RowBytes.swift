import LedgerCore

/// Memory set aside at the end of a byte array for one row, written front to back: the audit's
/// scan writes each entry's canonical bytes here, straight after the previous entry's, and
/// hashes them in place. Every write is checked against the space set aside (a write past it
/// stops the process, never the memory after it); a write costs a bounds check and a copy, where
/// `Array.append(contentsOf:)` costs about a hundred instructions, some forty times a row.
struct RowBytes: CanonicalOutput {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    /// Sets aside `capacity` bytes at the end of `array` for `write`, and keeps those `write`
    /// wrote (the rest is given back). The memory is the array's again once `write` returns,
    /// so the writer is used only inside `write`, never kept.
    static func append<R>(to array: inout [UInt8], reserving capacity: Int, _ write: (inout RowBytes) -> R) -> R {
        var result: R?
        array.append(addingCapacity: capacity) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                // Written front to back, so the bytes before `count` are the initialized ones.
                var row = RowBytes(base: UnsafeMutableRawPointer(buffer.baseAddress!), capacity: buffer.count)
                result = write(&row)
                initialized = row.count
            }
        }
        return result!
    }

    private init(base: UnsafeMutableRawPointer, capacity: Int) {
        (self.base, self.capacity) = (base, capacity)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        precondition(count < capacity, "a row's bytes outgrew the space set aside for them")
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    mutating func append(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= capacity - count, "a row's bytes outgrew the space set aside for them")
        if let source = bytes.baseAddress { (base + count).copyMemory(from: source, byteCount: bytes.count) }
        count += bytes.count
    }

    @inline(__always)
    mutating func append(bigEndian value: UInt64) { store(value.bigEndian) }

    @inline(__always)
    mutating func append(bigEndian value: UInt32) { store(value.bigEndian) }

    @inline(__always)
    private mutating func store<T: FixedWidthInteger>(_ value: T) {
        precondition(MemoryLayout<T>.size <= capacity - count, "a row's bytes outgrew the space set aside for them")
        (base + count).storeBytes(of: value, as: T.self)
        count += MemoryLayout<T>.size
    }

    mutating func append<Text: Collection<UInt8>>(contentsOf text: Text) {
        if text.withContiguousStorageIfAvailable({ append(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            for byte in text { append(byte) }
        }
    }

    /// Overwrites a big-endian length written earlier as a placeholder.
    mutating func setUInt32(_ value: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset <= count - 4, "a length is set only where one was written")
        (base + offset).storeBytes(of: value.bigEndian, as: UInt32.self)
    }

    /// The bytes written at `range` (a range of this row's own offsets).
    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "only written bytes are read back")
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
