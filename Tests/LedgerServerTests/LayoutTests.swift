import Foundation
import Testing

/// The layout the architecture asks for: small files, each named for what it holds.
@Suite("Source layout")
struct LayoutTests {
    @Test("no source file is over 400 lines")
    func smallFiles() throws {
        let sources = CatalogueTests.root.appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 100)
        for file in files {
            let lines = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count
            #expect(lines <= 401, "Sources/\(file) has \(lines) lines")
        }
    }
}
