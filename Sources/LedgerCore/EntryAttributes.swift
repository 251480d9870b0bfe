/// An entry's attributes (`material`, `grams`, `point`…): a handful of key/value texts, unique
/// keys, kept sorted by key in byte order, the order of the canonical encoding and of the
/// stored `attrs` JSON (docs/LEDGER.md).
///
/// Not a `Dictionary`: every write and every replayed entry builds and reads a few of these,
/// and a short sorted array is made without hashing, read with a few comparisons of small
/// strings, and already in the order the encodings need.
public struct EntryAttributes: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence, CustomStringConvertible {
    public struct Pair: Hashable, Sendable {
        public let key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Sorted by key in byte order; keys unique.
    public private(set) var pairs: [Pair]

    public init() {
        pairs = []
    }

    /// A literal must not repeat a key (as a `Dictionary` literal must not).
    public init(dictionaryLiteral elements: (String, String)...) {
        guard let made = Self(pairs: elements) else { preconditionFailure("a repeated attribute in a literal") }
        self = made
    }

    public init(_ dictionary: [String: String]) {
        self.init(uncheckedSorted: dictionary.map { Pair(key: $0.key, value: $0.value) }.sorted(by: Self.ordered))
    }

    /// Nil when a key repeats.
    public init?(pairs: some Sequence<(String, String)>) {
        let sorted = pairs.map { Pair(key: $0.0, value: $0.1) }.sorted(by: Self.ordered)
        for index in sorted.indices.dropFirst() where !Self.ordered(sorted[index - 1], sorted[index]) { return nil }
        self.init(uncheckedSorted: sorted)
    }

    /// Pairs already sorted and unique (read from a canonical form that was checked to be).
    package init(uncheckedSorted pairs: [Pair]) {
        self.pairs = pairs
    }

    static func ordered(_ a: Pair, _ b: Pair) -> Bool {
        a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
    }

    /// Keys are matched byte for byte, as they are ordered (not by `String ==`, which would
    /// take two spellings of one text for the same key).
    public subscript(key: String) -> String? {
        get { index(of: key).map { pairs[$0].value } }
        set {
            let index = pairs.firstIndex { !Self.ordered($0, Pair(key: key, value: "")) } ?? pairs.endIndex
            let present = index < pairs.endIndex && Self.sameBytes(pairs[index].key, key)
            switch (newValue, present) {
            case (let value?, true): pairs[index].value = value
            case (let value?, false): pairs.insert(Pair(key: key, value: value), at: index)
            case (nil, true): pairs.remove(at: index)
            case (nil, false): break
            }
        }
    }

    /// Where `key` is in `pairs`, matched byte for byte.
    public func index(of key: String) -> Int? {
        pairs.firstIndex { Self.sameBytes($0.key, key) }
    }

    /// The same UTF-8 bytes: string equality first, then the lengths and the bytes in place
    /// (every replayed entry looks up a few keys; the generic comparison of two UTF-8 views
    /// steps them one by one).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        // Equal bytes are equal strings, so unequal strings (the usual answer, and a quick one
        // for short ASCII keys) have unequal bytes; equal strings may still be two spellings.
        guard a == b, a.utf8.count == b.utf8.count else { return false }
        let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                // Indexed, not `elementsEqual`: its iterators cost about 200 instructions a key.
                for index in x.indices where x[index] != y[index] { return false }
                return true
            }
        }
        return (inPlace ?? nil) ?? a.utf8.elementsEqual(b.utf8)
    }

    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }
    /// In byte order.
    public var keys: [String] { pairs.map(\.key) }
    public var values: [String] { pairs.map(\.value) }

    public func makeIterator() -> some IteratorProtocol<(key: String, value: String)> {
        pairs.lazy.map { (key: $0.key, value: $0.value) }.makeIterator()
    }

    public var description: String {
        "[" + pairs.map { "\($0.key.debugDescription): \($0.value.debugDescription)" }.joined(separator: ", ") + "]"
    }
}
