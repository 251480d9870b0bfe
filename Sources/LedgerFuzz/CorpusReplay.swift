#if !FUZZING
import Foundation

/// Without libFuzzer, `ledger-fuzz FILE_OR_DIR…` replays a corpus through the same target: how
/// the committed seed corpus runs in every `make test`, and how a crashing input is reproduced.
@main
struct CorpusReplay {
    static func main() throws {
        var count = 0
        for argument in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("ledger-fuzz: no such file or folder \(argument)\n".utf8))
                exit(1)
            }
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: argument).sorted().map { argument + "/" + $0 }
                : [argument]
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                data.withUnsafeBytes { fuzzOneInput($0) }
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
}
#endif
