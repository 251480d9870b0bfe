/// The version of ecoledger, one for all its programs: `--version`, and `HELLO`'s `version=`.
public enum EcoLedgerVersion {
    public static let text = "0.3.0"
}
