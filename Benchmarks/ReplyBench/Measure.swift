import ArgumentParser
import AsyncHTTPClient
import BenchSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit

/// The measurement: one WatchConversations of the organisation (opened first, proved live by a
/// probe reply), a warm-up, then `--callers` agents calling SendReply for `--seconds`; then it
/// waits for the outcomes of the phase's replies and reads the fake Telegram's counts.
struct Measure: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "SendReply → SENT on the watch: replies/s, p50/p99, the fake's sendMessage count, CPU.",
        discussion: """
            Only what the watch told counts: a reply is SENT when its MESSAGE_UPDATED with delivery \
            state SENT arrived here, and its latency runs from the start of its SendReply call to \
            that arrival. Replies/s is the number of the phase's replies whose SENT arrived within \
            the phase, divided by its length. After the phase the bench waits up to --drain-timeout \
            for the others; a reply without an outcome by then is missing (and the p99 a lower bound).
            """
    )

    @Option(help: "host:port of conversation-service's gRPC listener.")
    var conversation: String

    @Option(help: "The organisation id (as setup printed it).")
    var organization: String

    @Option(help: "The conversation ids, one a line (setup's --out).")
    var conversationsFile: String

    @Option(help: "platform-fakes' admin URL (its PLATFORM_FAKES_ADMIN_URL line).")
    var fakesAdmin: String

    @Option(help: "Concurrent SendReply callers, one agent each.")
    var callers: Int = 16

    @Option(help: "The measured phase's length in seconds.")
    var seconds: Int = 20

    @Option(help: "The warm-up's length in seconds (same load, not reported).")
    var warmSeconds: Int = 3

    @Option(help: "Seconds to wait after the warm-up and after the phase for their replies' outcomes.")
    var drainTimeout: Int = 60

    @Option(help: "Hold the callers while this many accepted replies have no outcome yet (0: no bound).")
    var maxPending: Int = 0

    @Option(help: "name=pid pairs, comma-separated: their CPU seconds during the phase.")
    var processes: String = ""

    func validate() throws {
        guard HostAndPort(self.conversation) != nil else { throw ValidationError("--conversation must be host:port") }
        guard !self.organization.isEmpty else { throw ValidationError("--organization must not be empty") }
        guard self.fakesAdmin.hasPrefix("http://") || self.fakesAdmin.hasPrefix("https://") else {
            throw ValidationError("--fakes-admin must be a URL such as http://127.0.0.1:40000")
        }
        guard (1...256).contains(self.callers) else { throw ValidationError("--callers must be from 1 to 256") }
        guard self.seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard self.warmSeconds >= 0 else { throw ValidationError("--warm-seconds must not be negative") }
        guard self.drainTimeout > 0 else { throw ValidationError("--drain-timeout must be positive") }
        guard self.maxPending >= 0 else { throw ValidationError("--max-pending must not be negative") }
    }

    func run() async throws {
        let tokens = try await BenchTokens.fromEnvironment(subject: "reply-bench")
        guard let address = HostAndPort(self.conversation) else { throw BenchError("--conversation must be host:port") }
        let conversationIDs = try String(contentsOfFile: self.conversationsFile, encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard !conversationIDs.isEmpty else { throw BenchError("\(self.conversationsFile) holds no conversation id") }
        let cpu = try ProcessCPU(self.processes)
        let watcher = try await tokens.metadata(.admin, organization: self.organization, agent: "bench-admin")
        var agents: [Metadata] = []
        for number in 1...self.callers {
            agents.append(
                try await tokens.metadata(.agent, organization: self.organization, agent: "bench-agent-\(number)"))
        }
        let plan = Plan(
            callers: self.callers, seconds: self.seconds, warmSeconds: self.warmSeconds,
            drainTimeout: self.drainTimeout, maxPending: self.maxPending, conversations: conversationIDs.count,
            fakesAdmin: self.fakesAdmin.hasSuffix("/") ? String(self.fakesAdmin.dropLast()) : self.fakesAdmin)

        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let report: Report
        do {
            report = try await withGRPCClient(
                transport: .http2NIOPosix(
                    target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
            ) { client in
                try await Self.measure(
                    plan, conversationIDs: conversationIDs,
                    client: Inbox_V1_ConversationService.Client(wrapping: client),
                    watcher: watcher, agents: agents, http: http, cpu: cpu)
            }
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        report.render()
    }

    /// What the measurement was asked to do.
    struct Plan: Sendable {
        var callers: Int
        var seconds: Int
        var warmSeconds: Int
        var drainTimeout: Int
        var maxPending: Int
        var conversations: Int
        var fakesAdmin: String
    }

    /// The watch and the phases side by side; the watch ends when the phases are done.
    static func measure(
        _ plan: Plan, conversationIDs: [String], client: any Inbox_V1_ConversationService.ClientProtocol,
        watcher: Metadata, agents: [Metadata], http: HTTPClient, cpu: ProcessCPU
    ) async throws -> Report {
        let outcomes = ReplyOutcomes()
        return try await withThrowingTaskGroup(of: Report?.self) { group in
            group.addTask {
                try await client.watchConversations(Inbox_V1_WatchConversationsRequest(), metadata: watcher) {
                    response in
                    for try await event in response.messages where event.type == .messageUpdated {
                        outcomes.record(event.message, at: ContinuousClock.now)
                    }
                }
                return nil
            }
            group.addTask {
                try await Self.phases(
                    plan, conversationIDs: conversationIDs, client: client, agents: agents, outcomes: outcomes,
                    http: http, cpu: cpu)
            }
            guard let first = try await group.next(), let report = first else {
                throw BenchError("WatchConversations ended before the measurement did")
            }
            // Returning cancels the watch.
            group.cancelAll()
            return report
        }
    }

    /// Probe, warm-up, the measured phase, the drain; the counts at the fake before and after.
    static func phases(
        _ plan: Plan, conversationIDs: [String], client: any Inbox_V1_ConversationService.ClientProtocol,
        agents: [Metadata], outcomes: ReplyOutcomes, http: HTTPClient, cpu: ProcessCPU
    ) async throws -> Report {
        let before = try await FakeTelegramCounts.read(from: plan.fakesAdmin, http: http)
        var accepted = 0

        // The watch starts from the organisation's latest change when the server reads it: a reply
        // made before that is never told. A probe whose outcome arrives proves it live.
        var probes: [String] = []
        var live = false
        for attempt in 1...10 where !live {
            let message = try await client.sendReply(
                ReplyLoad.request(
                    conversationID: conversationIDs[attempt % conversationIDs.count], key: "rb-probe-\(attempt)"),
                metadata: agents[0])
            accepted += 1
            probes.append(message.id)
            outcomes.expect(message.id)
            live = await outcomes.wait(for: message.id, timeout: .seconds(3))
        }
        guard live else {
            throw BenchError("WatchConversations told no outcome (SENT or FAILED) of 10 probe replies within 3 s each")
        }
        outcomes.forget(probes)
        Self.log("the watch is live (\(probes.count) probe replies); warm-up, \(plan.warmSeconds) s")

        var warm = ReplyLoad.Result()
        var warmSettled = true
        if plan.warmSeconds > 0 {
            warm = await ReplyLoad.run(
                phase: "warm", until: ContinuousClock.now + .seconds(plan.warmSeconds),
                conversationIDs: conversationIDs, agents: agents, client: client, outcomes: outcomes,
                maxPending: plan.maxPending)
            accepted += warm.sends.count
            warmSettled = await outcomes.waitUntilSettled(timeout: .seconds(plan.drainTimeout))
            Self.log(
                "warm-up: \(warm.sends.count) replies, \(warm.calls.failures) failed calls; "
                    + (warmSettled ? "all settled" : "\(outcomes.pending) still without an outcome after the drain"))
        }

        Self.log("measuring: \(agents.count) callers for \(plan.seconds) s")
        let cpuBefore = cpu.snapshot()
        let start = ContinuousClock.now
        let deadline = start + .seconds(plan.seconds)
        let phase = await ReplyLoad.run(
            phase: "measure", until: deadline, conversationIDs: conversationIDs, agents: agents, client: client,
            outcomes: outcomes, maxPending: plan.maxPending)
        let callsEnded = ContinuousClock.now
        let cpuAfter = cpu.snapshot()
        let backlog = outcomes.pending
        accepted += phase.sends.count
        Self.log("\(phase.sends.count) replies accepted; \(backlog) without an outcome yet, waiting for them")
        let settled = await outcomes.waitUntilSettled(timeout: .seconds(plan.drainTimeout))
        let drainEnded = ContinuousClock.now
        let after = try await FakeTelegramCounts.read(from: plan.fakesAdmin, http: http)

        var report = Report(plan: plan)
        report.phaseSeconds = micros(deadline - start) / 1e6
        report.callsSeconds = micros(callsEnded - start) / 1e6
        report.calls = phase.calls
        report.accepted = phase.sends.count
        report.backlogAtEnd = backlog
        report.drainSeconds = settled ? micros(drainEnded - callsEnded) / 1e6 : nil
        for send in phase.sends {
            guard let outcome = outcomes.outcome(of: send.messageID) else {
                report.missing += 1
                continue
            }
            if outcome.sent {
                report.sent.latencies.append(micros(outcome.arrived - send.started))
                if outcome.arrived <= deadline { report.sentWithinPhase += 1 }
                report.lastSent = max(report.lastSent ?? 0, micros(outcome.arrived - start) / 1e6)
            } else {
                report.failedDeliveries += 1
                if report.firstFailure == nil { report.firstFailure = outcome.failure }
            }
        }
        report.warmReplies = warm.sends.count
        report.warmSettled = warmSettled
        report.allAccepted = accepted
        report.fakeSendMessages = after.sendMessages - before.sendMessages
        report.fakeDistinctBodies = after.distinctBodies - before.distinctBodies
        report.cpu = cpu.names.compactMap { name -> (name: String, seconds: Double)? in
            guard let end = cpuAfter.seconds[name], let begin = cpuBefore.seconds[name] else { return nil }
            return (name: name, seconds: end - begin)
        }
        let total = cpuAfter.machineTotal - cpuBefore.machineTotal
        if total > 0 {
            report.machineBusyPercent = 100 * Double(cpuAfter.machineBusy - cpuBefore.machineBusy) / Double(total)
        }
        return report
    }

    static func log(_ line: String) {
        FileHandle.standardError.write(Data("reply-bench: \(line)\n".utf8))
    }
}
