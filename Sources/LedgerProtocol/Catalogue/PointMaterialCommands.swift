import LedgerCore

/// Collection points and materials: what the scheme pays for, and where.
extension Commands {
    public struct PointAdd: ProtocolCommand {
        public static let verb = "POINT ADD"
        public static let usage = "POINT ADD ID name=TEXT [district=TEXT]"
        public static let summary = "add a collection point"
        public static let access = Access.admin
        public static let writes = true
        public let id: PointID, name: String, district: String?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            id = try arguments.identifier(positional: "point")
            name = try arguments.text("name")
            district = try arguments.optionalText("district")
        }
    }

    public struct PointClose: ProtocolCommand {
        public static let verb = "POINT CLOSE"
        public static let usage = "POINT CLOSE ID"
        public static let summary = "close a collection point"
        public static let access = Access.admin
        public static let writes = true
        public let id: PointID
        public init(parsing arguments: inout Arguments) throws(ProtocolError) { id = try arguments.identifier(positional: "point") }
    }

    /// `POINT RENAME ID name=TEXT [district=TEXT]`.
    public struct PointRename: ProtocolCommand {
        public static let verb = "POINT RENAME"
        public static let usage = "POINT RENAME ID name=TEXT [district=TEXT]"
        public static let summary = "correct a collection point's name or district"
        public static let access = Access.admin
        public static let writes = true
        public let id: PointID, name: String, district: String?
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            id = try arguments.identifier(positional: "point")
            name = try arguments.text("name")
            district = try arguments.optionalText("district")
        }
    }

    public struct PointList: ProtocolCommand {
        public static let verb = "POINT LIST"
        public static let usage = "POINT LIST"
        public static let summary = "the collection points"
        public static let access = Access.adminAndAuditor
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }

    /// `holdMs`: nil keeps the current hold, `.some(nil)` (`hold=0`) removes it.
    public struct MaterialSet: ProtocolCommand {
        public static let verb = "MATERIAL SET"
        public static let usage = "MATERIAL SET CODE rate=POINTS_PER_KG [name=TEXT] [min_kg=KG] [max_kg=KG] [hold=DURATION|0]"
        public static let summary = "add a material or change its rate, limits or hold"
        public static let access = Access.admin
        public static let writes = true
        public let code: MaterialCode, rate: Points, name: String?, minGrams: Grams?, maxGrams: Grams?, holdMs: Int64??
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {
            let hold = try arguments.optionalNamed("hold").map { (text: String) throws(ProtocolError) -> Int64? in
                if text == "0" { return nil }
                guard let ms = SchemeState.durationMs(parsing: text), MaterialState.holdRange.contains(ms) else {
                    throw ProtocolError.badArgument("hold", "must be 0 (no hold) or a duration such as 7d, from 1s to 90d")
                }
                return ms
            }
            code = try arguments.identifier(positional: "material")
            rate = try arguments.positivePoints("rate")
            name = try arguments.optionalText("name")
            minGrams = try arguments.optionalGrams("min_kg")
            maxGrams = try arguments.optionalGrams("max_kg")
            holdMs = hold
        }
    }

    public struct MaterialList: ProtocolCommand {
        public static let verb = "MATERIAL LIST"
        public static let usage = "MATERIAL LIST"
        public static let summary = "the materials and their rates"
        public static let access = Access.roles([.admin, .operator, .auditor])
        public init(parsing arguments: inout Arguments) throws(ProtocolError) {}
    }
}

extension CommandCatalogue {
    /// Points and materials, in `HELP`'s order: a command added to this file is listed here, beside it.
    static let pointMaterialFamily: [any ProtocolCommand.Type] = [Commands.PointAdd.self, Commands.PointClose.self, Commands.PointRename.self, Commands.PointList.self, Commands.MaterialSet.self, Commands.MaterialList.self]
}
