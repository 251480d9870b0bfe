import Foundation
import LedgerPersistence
import LedgerCrypto

extension Hash256 {
    /// The digest as the 32-byte BLOB the tables store.
    var blob: Data { Data(bytes) }

    /// A digest from a stored 32-byte BLOB; nil for any other length.
    init?(blob: Data) {
        guard let hash = blob.withUnsafeBytes({ Hash256(raw: $0) }) else { return nil }
        self = hash
    }
}
