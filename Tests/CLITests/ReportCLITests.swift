import Foundation
import LedgerPersistence
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
    /// Four months of drop-offs of three materials at three points (over a tonne), with redemptions,
    /// two drop-offs of a held material (one posted, one still held), and two more a day later.
    static func ledger(at path: String) throws {
        let now = Mutex<Int64>(1_767_225_600_000)
        let store = try LedgerStore.create(at: path) { now.withLock { current in defer { current += 14 * 3_600_000 }; return current } }
        defer { try? store.close() }
        let actor = Actor(unchecked: "example")
        @discardableResult
        func submit(_ command: LedgerCommand) throws -> Int64 { try store.submit(LedgerRequest(actor: actor, command: command)).entry.seq }
        let pin = try PINRecord.make(for: PIN("1234"), iterations: 1_000)
        for (code, rate, name) in [("PET", "18", "PET bottles"), ("ALU", "12.5", "Aluminium cans"), ("CARTON", "4", "Drink cartons")] {
            try submit(.setMaterial(code: MaterialCode(code), rate: Rate(perKilogram: Points(parsing: rate)), name: name, minGrams: nil, maxGrams: nil))
        }
        try submit(.setMaterial(code: MaterialCode("GLASS"), rate: Rate(perKilogram: Points(parsing: "2")), name: "Glass bottles", minGrams: nil,
                                maxGrams: nil, holdMs: 7 * 86_400_000))
        for (point, name, district) in [("CP-1", "Batasan Hills MRF", "Batasan Hills"), ("CP-2", "Payatas Road drop-off", "Payatas"),
                                        ("CP-3", "Lupang Pangako hall", "Payatas"), ("CP-4", "CP-4", "=HYPERLINK(\"http://x\",\"y\")")] {
            try submit(.addPoint(id: PointID(point), name: name, district: district))
        }
        for resident in ["R-1", "R-2", "R-3"] { try submit(.openAccount(.init(id: AccountID(resident), kind: .resident, name: resident, pin: pin))) }
        try submit(.openAccount(.init(id: AccountID("M-1"), kind: .merchant, name: "Store")))
        try submit(.dropoff(.init(account: AccountID("R-1"), point: PointID("CP-4"), material: MaterialCode("PET"), grams: Grams(1_000),
                                  ref: ClientRef("formula"))))
        try submit(.dropoff(.init(account: AccountID("R-3"), point: PointID("CP-3"), material: MaterialCode("CARTON"), grams: Grams(400_000),
                                  ref: ClientRef("big"))))
        for step in 0..<200 {
            let resident = AccountID(unchecked: "R-\(1 + step % 3)")
            if step % 4 == 3, step > 60 {
                try submit(.redeem(.init(account: resident, payee: AccountID("M-1"), amount: Points(parsing: "30"), pin: PIN("1234"), ref: ClientRef("r-\(step)"))))
            } else {
                try submit(.dropoff(.init(account: resident, point: PointID("CP-\(1 + step % 3)"), material: MaterialCode(["PET", "ALU", "CARTON"][(step / 3) % 3]),
                                          grams: Grams(Int64(500 + 37 * step)), ref: ClientRef("d-\(step)"))))
            }
        }
        let posted = try submit(.dropoff(.init(account: AccountID("R-2"), point: PointID("CP-2"), material: MaterialCode("GLASS"), grams: Grams(5_000),
                                               ref: ClientRef("glass-posted"))))
        try submit(.postHold(dropoff: posted))
        try submit(.dropoff(.init(account: AccountID("R-1"), point: PointID("CP-1"), material: MaterialCode("GLASS"), grams: Grams(3_000),
                                  ref: ClientRef("glass-held"))))
        for day in 1...2 {
            try submit(.dropoff(.init(account: AccountID("R-3"), point: PointID("CP-2"), material: MaterialCode("PET"), grams: Grams(2_000),
                                      ref: ClientRef("after-\(day)"))))
        }
    }

    /// The mark on a figure that counts held points as issued.
    static let heldMark = "<sup class=\"mark\">*</sup>"

    /// `1234567.5` as the report writes it for people: `1,234,567.5`.
    static func grouped(_ decimal: String) -> String {
        let negative = decimal.hasPrefix("-")
        let parts = decimal.dropFirst(negative ? 1 : 0).split(separator: ".", omittingEmptySubsequences: false)
        var whole = String(parts[0])
        var index = whole.count - 3
        while index > 0 {
            whole.insert(",", at: whole.index(whole.startIndex, offsetBy: index))
            index -= 3
        }
        return (negative ? "-" : "") + whole + (parts.count > 1 ? "." + parts[1] : "")
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
        #expect(!page.contains("<script") && !page.contains("src=") && !page.contains("url(") && !page.contains("@import") && !page.contains("<link")
                && !page.contains("href=\"http"), "one file: no script, nothing fetched")
        #expect(page.contains("=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)"), "a district's name is text, escaped")
        #expect(page.contains("name=\"viewport\""))
        let issued = Self.grouped(Points(centipoints: -issuance).description)
        #expect(issued.contains(",") && page.contains("Points issued<b>\(issued)"), "thousands separators: \(issued)")
        #expect(page.components(separatedBy: "<svg ").count - 1 == 3)

        // A phone-sized screenshot, and the charts' colours counted in it.
        let chromium = try Self.chromium()
        let shot = scratch.path("report.png")
        let render = try CLI.run(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=390,2600",
                                  "--screenshot=\(shot)", "file://\(html)"], executable: chromium)
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

    @Test("the HTML report reads on a phone and on paper: names beside codes, thousands separators, no sideways scrolling, readable axes, the terms explained, held points marked")
    func readable() throws {
        let scratch = try Scratch()
        let db = scratch.path("r.sqlite")
        try Self.ledger(at: db)
        let html = scratch.path("report.html")
        let made = try CLI.run(["report", "--db", db, "--format", "html", "--out", html, "--by", "point"])
        try #require(made.status == 0, "\(made.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)

        // Names beside codes: materials in the legend, points in the chart and the table.
        for name in ["PET bottles", "Aluminium cans", "Drink cartons", "Batasan Hills MRF", "Payatas Road drop-off"] {
            #expect(page.contains(name), "\(name) shown")
        }
        #expect(page.contains("Batasan Hills MRF <span class=\"code\">CP-1 · Batasan Hills</span>"), "a point's code and district beside its name")

        // Every figure of 1,000 or more has thousands separators: the kilograms, and each point's issued points.
        let ledger = try DatabaseQueue(path: db)
        let (grams, issuedByPoint) = try ledger.read { db in
            (try Int64.fetchOne(db, sql: "SELECT sum(CAST(json_extract(attrs, '$.grams') AS INTEGER)) FROM journal WHERE kind = 'dropoff'")!,
             try Row.fetchAll(db, sql: "SELECT json_extract(attrs, '$.point'), sum(amount) FROM journal WHERE kind = 'dropoff' GROUP BY 1")
                .map { row -> (String, Int64) in (row[0], row[1]) })
        }
        let kilograms = Self.grouped(Grams(grams).kilograms)
        #expect(kilograms.contains(",") && page.contains("Kilograms diverted<b>\(kilograms)</b>"), "\(kilograms)")
        for (point, centipoints) in issuedByPoint where centipoints >= 100_000 {
            #expect(page.contains(">\(Self.grouped(Points(centipoints: centipoints).description))"), "\(point)'s issued points grouped")
        }
        #expect(page.range(of: #"\d{4}\.\d\d"#, options: .regularExpression) == nil, "no figure of four digits or more without separators")

        // The terms explained, and why outstanding can exceed the span's issued points.
        #expect(page.contains("id=\"terms\"") && page.contains("href=\"#terms\""))
        for term in ["Issued", "Redeemed", "Donated", "Settled", "Expired", "Forfeited", "Outstanding", "Held"] {
            #expect(page.contains("<dt>\(term)</dt><dd>"), "\(term) explained")
        }
        #expect(page.contains("can be larger than the span&#39;s points issued"))

        // The one drop-off still held (3 kg of glass at 2.00 a kg) is marked, in the totals and on its point's row; the posted one is not.
        #expect(page.contains("6.00 points of 1 drop-off of this span, included in points issued and outstanding"), "the held footnote")
        let row = { (point: String) in page.components(separatedBy: "\n").first { $0.contains("<span class=\"code\">\(point) ·") } ?? "" }
        #expect(row("CP-1").contains("<td data-label=\"Issued\">") && row("CP-1").contains(Self.heldMark), "CP-1 holds the held drop-off: \(row("CP-1"))")
        #expect(row("CP-2").contains("<td data-label=\"Issued\">") && !row("CP-2").contains(Self.heldMark), "CP-2's glass was posted: \(row("CP-2"))")

        // A span after the held drop-off: not in its points issued, still in its outstanding.
        let last = try ledger.read { db in try Int64.fetchOne(db, sql: "SELECT max(time_ms) FROM journal")! }
        let later = scratch.path("later.html")
        let laterMade = try CLI.run(["report", "--db", db, "--format", "html", "--out", later, "--from", LedgerReport.dayKey(last, offsetMinutes: 480)])
        let laterPage = (try? String(contentsOfFile: later, encoding: .utf8)) ?? laterMade.stderr
        #expect(laterPage.contains("6.00 points of drop-offs before this span, included in outstanding")
                && laterPage.range(of: #"Points issued<b>[0-9,.]+</b>"#, options: .regularExpression) != nil
                && laterPage.range(of: #"Outstanding<b>[0-9,.]+<sup class="mark">"#, options: .regularExpression) != nil, "\(laterPage)")

        let chromium = try Self.chromium()
        // At a phone's width, with every element's overflow made visible, nothing reaches the
        // right edge (the body's padding stays blank): no table or chart wider than the phone.
        let spilled = scratch.path("spilled.html")
        try page.replacingOccurrences(of: "</head>", with: "<style>* { overflow: visible !important; }</style></head>")
            .write(toFile: spilled, atomically: true, encoding: .utf8)
        let shot = scratch.path("phone.png")
        let render = try CLI.run(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=390,6000",
                                  "--screenshot=\(shot)", "file://\(spilled)"], executable: chromium)
        let edge = try CLI.run(["-c", """
            import sys
            from PIL import Image
            image = Image.open(sys.argv[1]).convert("RGB")
            width, height = image.size
            marked = [y for y in range(height) if any(image.getpixel((x, y)) != (255, 255, 255) for x in range(width - 8, width))]
            print(width, len(marked), marked[:5])
            """, shot], executable: URL(fileURLWithPath: "/usr/bin/python3"))
        #expect(edge.stdout.hasPrefix("390 0 "), "rows with ink in the rightmost 8 px at 390 px (width, count, first): \(edge.stdout) \(edge.stderr) \(render.stderr)")

        // Measured in the browser (the test's own script, around the page): at 360 px, nothing
        // scrolls sideways and axis labels are at least 12 px; with the print stylesheet, the
        // table fits a landscape A4 page (273 mm = 1,032 px between 12 mm margins) at 8 pt or more.
        let phone = try Self.measure(page, width: 360, chromium: chromium, scratch: scratch)
        #expect(phone.pageWidth <= 360 && phone.overflowing.isEmpty, "\(phone)")
        #expect(phone.svgFont >= 12, "axis labels \(phone.svgFont) px at 360 px")
        let paperPage = page.replacingOccurrences(of: "@media screen", with: "@media speech").replacingOccurrences(of: "@media print", with: "@media screen")
        let paper = try Self.measure(paperPage, width: 1_032, chromium: chromium, scratch: scratch)
        #expect(paperPage != page && paper.pageWidth <= 1_032 && paper.overflowing.isEmpty && paper.tableWidth <= 1_032
                && paper.tableFont >= 10.6 && paper.rows >= 5, "a print stylesheet, and the table on paper: \(paper)")

        // Printed: A4 pages, portrait for the text and charts, landscape for the table.
        let pdf = scratch.path("report.pdf")
        let printed = try CLI.run(["120", chromium.path, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf=\(pdf)",
                                   "file://\(html)"], executable: URL(fileURLWithPath: "/usr/bin/timeout"))
        let boxes = try String(decoding: Data(contentsOf: URL(fileURLWithPath: pdf)), as: UTF8.self)
            .matches(of: #/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]/#).map { (Double($0.1) ?? 0, Double($0.2) ?? 0) }
        let a4 = { (short: Double, long: Double) in abs(short - 595) < 2 && abs(long - 842) < 2 }
        #expect(boxes.contains { a4($0.0, $0.1) } && boxes.contains { a4($0.1, $0.0) }, "portrait and landscape A4 pages: \(boxes) \(printed.stderr)")
    }

    static func chromium() throws -> URL {
        let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        return URL(fileURLWithPath: try #require(path, "chromium is needed (make test-deps installs it)"))
    }

    /// What the browser measured of a page laid out `width` px wide.
    struct Layout: CustomStringConvertible {
        var pageWidth = Double.infinity, tableWidth = Double.infinity, svgFont = 0.0, tableFont = 0.0, rows = 0
        /// Elements that scroll sideways or reach past the width.
        var overflowing: [String] = []

        var description: String {
            "page \(pageWidth) px, table \(tableWidth) px, axis text \(svgFont) px, table text \(tableFont) px, \(rows) rows, overflowing \(overflowing)"
        }
    }

    /// Lays `page` out in an iframe `width` px wide (the page's own media queries see that width;
    /// headless chromium's window is never narrower than 500 px) and measures it with a script of
    /// the test's, around the page, never in it.
    static func measure(_ page: String, width: Int, chromium: URL, scratch: Scratch) throws -> Layout {
        let srcdoc = page.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
        let wrapper = """
            <!doctype html><html><body style="margin:0"><iframe id="f" scrolling="no" style="border:0;width:\(width)px;height:200px" srcdoc="\(srcdoc)"></iframe>
            <pre id="measured"></pre>
            <script>
            addEventListener("load", () => {
              const w = document.getElementById("f").contentWindow, d = w.document, out = [];
              out.push("pageWidth=" + d.documentElement.scrollWidth);
              for (const e of d.querySelectorAll("body *")) {
                if (e.closest("svg") && e.localName !== "svg") continue;
                const style = w.getComputedStyle(e);
                if (style.display === "none") continue;
                if (e.scrollWidth > e.clientWidth + 1 && style.overflowX !== "visible") out.push("overflowing=scrolls:" + e.localName);
                if (e.getBoundingClientRect().right > \(width) + 0.5) out.push("overflowing=" + e.localName + ":" + e.textContent.trim().slice(0, 24).replace(/\\s+/g, "_"));
              }
              let svgFont = Infinity, tableFont = Infinity;
              for (const t of d.querySelectorAll("svg text")) {
                const svg = t.ownerSVGElement;
                svgFont = Math.min(svgFont, parseFloat(w.getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width);
              }
              for (const c of d.querySelectorAll("td, th")) tableFont = Math.min(tableFont, parseFloat(w.getComputedStyle(c).fontSize));
              const table = d.querySelector("table");
              out.push("svgFont=" + svgFont, "tableFont=" + tableFont, "tableWidth=" + (table ? table.getBoundingClientRect().width : Infinity),
                       "rows=" + d.querySelectorAll("tbody tr").length);
              document.getElementById("measured").textContent = "[" + out.join(" ") + "]";
            });
            </script></body></html>
            """
        let file = scratch.path("measure-\(width).html")
        try wrapper.write(toFile: file, atomically: true, encoding: .utf8)
        let dumped = try CLI.run(["120", chromium.path, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://\(file)"],
                                 executable: URL(fileURLWithPath: "/usr/bin/timeout"))
        let measured = try #require(dumped.stdout.firstMatch(of: #/<pre id="measured">\[([^\]]*)\]</pre>/#), "measured: \(dumped.stderr)").1
        var layout = Layout()
        for field in measured.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "pageWidth": layout.pageWidth = Double(parts[1]) ?? .infinity
            case "tableWidth": layout.tableWidth = Double(parts[1]) ?? .infinity
            case "svgFont": layout.svgFont = Double(parts[1]) ?? 0
            case "tableFont": layout.tableFont = Double(parts[1]) ?? 0
            case "rows": layout.rows = Int(parts[1]) ?? 0
            default: layout.overflowing.append(parts[1])
            }
        }
        return layout
    }
}
