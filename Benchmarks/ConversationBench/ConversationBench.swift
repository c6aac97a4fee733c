// conversation-bench: conversation-service under the load, through real gRPC on 127.0.0.1
// (Benchmarks/run-conversation-bench starts policy-, assignment- and conversation-service, release
// builds, on a private PostgreSQL with durable defaults, and bulk-loads 100,000 conversations and
// 1,000,000 messages with load.sql). Not a test: it prints figures beside the targets.
//
//   conversation-bench organizations --policy 127.0.0.1:50054
//       creates org-bench and three small organisations at policy-service (whose ids the loader
//       and the services use) and prints their ids, the large one first
//   conversation-bench measure --addr 127.0.0.1:50052 --organization <id> [--batches-100 200]
//       [--batches-500 60] [--callers 2] [--list-calls 500] [--watch-rate 20] [--watch-seconds 10]
//       [--common-word commande] [--accented-word réservation]
//       IngestEvents events/s in batches of 100 and 500, ListConversations p50/p99 (unfiltered, by
//       status, by assignee, two text queries), WatchConversations delivery latency
//   (TOKEN_SIGNING_KEY in the environment, as the services have it)
import BenchSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import SwiftProtobuf

@main
struct ConversationBench {
    static func main() async {
        do {
            let arguments = Array(CommandLine.arguments.dropFirst())
            guard let key = ProcessInfo.processInfo.environment["TOKEN_SIGNING_KEY"] else {
                throw BenchError("TOKEN_SIGNING_KEY is required")
            }
            let tokens = await BenchTokens(signingKey: key, subject: "conversation-bench")
            switch arguments.first ?? "" {
            case "organizations":
                try await Self.createOrganizations(OrganizationOptions(arguments.dropFirst()), tokens: tokens)
            case "measure":
                try await Self.measure(MeasureOptions(arguments.dropFirst()), tokens: tokens)
            default:
                throw BenchError(
                    "usage: conversation-bench organizations --policy host:port | "
                        + "conversation-bench measure --addr host:port --organization id [options]")
            }
        } catch {
            FileHandle.standardError.write(Data("conversation-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    /// The organisations live in policy-service: conversation-service reports inbox activity for
    /// them and its follow-ups ask policy and assignment about them, so they must exist there.
    static func createOrganizations(_ options: OrganizationOptions, tokens: BenchTokens) async throws {
        let operatorToken = try await tokens.metadata(.operator)
        let ids: [String] = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: options.policy.host, port: options.policy.port), transportSecurity: .plaintext)
        ) { client in
            let policy = Inbox_V1_PolicyService.Client(wrapping: client)
            let organizations: [(String, Inbox_V1_Plan)] = [
                ("org-bench", .enterprise), ("org-small-1", .standard), ("org-small-2", .standard),
                ("org-small-3", .enterprise),
            ]
            var ids: [String] = []
            for (name, plan) in organizations {
                let organization = try await policy.createOrganization(
                    .with {
                        $0.name = name
                        $0.plan = plan
                        $0.timeZone = "Europe/Paris"
                    }, metadata: operatorToken)
                ids.append(organization.id)
            }
            return ids
        }
        print(ids.joined(separator: " "))
    }

    static func measure(_ options: MeasureOptions, tokens: BenchTokens) async throws {
        let serviceToken = try await tokens.metadata(.service)
        // An agent lists their inbox; an admin watches the whole organisation.
        let agentToken = try await tokens.metadata(.agent, organization: options.organization, agent: "agent-7")
        let adminToken = try await tokens.metadata(.admin, organization: options.organization, agent: "bench-admin")

        try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: options.address.host, port: options.address.port), transportSecurity: .plaintext)
        ) { client in
            let conversations: any Inbox_V1_ConversationService.ClientProtocol =
                Inbox_V1_ConversationService.Client(wrapping: client)
            let threads = try await BenchThread.sample(conversations, metadata: adminToken)
            let factory = try EventFactory(organizationID: options.organization, threads: threads)
            print(
                "conversation-bench against \(options.address), organisation \(options.organization): "
                    + "\(threads.count) existing threads sampled, \(options.callers) ingest callers, "
                    + "\(Int(EventFactory.newConversationShare * 100)) % of ingested events start a conversation")
            var report = Report()

            // Reads and the watch first, on the loaded data at rest; ingest last, since each new
            // conversation and customer message leaves follow-ups (routing, automatic replies) that
            // keep policy- and assignment-service busy for a while after the phase.
            let lists: [(name: String, label: String, target: Double, request: Inbox_V1_ListConversationsRequest)] = [
                ("list_unfiltered", "ListConversations, unfiltered", 15, .with { $0.pageSize = 50 }),
                (
                    "list_status_open", "ListConversations, statuses [OPEN]", 15,
                    .with {
                        $0.pageSize = 50
                        $0.filter = .with { $0.statuses = [.open] }
                    }
                ),
                (
                    "list_assignee", "ListConversations, assignee agent-7", 15,
                    .with {
                        $0.pageSize = 50
                        $0.filter = .with { $0.assigneeAgentID = "agent-7" }
                    }
                ),
                (
                    "search_common", "ListConversations, query \"\(options.commonWord)\"", 50,
                    .with {
                        $0.pageSize = 50
                        $0.query = options.commonWord
                    }
                ),
                (
                    "search_accented", "ListConversations, query \"\(options.accentedWord)\"", 50,
                    .with {
                        $0.pageSize = 50
                        $0.query = options.accentedWord
                    }
                ),
            ]
            for list in lists {
                let result = await ListPhase.run(
                    conversations, request: list.request, calls: options.listCalls, metadata: agentToken)
                report.list(result, name: list.name, label: list.label, targetMilliseconds: list.target)
            }

            let watch = try await WatchPhase.run(
                conversations, factory: factory, rate: options.watchRate, seconds: options.watchSeconds,
                serviceToken: serviceToken, watcherToken: adminToken)
            report.watch(watch)

            // A few batches first, so that connections and caches are warm on both sides.
            _ = await IngestPhase.run(
                conversations, factory: factory, phase: "warm", batches: 10, size: 100, callers: options.callers,
                metadata: serviceToken)
            for (size, batches) in [(100, options.batches100), (500, options.batches500)] where batches > 0 {
                let result = await IngestPhase.run(
                    conversations, factory: factory, phase: "b\(size)", batches: batches, size: size,
                    callers: options.callers, metadata: serviceToken)
                report.ingest(result, size: size, callers: options.callers)
            }

            report.render()
        }
    }
}

