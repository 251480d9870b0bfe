import LedgerProtocol

/// One fuzz input through the code that every network byte reaches first: split into lines as
/// the framing does, then the tokenizer, the command decoder and the reply encoder. Any crash,
/// hang or runaway allocation here is a bug; errors are the expected outcome for junk.
func fuzzOneInput(_ bytes: UnsafeRawBufferPointer) {
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        do {
            guard let parsed = try LineTokenizer.parse(line) else { continue }
            let command = try CommandCatalogue.parse(parsed)
            _ = Reply.ok([("verb", command.verb), ("write", command.writes ? "1" : "0")]).encoded
        } catch {
            _ = Reply.error(error).encoded
        }
    }
}

#if FUZZING
import CLibFuzzer
import Foundation

/// The `make fuzz` build (`-sanitize=fuzzer -DFUZZING`): libFuzzer's driver runs the target.
@main
struct FuzzDriver {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzzOneInput(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        })
    }
}
#endif
