import BenchSupport
// policy-bench: CheckIngest decisions/s (batches of 500) and CheckReply calls/s at 16 concurrent
// callers, through real gRPC against a running policy-service (Benchmarks/run-policy-bench starts
// one, release build, on a private PostgreSQL with durable defaults). Not a test: it prints figures.
//
//   policy-bench [--addr 127.0.0.1:50054] [--seconds 10] [--ingest-callers 2] [--reply-callers 16]
//   (TOKEN_SIGNING_KEY in the environment, as the service has it)
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import SwiftProtobuf

struct Options {
    var address = HostAndPort(host: "127.0.0.1", port: 50054)
    var seconds = 10
    var ingestCallers = 2
    var replyCallers = 16

    init(_ arguments: [String]) throws {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--addr":
                guard let address = HostAndPort(value) else { throw BenchError("--addr must be host:port") }
                self.address = address
            case "--seconds": self.seconds = Int(value) ?? self.seconds
            case "--ingest-callers": self.ingestCallers = Int(value) ?? self.ingestCallers
            case "--reply-callers": self.replyCallers = Int(value) ?? self.replyCallers
            default: throw BenchError("unknown option \(flag)")
            }
        }
    }
}

/// Latencies of one phase, in microseconds.
struct Samples: Sendable {
    var latencies: [Double] = []
    var failures = 0

    mutating func merge(_ other: Samples) {
        self.latencies += other.latencies
        self.failures += other.failures
    }

    func percentile(_ p: Double) -> Double { BenchSupport.percentile(self.latencies, p) }
}

@main
struct PolicyBench {
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

        try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: options.address.host, port: options.address.port), transportSecurity: .plaintext)
        ) { client in
            let policy = Inbox_V1_PolicyService.Client(wrapping: client)
            // 100 organisations, a third on the enterprise plan.
            var organizations: [String] = []
            for index in 0..<100 {
                let organization = try await policy.createOrganization(
                    .with {
                        $0.name = "Bench \(index)"
                        $0.plan = index % 3 == 0 ? .enterprise : .standard
                        $0.timeZone = "Europe/Paris"
                    }, metadata: operatorToken)
                organizations.append(organization.id)
            }
            let platforms: [Inbox_V1_Platform] = [.facebook, .instagram, .whatsapp, .wechat, .telegram, .x]
            let batch = Inbox_V1_CheckIngestRequest.with {
                $0.queries = (0..<500).map { index in
                    .with {
                        $0.organizationID = organizations[index % organizations.count]
                        $0.platform = platforms[index % platforms.count]
                        $0.channelID = "channel-\(index % 40)"
                    }
                }
            }
            let agentToken = try await metadata(.agent, organizations[0])
            let now = Date()
            let replies: [Inbox_V1_CheckReplyRequest] = (0..<64).map { index in
                .with {
                    $0.platform = platforms[index % platforms.count]
                    $0.conversationKind = .directMessage
                    $0.humanAuthored = index % 2 == 0
                    $0.lastCustomerMessageAt = Google_Protobuf_Timestamp(
                        date: now.addingTimeInterval(-Double(index) * 3600))
                }
            }

            // Warm up both paths.
            for _ in 0..<20 { _ = try await policy.checkIngest(batch, metadata: serviceToken) }
            for request in replies { _ = try await policy.checkReply(request, metadata: agentToken) }

            let ingest = try await Self.run(callers: options.ingestCallers, seconds: options.seconds) {
                let response = try await policy.checkIngest(batch, metadata: serviceToken)
                guard response.verdicts.count == 500 else { throw BenchError("short answer") }
            }
            let reply = try await Self.run(callers: options.replyCallers, seconds: options.seconds) {
                _ = try await policy.checkReply(replies[Int.random(in: 0..<replies.count)], metadata: agentToken)
            }
            let seconds = Double(options.seconds)
            print("policy-bench against \(options.address), \(options.seconds) s per phase")
            print(
                String(
                    format:
                        "CheckIngest  batches of 500, %2d callers: %9.0f decisions/s  (%6.0f batches/s)  batch p50 %6.2f ms  p99 %6.2f ms  failures %d",
                    options.ingestCallers, Double(ingest.latencies.count * 500) / seconds,
                    Double(ingest.latencies.count) / seconds, ingest.percentile(0.5) / 1000,
                    ingest.percentile(0.99) / 1000,
                    ingest.failures))
            print(
                String(
                    format:
                        "CheckReply   unary,          %2d callers: %9.0f calls/s                         p50 %6.2f ms  p99 %6.2f ms  failures %d",
                    options.replyCallers, Double(reply.latencies.count) / seconds, reply.percentile(0.5) / 1000,
                    reply.percentile(0.99) / 1000, reply.failures))
        }
    }

    /// Runs `call` from `callers` concurrent tasks for `seconds`, timing each call.
    static func run(callers: Int, seconds: Int, _ call: @escaping @Sendable () async throws -> Void) async throws
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
                            try await call()
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
