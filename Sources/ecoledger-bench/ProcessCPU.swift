import Foundation

/// The CPU time (user + system) a process has used, read from `/proc/PID/stat`, so a load run
/// can say what each request cost the server and what it cost the load generator: on two cores
/// the generator's share decides how much is left for the server.
enum ProcessCPU {
    /// Seconds of CPU used by `pid` (this process when nil); nil where /proc cannot say.
    static func seconds(pid: Int32? = nil) -> Double? {
        let path = "/proc/\(pid.map(String.init) ?? "self")/stat"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After the command name: state is field 3, utime field 14, stime field 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Measures `body`'s CPU per request on the server (`server`) and in this process.
    struct Meter {
        let server: Int32?
        private var started: (server: Double?, bench: Double?) = (nil, nil)

        init(server: Int32?) {
            self.server = server
            started = (server.flatMap { ProcessCPU.seconds(pid: $0) }, ProcessCPU.seconds())
        }

        /// `server N µs, bench M µs` of CPU per request over `requests` requests since `init`.
        func perRequest(_ requests: Int) -> String {
            func micros(_ before: Double?, _ after: Double?) -> String {
                guard let before, let after, requests > 0 else { return "?" }
                return String(Int(((after - before) / Double(requests) * 1e6).rounded()))
            }
            return "CPU/request: server \(micros(started.server, server.flatMap { ProcessCPU.seconds(pid: $0) })) µs, "
                + "bench \(micros(started.bench, ProcessCPU.seconds())) µs"
        }
    }
}
