import Foundation
import GRDB
import LedgerCore
import LedgerStore
import LedgerTestSupport
import Synchronization
import Testing

/// `ecoledger report` as a city would use it: CSV whose figures reconcile with the ledger, and an
/// HTML report rendered by a real browser (Debian's chromium, headless) whose charts are drawn.
@Suite("ecoledger report", .serialized)
struct ReportCLITests {
    /// Four months of drop-offs of three materials at three points, with redemptions.
    static func ledger(at path: String) throws {
        let now = Mutex<Int64>(1_767_225_600_000)
        let store = try LedgerStore.create(at: path) { now.withLock { current in defer { current += 14 * 3_600_000 }; return current } }
        defer { try? store.close() }
        let actor = Actor(unchecked: "example")
        func submit(_ command: LedgerCommand) throws { _ = try store.submit(LedgerRequest(actor: actor, command: command)) }
        let pin = try PINRecord.make(for: PIN("1234"), iterations: 1_000)
        for (code, rate) in [("PET", "18"), ("ALU", "12.5"), ("CARTON", "4")] {
            try submit(.setMaterial(code: MaterialCode(code), rate: Rate(perKilogram: Points(parsing: rate)), name: code, minGrams: nil, maxGrams: nil))
        }
        for (point, district) in [("CP-1", "Batasan Hills"), ("CP-2", "Payatas"), ("CP-3", "Payatas"), ("CP-4", "=HYPERLINK(\"http://x\",\"y\")")] {
            try submit(.addPoint(id: PointID(point), name: point, district: district))
        }
        for resident in ["R-1", "R-2", "R-3"] { try submit(.openAccount(.init(id: AccountID(resident), kind: .resident, name: resident, pin: pin))) }
        try submit(.openAccount(.init(id: AccountID("M-1"), kind: .merchant, name: "Store")))
        try submit(.dropoff(.init(account: AccountID("R-1"), point: PointID("CP-4"), material: MaterialCode("PET"), grams: Grams(1_000),
                                  ref: ClientRef("formula"))))
        for step in 0..<200 {
            let resident = AccountID(unchecked: "R-\(1 + step % 3)")
            if step % 4 == 3, step > 60 {
                try submit(.redeem(.init(account: resident, payee: AccountID("M-1"), amount: Points(parsing: "30"), pin: PIN("1234"), ref: ClientRef("r-\(step)"))))
            } else {
                try submit(.dropoff(.init(account: resident, point: PointID("CP-\(1 + step % 3)"), material: MaterialCode(["PET", "ALU", "CARTON"][(step / 3) % 3]),
                                          grams: Grams(Int64(500 + 37 * step)), ref: ClientRef("d-\(step)"))))
            }
        }
    }

    @Test("CSV figures reconcile with the ledger; the HTML report, rendered by headless chromium, draws its three charts")
    func report() throws {
        let scratch = try Scratch()
        let db = scratch.path("r.sqlite")
        try Self.ledger(at: db)
        let csv = try CLI.run(["report", "--db", db, "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let rows = csv.stdout.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.first == ["month"] + ["kg", "dropoffs", "issued", "redeemed", "donated", "settled", "expired", "forfeited", "outstanding"])
        #expect(rows.count >= 6, "a header, at least four months and the total: \(rows.map { $0[0] })")
        let total = try #require(rows.last)
        let ledger = try DatabaseQueue(path: db)
        let (issuance, residents, grams, merchant, dropoffs) = try ledger.read { db in
            (try Int64.fetchOne(db, sql: "SELECT balance FROM accounts WHERE id = 'sys:issuance'")!,
             try Int64.fetchOne(db, sql: "SELECT sum(balance) FROM accounts WHERE kind = 'resident'")!,
             try Int64.fetchOne(db, sql: "SELECT sum(CAST(json_extract(attrs, '$.grams') AS INTEGER)) FROM journal WHERE kind = 'dropoff'")!,
             try Int64.fetchOne(db, sql: "SELECT balance FROM accounts WHERE id = 'M-1'")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM journal WHERE kind = 'dropoff'")!)
        }
        #expect(total[0] == "total" && total[1] == Grams(grams).kilograms && total[2] == String(dropoffs))
        #expect(total[3] == Points(centipoints: -issuance).description && total[4] == Points(centipoints: merchant).description)
        #expect(total[9] == Points(centipoints: residents).description)
        let byDistrict = try CLI.run(["report", "--db", db, "--format", "csv", "--by", "district"]).stdout
        #expect(byDistrict.contains("\r\nPayatas,") && byDistrict.contains("\r\nBatasan Hills,"), "\(byDistrict)")
        #expect(byDistrict.contains("\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,1,18.00,"), "a name is never a formula: \(byDistrict)")

        let html = scratch.path("report.html")
        let made = try CLI.run(["report", "--db", db, "--format", "html", "--out", html, "--by", "point"])
        #expect(made.status == 0, "\(made.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(!page.contains("<script") && !page.contains("http://") && !page.contains("https://") && !page.contains("src="),
                "one file: no script, nothing fetched")
        #expect(page.contains("name=\"viewport\"") && page.contains(Points(centipoints: -issuance).description))
        #expect(page.components(separatedBy: "<svg ").count - 1 == 3)

        // A phone-sized screenshot, and the charts' colours counted in it.
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(chromium != nil, "chromium is needed (make test-deps installs it)")
        let shot = scratch.path("report.png")
        let render = try CLI.run(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=412,2600",
                                  "--screenshot=\(shot)", "file://\(html)"], executable: URL(fileURLWithPath: chromium!))
        #expect(FileManager.default.fileExists(atPath: shot), "\(render.stderr)")
        let count = try CLI.run(["-c", """
            import sys
            from PIL import Image
            image = Image.open(sys.argv[1]).convert("RGB")
            counts = {}
            for pixel in image.getdata():
                counts[pixel] = counts.get(pixel, 0) + 1
            for colour in sys.argv[2:]:
                rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
                print(colour, counts.get(rgb, 0))
            """, shot, "#1b7f3b", "#0e7490", "#c2410c", "#2f6fb3", "#e07b24", "#6b4fa0"], executable: URL(fileURLWithPath: "/usr/bin/python3"))
        let pixels = Dictionary(uniqueKeysWithValues: count.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return (String(parts[0]), Int(parts[1]) ?? 0)
        })
        // Three materials' bars, issued and redeemed bars, and the points' bars: each drawn (a legend's swatch is 169 pixels).
        for colour in ["#1b7f3b", "#0e7490", "#c2410c", "#2f6fb3", "#e07b24", "#6b4fa0"] {
            #expect(pixels[colour, default: 0] > 500, "\(colour) drawn in \(pixels): \(count.stderr)")
        }
    }
}
