import BenchSupport
// assignment-bench: RouteConversation decisions/s (batches of 100) with 1,000 agents in 50 teams and
// 10,000 queued conversations, and the queue's drain time when 100 agents come online at once,
// through real gRPC against a running assignment-service and policy-service
// (Benchmarks/run-assignment-bench starts both, release builds, on a private PostgreSQL with durable
// defaults). Target: at least 2,000 decisions/s, batch p99 under 20 ms. Not a test: it prints figures.
//
//   assignment-bench [--assignment 127.0.0.1:50053] [--policy 127.0.0.1:50054] [--seconds 10] [--callers 4]
//   (TOKEN_SIGNING_KEY in the environment, as the services have it)
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import SwiftProtobuf

struct Options {
    var assignment = HostAndPort(host: "127.0.0.1", port: 50053)
    var policy = HostAndPort(host: "127.0.0.1", port: 50054)
    var seconds = 10
    var callers = 4

    init(_ arguments: [String]) throws {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--assignment":
                guard let address = HostAndPort(value) else { throw BenchError("--assignment must be host:port") }
                self.assignment = address
            case "--policy":
                guard let address = HostAndPort(value) else { throw BenchError("--policy must be host:port") }
                self.policy = address
            case "--seconds": self.seconds = Int(value) ?? self.seconds
            case "--callers": self.callers = max(1, Int(value) ?? self.callers)
            default: throw BenchError("unknown option \(flag)")
            }
        }
    }
}

/// The outcomes of routed items.
struct Tally: Sendable {
    var assigned = 0
    var queued = 0
    var unchanged = 0
    var failed = 0

    var decisions: Int { self.assigned + self.queued + self.unchanged + self.failed }

    mutating func count(_ response: Inbox_V1_RouteConversationResponse) {
        for result in response.results {
            switch result.outcome {
            case .assigned: self.assigned += 1
            case .queued: self.queued += 1
            case .unchanged: self.unchanged += 1
            default: self.failed += 1
            }
        }
    }

    mutating func merge(_ other: Tally) {
        self.assigned += other.assigned
        self.queued += other.queued
        self.unchanged += other.unchanged
        self.failed += other.failed
    }
}

/// Latencies of one phase, in microseconds, with the outcomes of the routed items.
struct Samples: Sendable {
    var latencies: [Double] = []
    var failures = 0
    var tally = Tally()

    mutating func merge(_ other: Samples) {
        self.latencies += other.latencies
        self.failures += other.failures
        self.tally.merge(other.tally)
    }

    func percentile(_ p: Double) -> Double { BenchSupport.percentile(self.latencies, p) }
}

@main
struct AssignmentBench {
    static let teamCount = 50
    static let agentsPerTeam = 20
    static let capacity = 5
    static let queuedConversations = 10_000
    static let batchSize = 100
    /// Agents of each team that come online in the drain phase (2 × 50 = 100).
    static let onlinePerTeam = 2

