import GRDB
import LedgerPersistence

extension StoreError {
    /// The store's view of an SQLite failure: a full disk or an I/O error is `unavailable`
    /// (the write can be retried later); anything else is passed on as it is.
    static func classify(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_FULL: return StoreError.unavailable("the disk is full; nothing was written")
        case .SQLITE_IOERR: return StoreError.unavailable("I/O error (\(error.extendedResultCode)); nothing was written")
        default: return error
        }
    }
}
