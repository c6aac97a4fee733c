import ArgumentParser
import BenchSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import Logging

/// The measurement: every visitor's WebSocket opened (`--connect-concurrency` handshakes at a
/// time), the gateway's RSS before and after (once the sockets settled for `--settle-seconds`),
/// then a probe reply and `--replies` SendReply calls from `--callers` agents, each reply timed
/// from its call to its `message` frame on its visitor's socket; finally a ping on every socket.
struct Measure: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Visitor WebSockets: the gateway's memory per connection, SendReply → socket p50/p99.",
        discussion: """
            Memory per connection is the growth of the gateway's VmRSS from before the first socket \
            to --settle-seconds after the last one opened, divided by the sockets open then. A \
            reply counts once its agent message frame (its text carries the reply's marker) \
            arrived on the socket of the visitor it was sent to; after the calls the bench waits \
            up to --drain-timeout for the others, and a reply still without its frame is missing.
            """
    )

    @Option(help: "host:port of conversation-service's gRPC listener.")
    var conversation: String

    @Option(help: "channel-gateway's HTTP listener, http://host:port (the sockets' origin is http://<host>).")
    var http: String

    @Option(help: "The organisation id (as setup printed it).")
    var organization: String

    @Option(help: "The web-chat channel id (as setup printed it).")
    var channel: String

    @Option(help: "The visitors (setup's --out).")
    var visitorsFile: String

    @Option(help: "channel-gateway's process id: its VmRSS and open files from /proc.")
    var gatewayPid: String

    @Option(help: "SendReply calls in all, each to a random visitor whose socket is open.")
    var replies: Int = 2000

    @Option(help: "Concurrent SendReply callers, one agent each.")
    var callers: Int = 16

    @Option(help: "WebSocket handshakes in flight at a time.")
    var connectConcurrency: Int = 64

    @Option(help: "Seconds to wait with every socket open before the second RSS reading.")
    var settleSeconds: Int = 5

    @Option(help: "Seconds to wait for every socket to open (or fail).")
    var connectTimeout: Int = 300

    @Option(help: "Seconds to wait after the calls for the replies' frames.")
    var drainTimeout: Int = 60

    @Option(help: "name=pid pairs, comma-separated: their CPU seconds while the sockets settle and during the replies.")
    var processes: String = ""

    func validate() throws {
        guard HostAndPort(self.conversation) != nil else { throw ValidationError("--conversation must be host:port") }
        guard self.http.hasPrefix("http://") else {
            throw ValidationError("--http must be a plain-HTTP URL such as http://127.0.0.1:8080")
        }
        guard !self.organization.isEmpty else { throw ValidationError("--organization must not be empty") }
        guard !self.channel.isEmpty else { throw ValidationError("--channel must not be empty") }
        guard !self.gatewayPid.isEmpty, self.gatewayPid.allSatisfy(\.isNumber) else {
            throw ValidationError("--gateway-pid must be a process id")
        }
        guard self.replies >= 1 else { throw ValidationError("--replies must be at least 1") }
        guard (1...256).contains(self.callers) else { throw ValidationError("--callers must be from 1 to 256") }
        guard (1...1024).contains(self.connectConcurrency) else {
            throw ValidationError("--connect-concurrency must be from 1 to 1024")
        }
        guard self.settleSeconds >= 0 else { throw ValidationError("--settle-seconds must not be negative") }
        guard self.connectTimeout > 0 else { throw ValidationError("--connect-timeout must be positive") }
        guard self.drainTimeout > 0 else { throw ValidationError("--drain-timeout must be positive") }
    }

    /// What the measurement was asked to do.
    struct Plan: Sendable {
        var http: String
        var channel: String
        var gatewayPID: String
        var visitors: Int
        var replies: Int
        var callers: Int
        var connectConcurrency: Int
        var settleSeconds: Int
        var connectTimeout: Int
        var drainTimeout: Int
    }

    func run() async throws {
        let tokens = try await BenchTokens.fromEnvironment(subject: "webchat-bench")
        guard let address = HostAndPort(self.conversation) else { throw BenchError("--conversation must be host:port") }
        let visitors = try Visitor.read(from: self.visitorsFile)
        guard !visitors.isEmpty else { throw BenchError("\(self.visitorsFile) holds no visitor") }
        let processes = try ProcessList(self.processes)
        guard ProcessStats.of(self.gatewayPid).residentKB != nil else {
            throw BenchError("cannot read VmRSS from /proc/\(self.gatewayPid)/status (--gateway-pid)")
        }
        var agents: [Metadata] = []
        for number in 1...self.callers {
            agents.append(
                try await tokens.metadata(.agent, organization: self.organization, agent: "bench-agent-\(number)"))
        }
        let plan = Plan(
            http: WebChatBench.trimmed(self.http), channel: self.channel, gatewayPID: self.gatewayPid,
            visitors: visitors.count, replies: self.replies, callers: self.callers,
            connectConcurrency: self.connectConcurrency, settleSeconds: self.settleSeconds,
            connectTimeout: self.connectTimeout, drainTimeout: self.drainTimeout)
        let report = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
        ) { client in
            try await Self.measure(
                plan, visitors: visitors, agents: agents,
                client: Inbox_V1_ConversationService.Client(wrapping: client), processes: processes)
        }
        report.render()
    }

    /// The sockets as child tasks of one group, the phases in its body; the sockets are closed
    /// (their tasks cancelled) once the figures are read.
    static func measure(
        _ plan: Plan, visitors: [Visitor], agents: [Metadata],
        client: any Inbox_V1_ConversationService.ClientProtocol, processes: ProcessList
    ) async throws -> Report {
        var logger = Logger(label: "webchat-bench.socket")
        logger.logLevel = .critical
        let socketLogger = logger
        let sockets = VisitorSockets(count: visitors.count)
        return try await withThrowingTaskGroup(of: Void.self, returning: Report.self) { group in
            var report = Report(plan: plan)
            // 1. Open every socket.
            report.gatewayBefore = ProcessStats.of(plan.gatewayPID)
            report.benchBefore = ProcessStats.of("self")
            Self.log(
                "opening \(visitors.count) WebSockets, \(plan.connectConcurrency) handshakes at a time; the gateway's "
                    + "RSS before: \(Report.megabytes(report.gatewayBefore.residentKB))")
            let openStarted = ContinuousClock.now
            for (index, visitor) in visitors.enumerated() {
                while sockets.counts.opening >= plan.connectConcurrency {
                    try await Task.sleep(for: .milliseconds(2))
                }
                let url = VisitorSocket.url(base: plan.http, channelID: plan.channel, visitor: visitor)
                // Marked here, not in the task: a task not yet started would not count against the bound.
                sockets.opening(index, at: ContinuousClock.now)
                group.addTask { await VisitorSocket.run(index, url: url, sockets: sockets, logger: socketLogger) }
            }
            let openDeadline = openStarted + .seconds(plan.connectTimeout)
            while sockets.counts.opening > 0, ContinuousClock.now < openDeadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            report.openSeconds = micros(ContinuousClock.now - openStarted) / 1e6
            let opened = sockets.counts
            Self.log(
                "\(opened.ready) sockets ready, \(opened.failed) failed, \(opened.opening) still opening after "
                    + String(format: "%.1f", report.openSeconds) + " s; settling for \(plan.settleSeconds) s")
            guard opened.ready > 0 else {
                throw BenchError(
                    "no WebSocket opened; the first failure: \(sockets.summary().firstFailure ?? "none recorded")")
            }

            // 2. Let them settle, then the second reading.
            let settleCPUBefore = processes.cpuSeconds()
            try await Task.sleep(for: .seconds(plan.settleSeconds))
            report.settleCPU = Report.difference(processes.cpuSeconds(), settleCPUBefore, names: processes.names)
            report.gatewayOpen = ProcessStats.of(plan.gatewayPID)
            report.benchOpen = ProcessStats.of("self")
            report.readyAtReading = sockets.counts.ready
            Self.log(
                "the gateway's RSS with \(report.readyAtReading) sockets open: "
                    + Report.megabytes(report.gatewayOpen.residentKB))

            // 3. A probe reply: the path works end to end, and the gRPC connection is up.
            let targets = sockets.readyIndices
            guard let probeTarget = targets.first else { throw BenchError("every socket ended while settling") }
            let probeStarted = ContinuousClock.now
            sockets.expect("wcb-probe", visitor: probeTarget)
            _ = try await client.sendReply(
                .with {
                    $0.conversationID = visitors[probeTarget].conversationID
                    $0.idempotencyKey = "wcb-reply-probe"
                    $0.text = "A first answer to check the way (wcb-probe)."
                }, metadata: agents[0])
            guard await sockets.waitForArrivals(timeout: .seconds(30)) else {
                throw BenchError("the probe reply's message frame did not arrive on its visitor's socket within 30 s")
            }
            Self.log(
                "probe reply on its socket after "
                    + String(format: "%.1f", micros(ContinuousClock.now - probeStarted) / 1000) + " ms; "
                    + "\(plan.replies) replies from \(agents.count) callers")

            // 4. The replies.
            let repliesCPUBefore = processes.cpuSeconds()
            let start = ContinuousClock.now
            let result = await FanOut.run(
                replies: plan.replies, targets: targets, visitors: visitors, agents: agents, client: client,
                sockets: sockets)
            let callsEnded = ContinuousClock.now
            Self.log(
                "\(result.sends.count) replies accepted, \(result.failedCalls) calls failed, in "
                    + String(format: "%.1f", micros(callsEnded - start) / 1e6)
                    + " s; \(sockets.pending) frames still to come, waiting for them")
            // What has not arrived by then is missing (Report.take).
            _ = await sockets.waitForArrivals(timeout: .seconds(plan.drainTimeout))
            report.repliesCPU = Report.difference(processes.cpuSeconds(), repliesCPUBefore, names: processes.names)
            report.callsSeconds = micros(callsEnded - start) / 1e6
            report.gatewayReplies = ProcessStats.of(plan.gatewayPID)

            // 5. Every socket still answers a ping.
            report.pinged = await sockets.pingAll()
            let pingDeadline = ContinuousClock.now + .seconds(10)
            while sockets.pongs < report.pinged, ContinuousClock.now < pingDeadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            report.pongs = sockets.pongs

            let summary = sockets.summary()
            report.take(result, summary: summary, start: start)
            sockets.finish()
            group.cancelAll()
            return report
        }
    }

    static func log(_ line: String) { WebChatBench.log(line) }
}