    static func main() async throws {
        let options = try Options(CommandLine.arguments)
        guard let key = ProcessInfo.processInfo.environment["TOKEN_SIGNING_KEY"] else {
            throw BenchError("TOKEN_SIGNING_KEY is required")
        }
        let authority = await TokenAuthority(signingKey: key)
        func metadata(_ role: Caller.Role, _ organization: String? = nil) async throws -> Metadata {
            let caller = Caller(
                role: role, organizationID: organization, agentID: role == .agent ? "bench" : nil, subject: "bench")
            return ["authorization": "Bearer \(try await authority.mint(caller, lifetime: .seconds(3600)))"]
        }
        let operatorToken = try await metadata(.operator)
        let serviceToken = try await metadata(.service)

        // The organisation lives in policy-service: assignment asks it GetInboxState.
        let organizationID: String = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: options.policy.host, port: options.policy.port), transportSecurity: .plaintext)
        ) { client in
            let policy = Inbox_V1_PolicyService.Client(wrapping: client)
            let organization = try await policy.createOrganization(
                .with {
                    $0.name = "Assignment bench"
                    $0.plan = .enterprise
                    $0.timeZone = "Europe/Paris"
                }, metadata: operatorToken)
            return organization.id
        }
        let adminToken = try await metadata(.admin, organizationID)

        try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: options.assignment.host, port: options.assignment.port),
                transportSecurity: .plaintext)
        ) { client in
            let assignment = Inbox_V1_AssignmentService.Client(wrapping: client)

            // 50 teams, one routing rule each (channel-<team>), 20 agents each, all offline.
            var teamIDs: [String] = []
            for team in 0..<Self.teamCount {
                let created = try await assignment.createTeam(
                    .with {
                        $0.name = "Team \(team)"
                        $0.awayPolicy = .returnToQueue
                    }, metadata: adminToken)
                teamIDs.append(created.id)
            }
            for (team, teamID) in teamIDs.enumerated() {
                _ = try await assignment.createRoutingRule(
                    .with {
                        $0.rule = .with {
                            $0.name = "Channel \(team)"
                            $0.priority = Int32(team)
                            $0.condition = .with { $0.channelIds = ["channel-\(team)"] }
                            $0.teamID = teamID
                        }
                    }, metadata: adminToken)
            }
            let teams = teamIDs
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (team, teamID) in teams.enumerated() {
                    group.addTask {
                        for member in 0..<Self.agentsPerTeam {
                            _ = try await assignment.upsertAgent(
                                .with {
                                    $0.agent = .with {
                                        $0.id = Self.agentID(team: team, member: member)
                                        $0.displayName = "Agent \(team)-\(member)"
                                        $0.email = "agent-\(team)-\(member)@bench.example"
                                        $0.teamIds = [teamID]
                                        $0.capacity = Int32(Self.capacity)
                                    }
                                }, metadata: adminToken)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let setup = try await assignment.getWorkload(Inbox_V1_GetWorkloadRequest(), metadata: adminToken)
            guard setup.teams.count == Self.teamCount, setup.agents.count == Self.teamCount * Self.agentsPerTeam
            else {
                throw BenchError("setup: \(setup.teams.count) teams and \(setup.agents.count) agents")
            }

            print(
                "assignment-bench against \(options.assignment) (policy \(options.policy)): \(Self.teamCount) teams, "
                    + "\(setup.agents.count) agents (capacity \(Self.capacity)), batches of \(Self.batchSize), "
                    + "\(options.callers) callers; target ≥ 2000 decisions/s, batch p99 < 20 ms")

            // Phase "queue": 10,000 conversations while nobody is online; all of them wait.
            let now = Date()
            let batches: [Inbox_V1_RouteConversationRequest] = (0..<(Self.queuedConversations / Self.batchSize)).map {
                Self.batch(organizationID, prefix: "bench-queue", first: $0 * Self.batchSize, now: now)
            }
            let (queue, queueTime) = await Self.run(batches, callers: options.callers) { request in
                let response = try await assignment.routeConversation(request, metadata: serviceToken)
                guard response.results.count == request.conversations.count else { throw BenchError("short answer") }
                var tally = Tally()
                tally.count(response)
                return tally
            }
            Self.report("queue ", queue, seconds: micros(queueTime) / 1e6)

            // Phase "drain": 100 agents (2 per team) online at once; each call serves its team's
            // queue before it answers, so the drain is over when the last call returns.
            let before = try await assignment.getWorkload(Inbox_V1_GetWorkloadRequest(), metadata: adminToken)
            let queuedBefore = before.teams.reduce(0) { $0 + Int($1.queuedConversations) }
            let expected = min(queuedBefore, Self.teamCount * Self.onlinePerTeam * Self.capacity)
            let online = (0..<Self.teamCount).flatMap { team in
                (0..<Self.onlinePerTeam).map { Self.agentID(team: team, member: $0) }
            }
            let start = ContinuousClock.now
            let calls = await withTaskGroup(of: Samples.self) { group in
                for agentID in online {
                    group.addTask {
                        var samples = Samples()
                        let callStart = ContinuousClock.now
                        do {
                            _ = try await assignment.setAgentAvailability(
                                .with {
                                    $0.agentID = agentID
                                    $0.availability = .online
                                }, metadata: adminToken)
                            samples.latencies.append(micros(ContinuousClock.now - callStart))
                        } catch {
                            samples.failures += 1
                        }
                        return samples
                    }
                }
                var all = Samples()
                for await samples in group { all.merge(samples) }
                return all
            }
            let callsDone = ContinuousClock.now - start
            // Confirm with GetWorkload: poll until the queues shrank by the online capacity, or
            // stopped shrinking (at most 30 s).
            var queuedAfter = queuedBefore
            var previous = -1
            var workload = before
            let pollDeadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < pollDeadline {
                workload = try await assignment.getWorkload(Inbox_V1_GetWorkloadRequest(), metadata: adminToken)
                queuedAfter = workload.teams.reduce(0) { $0 + Int($1.queuedConversations) }
                if queuedBefore - queuedAfter >= expected || queuedAfter == previous { break }
                previous = queuedAfter
                try await Task.sleep(for: .milliseconds(50))
            }
            let confirmed = ContinuousClock.now - start
            let onlineIDs = Set(online)
            let full = workload.agents.filter {
                onlineIDs.contains($0.agentID) && $0.availability == .online
                    && $0.openConversations >= $0.capacity
            }.count
            print(
                String(
                    format:
                        "drain   %3d agents online at once: drained %5d of %5d queued (expected %d) in %8.1f ms (confirmed by GetWorkload at %8.1f ms)  agents full %d/%d  SetAgentAvailability p50 %6.2f ms  p99 %6.2f ms  failures %d",
                    online.count, queuedBefore - queuedAfter, queuedBefore, expected, micros(callsDone) / 1000,
                    micros(confirmed) / 1000, full, online.count, calls.percentile(0.5) / 1000,
                    calls.percentile(0.99) / 1000, calls.failures))

            // Phase "assign": new conversations for `--seconds` with those 100 agents online
            // (their capacity is full, so most wait in the queues).
            let assign = try await Self.run(callers: options.callers, seconds: options.seconds) {
                let request = Self.batch(
                    organizationID, prefix: "bench-assign-\(UUID().uuidString)", first: 0, now: Date())
                let response = try await assignment.routeConversation(request, metadata: serviceToken)
                guard response.results.count == request.conversations.count else { throw BenchError("short answer") }
                var tally = Tally()
                tally.count(response)
                return tally
            }
            Self.report("assign", assign, seconds: Double(options.seconds))
        }
    }

    static func agentID(team: Int, member: Int) -> String { "agent-\(team)-\(member)" }

    /// One batch of `batchSize` conversations `<prefix>-<first + i>` on channel `channel-<(first + i) % 50>`
    /// (so spread over the 50 teams), each due within a few hours.
    static func batch(_ organizationID: String, prefix: String, first: Int, now: Date)
        -> Inbox_V1_RouteConversationRequest
    {
        .with {
            $0.conversations = (first..<(first + Self.batchSize)).map { index in
                let conversationID = "\(prefix)-\(index)"
                return Inbox_V1_ConversationToRoute.with {
                    $0.organizationID = organizationID
                    $0.conversationID = conversationID
                    $0.channelID = "channel-\(index % Self.teamCount)"
                    $0.platform = .facebook
                    $0.kind = .directMessage
                    $0.routeKey = conversationID
                    $0.respondBy = Google_Protobuf_Timestamp(
                        date: now.addingTimeInterval(Double(Int.random(in: 1...240)) * 60))
                }
            }
        }
    }

    static func report(_ phase: String, _ samples: Samples, seconds: Double) {
        let tally = samples.tally
        print(
            phase
                + String(
                    format:
                        "  batches of %d: %9.0f decisions/s  (%6.0f batches/s)  batch p50 %6.2f ms  p99 %6.2f ms  assigned %d  queued %d  unchanged %d  failed items %d  failed calls %d",
                    Self.batchSize, Double(tally.decisions) / seconds, Double(samples.latencies.count) / seconds,
                    samples.percentile(0.5) / 1000, samples.percentile(0.99) / 1000, tally.assigned, tally.queued,
                    tally.unchanged, tally.failed, samples.failures))
    }

    /// Sends every batch once, from `callers` concurrent tasks, timing each call; returns the
    /// samples and the wall time of the whole phase.
    static func run(
        _ batches: [Inbox_V1_RouteConversationRequest], callers: Int,
        _ call: @escaping @Sendable (Inbox_V1_RouteConversationRequest) async throws -> Tally
    ) async -> (Samples, Duration) {
        let start = ContinuousClock.now
        let samples = await withTaskGroup(of: Samples.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var samples = Samples()
                    for index in stride(from: caller, to: batches.count, by: callers) {
                        let callStart = ContinuousClock.now
                        do {
                            samples.tally.merge(try await call(batches[index]))
                            samples.latencies.append(micros(ContinuousClock.now - callStart))
                        } catch {
                            samples.failures += 1
                        }
                    }
                    return samples
                }
            }
            var all = Samples()
            for await samples in group { all.merge(samples) }
            return all
        }
        return (samples, ContinuousClock.now - start)
    }

    /// Runs `call` from `callers` concurrent tasks for `seconds`, timing each call.
    static func run(callers: Int, seconds: Int, _ call: @escaping @Sendable () async throws -> Tally) async throws
        -> Samples
    {
        let deadline = ContinuousClock.now + .seconds(seconds)
        return await withTaskGroup(of: Samples.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var samples = Samples()
                    samples.latencies.reserveCapacity(100_000)
                    while ContinuousClock.now < deadline {
                        let start = ContinuousClock.now
                        do {
                            samples.tally.merge(try await call())
                            samples.latencies.append(micros(ContinuousClock.now - start))
                        } catch {
                            samples.failures += 1
                        }
                    }
                    return samples
                }
            }
            var all = Samples()
            for await samples in group { all.merge(samples) }
            return all
        }
    }
}
