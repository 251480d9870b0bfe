import Foundation
import LedgerCrypto

extension Hash256 {
    /// The digest as the 32-byte BLOB the tables store.
    var blob: Data { Data(bytes) }
}
