// webchat-bench: the web chat under the load (issue 13), 2,000 visitors with a WebSocket
// open on one gateway: the gateway's memory per connection, and an agent's reply fanned out from
// SendReply to its visitor's socket, through real gRPC, HTTP and WebSockets on 127.0.0.1
// (Benchmarks/run-webchat-bench starts a private PostgreSQL with durable defaults and the four
// services, release builds). Not a test: it prints figures for the README.
//
//   webchat-bench setup --policy 127.0.0.1:50054 --gateway 127.0.0.1:50051 --conversation 127.0.0.1:50052
//       --http http://127.0.0.1:8080 --out FILE [--visitors 2000] [--concurrency 32]
//       [--origin http://127.0.0.1] [--timeout 300]
//       creates org-webchat-bench (enterprise) at policy-service, connects one web-chat channel at
//       the gateway (allowed origin --origin), then each visitor starts a session and sends one
//       message through the visitor API as the widget does; waits until conversation-service lists
//       every visitor's conversation, writes the visitors (id, token, conversation, version) to
//       FILE and prints "<organisation id> <channel id>"
//   webchat-bench measure --conversation 127.0.0.1:50052 --http http://127.0.0.1:8080
//       --organization <id> --channel <id> --visitors-file FILE --gateway-pid PID
//       [--replies 2000] [--callers 16] [--connect-concurrency 64] [--settle-seconds 5]
//       [--drain-timeout 60] [--processes name=pid,...]
//       opens one WebSocket per visitor, reads the gateway's RSS before and after, then --callers
//       agents call SendReply --replies times, each to a random visitor, and each reply's time
//       from the call to its `message` frame on that visitor's socket; finally a ping on every
//       socket
//   (TOKEN_SIGNING_KEY in the environment, as the services have it)
import ArgumentParser
import BenchSupport
import Foundation

@main
struct WebChatBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webchat-bench",
        abstract: "The web chat's benchmark: visitor WebSockets on one gateway, SendReply → the visitor's socket.",
        subcommands: [Setup.self, Measure.self]
    )

    static func log(_ line: String) {
        FileHandle.standardError.write(Data("webchat-bench: \(line)\n".utf8))
    }

    /// `base` without a trailing slash.
    static func trimmed(_ base: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) : base
    }
}

/// Latencies in microseconds, with their nearest-rank percentiles in milliseconds.
struct Latencies: Sendable {
    var values: [Double] = []

    mutating func add(_ duration: Duration) { self.values.append(micros(duration)) }

    /// In milliseconds; NaN when there are none.
    func percentile(_ p: Double) -> Double { BenchSupport.percentile(self.values, p) / 1000 }

    /// In milliseconds; NaN when there are none.
    var maximum: Double { (self.values.max() ?? .nan) / 1000 }

    var count: Int { self.values.count }
}

/// One visitor of the setup, as the measurement needs it: a line of the visitors file,
/// `<visitor id>\t<token>\t<conversation id>\t<version>` (the version of the visitor's own
/// message: the socket opens after it, so nothing is replayed).
struct Visitor: Sendable {
    var id: String
    var token: String
    var conversationID: String
    var version: Int64

    var line: String { "\(self.id)\t\(self.token)\t\(self.conversationID)\t\(self.version)" }

    init(id: String, token: String, conversationID: String, version: Int64) {
        self.id = id
        self.token = token
        self.conversationID = conversationID
        self.version = version
    }

    init?(line: Substring) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 4, !fields[0].isEmpty, !fields[1].isEmpty, !fields[2].isEmpty,
            let version = Int64(fields[3])
        else { return nil }
        self.init(id: String(fields[0]), token: String(fields[1]), conversationID: String(fields[2]), version: version)
    }

    /// Reads a visitors file (setup's --out).
    static func read(from path: String) throws -> [Visitor] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var visitors: [Visitor] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.isEmpty {
            guard let visitor = Visitor(line: line) else {
                throw BenchError(
                    "line \(number + 1) of \(path) is not <visitor id> <token> <conversation id> <version>")
            }
            visitors.append(visitor)
        }
        return visitors
    }
}