struct OrganizationOptions {
    var policy = HostAndPort(host: "127.0.0.1", port: 50054)

    init(_ arguments: ArraySlice<String>) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--policy":
                guard let address = HostAndPort(value) else { throw BenchError("--policy must be host:port") }
                self.policy = address
            default: throw BenchError("unknown option \(flag)")
            }
        }
    }
}

struct MeasureOptions {
    var address = HostAndPort(host: "127.0.0.1", port: 50052)
    var organization = ""
    var batches100 = 200
    var batches500 = 60
    var callers = 2
    var listCalls = 500
    var watchRate = 20
    var watchSeconds = 10
    /// About 1.7 % of the loaded messages carry it (load.sql's vocabulary rank 94).
    var commonWord = "commande"
    /// About 0.6 % of the messages, with its unaccented spelling "reservation" (search folds accents).
    var accentedWord = "réservation"

    init(_ arguments: ArraySlice<String>) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value") }
            func count() throws -> Int {
                guard let number = Int(value), number >= 0 else { throw BenchError("\(flag) must be a count") }
                return number
            }
            switch flag {
            case "--addr":
                guard let address = HostAndPort(value) else { throw BenchError("--addr must be host:port") }
                self.address = address
            case "--organization": self.organization = value
            case "--batches-100": self.batches100 = try count()
            case "--batches-500": self.batches500 = try count()
            case "--callers": self.callers = try max(1, count())
            case "--list-calls": self.listCalls = try max(1, count())
            case "--watch-rate": self.watchRate = try max(1, count())
            case "--watch-seconds": self.watchSeconds = try max(1, count())
            case "--common-word": self.commonWord = value
            case "--accented-word": self.accentedWord = value
            default: throw BenchError("unknown option \(flag)")
            }
        }
        guard !self.organization.isEmpty else { throw BenchError("--organization is required") }
    }
}
