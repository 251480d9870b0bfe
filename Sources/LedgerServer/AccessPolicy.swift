import LedgerCore
import LedgerProtocol

/// Which principal may run which command: the role matrix of docs/PROTOCOL.md.
///
/// Before `AUTH`, only PING, HELLO, AUTH and QUIT. admin: everything. operator: DROPOFF at its
/// own point, DONATE, ACCOUNT OPEN of residents, BALANCE and HISTORY of any account but the
/// `sys:` ones, MATERIAL LIST. merchant:
/// REDEEM into its own account, BALANCE and HISTORY of its own account. auditor: the read-only
/// BALANCE, HISTORY, ENTRY, HEAD, AUDIT, STATS, RECEIPT and the lists. witness: CHECKPOINT,
/// CONSISTENCY and COSIGN only. resident (a session opened with the resident's PIN): BALANCE,
/// HISTORY and RECEIPT of their own account, and ACCOUNT PIN with the old PIN. Every token role may
/// read CHECKPOINT, CONSISTENCY and SCHEME SHOW;
/// RECEIPT is further limited per entry (`CommandExecutor.checkReceiptAccess`).
public enum AccessPolicy {
    public static func check(_ command: Command, by principal: Principal?) throws(ProtocolError) {
        switch command {
        case .ping, .hello, .auth, .authResident, .quit:
            return
        default:
            break
        }
        guard let principal else {
            throw ProtocolError(.notAuthenticated, "\(command.verb) needs AUTH first")
        }
        // Checkpoints, consistency proofs and the scheme's settings are public to every token's
        // role (a resident's session is narrower); a cosignature is a witness's to give.
        switch command {
        case .checkpoint, .consistency, .schemeShow:
            guard principal.role == .resident else { return }
        case .cosign:
            guard principal.role == .witness else {
                throw ProtocolError(.forbidden, "only witness tokens hand in cosignatures")
            }
            return
        default:
            break
        }
        func forbid(_ why: String? = nil) -> ProtocolError {
            ProtocolError(.forbidden, why ?? "\(principal.role.rawValue) tokens may not use \(command.verb)")
        }
        switch principal.role {
        case .admin:
            return
        case .operator:
            switch command {
            case .dropoff(let dropoff):
                guard dropoff.point == principal.point else {
                    throw forbid("this operator token registers drop-offs at \(principal.point?.rawValue ?? "no point") only")
                }
            case .accountOpen(_, let kind, _, _, _, _):
                guard kind == .resident else { throw forbid("operators open resident accounts only") }
            case .balance(let account), .history(let account, _, _):
                guard !account.isSystemReserved else { throw forbid("system accounts are for administrators and auditors") }
            case .donate, .materialList, .receipt, .post:
                return
            default:
                throw forbid()
            }
        case .merchant:
            switch command {
            case .redeem(let spend):
                guard spend.payee == principal.merchant else {
                    throw forbid("this merchant token redeems into \(principal.merchant?.rawValue ?? "no account") only")
                }
            case .balance(let account), .history(let account, _, _):
                guard account == principal.merchant else { throw forbid("merchant tokens see their own account only") }
            case .receipt:
                return
            default:
                throw forbid()
            }
        case .auditor:
            switch command {
            case .balance, .history, .entry, .head, .audit, .stats, .pointList, .materialList, .tokenList, .receipt, .alerts:
                return
            default:
                throw forbid()
            }
        case .witness:
            throw forbid("witness tokens read checkpoints and consistency proofs and hand in cosignatures only")
        case .resident:
            let own = principal.resident
            switch command {
            case .balance(let account), .history(let account, _, _):
                guard account == own else { throw forbid("a resident sees their own account only") }
            case .accountPIN(let account, _, let old):
                guard account == own, old != nil else {
                    throw forbid("a resident changes their own PIN only, giving the current one: ACCOUNT PIN ID old=PIN pin=NEW")
                }
            case .receipt:
                return // per entry, in CommandExecutor.checkReceiptAccess
            default:
                throw forbid("a resident's session allows BALANCE, HISTORY and RECEIPT of their own account and ACCOUNT PIN, nothing else")
            }
        }
    }
}
