/// One change to the projections (the tables derived from the journal), as absolute new values.
///
/// Effects compute these from an entry; storage only writes them, so the meaning of every
/// entry is defined once, in `Effects`, for the store and the audit's replay alike.
public enum ProjectionChange: Hashable, Sendable {
    case putAccount(AccountState)
    case putPoint(PointState)
    case putMaterial(MaterialState)
    case putToken(TokenState)
    case putScheme(SchemeState)
    case putHold(HoldState)
    /// The resident's profile is erased: the stored name and district are deleted.
    case eraseProfile(AccountID)
    /// Entry `original` has been reversed by the entry being applied.
    case markReversed(original: Int64)
}
