import ArgumentParser
import LedgerCore
import LedgerPersistence
import LedgerStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns any failure into one clear line on stderr and exit status 1 (every command-line tool).
public enum CLIFailure: Error {
    case message(String)

    public static func report(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch CLIFailure.message(let text) {
            fail(text)
        } catch let error as StoreError {
            fail(error.description)
        } catch let error as LedgerError {
            fail(error.description)
        } catch {
            fail("\(error)")
        }
    }

    public static func reportAsync(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch CLIFailure.message(let text) {
            fail(text)
        } catch {
            fail("\(error)")
        }
    }

    private static func fail(_ text: String) -> Never {
        FileDescriptorOutput.writeStderr("ecoledger: error: \(text)\n")
        exit(1)
    }
}
