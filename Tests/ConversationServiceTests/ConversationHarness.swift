import Foundation
import GRPCCore
import GRPCInProcessTransport
import InboxAPI
import InboxKit
import InboxRules
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import ConversationService

/// The peers' answers as the tests script them, and every call they received.
final class PeerStandIns: Sendable {
    struct State {
        var activity: [Inbox_V1_RecordActivityRequest] = []
        var routed: [Inbox_V1_ConversationToRoute] = []
        var released: [Inbox_V1_ConversationToRelease] = []
        /// assignment-service's routes ("route <route key>") and releases ("release <conversation
        /// id>") in the order they arrived.
        var assignmentLog: [String] = []
        var candidates: [Inbox_V1_AutoReplyCandidate] = []
        var deliveries: [Inbox_V1_DeliverMessageRequest] = []
        /// The gateway's NotifyTyping calls.
        var typing: [Inbox_V1_NotifyTypingRequest] = []
        var policyCalls: [String] = []
        /// The next N calls of each peer fail with UNAVAILABLE.
        var failRouting = 0
        var failReleases = 0
        var failAutoReplies = 0
        var failDeliveries = 0
        var failPolicy = 0
        /// The automatic reply policy answers for a candidate (nil: no reply).
        var autoReply: (@Sendable (Inbox_V1_AutoReplyCandidate) -> String?)?
    }

    let state = Mutex(State())
    let firstResponseTargetSeconds = 3600

    func with<T>(_ body: (inout State) -> T) -> T { self.state.withLock { body(&$0) } }

    var activity: [Inbox_V1_RecordActivityRequest] { self.with { $0.activity } }
    var routed: [Inbox_V1_ConversationToRoute] { self.with { $0.routed } }
    var released: [Inbox_V1_ConversationToRelease] { self.with { $0.released } }
    var candidates: [Inbox_V1_AutoReplyCandidate] { self.with { $0.candidates } }
    var deliveries: [Inbox_V1_DeliverMessageRequest] { self.with { $0.deliveries } }

    func policyCall(_ name: String) throws {
        let fail = self.with { state -> Bool in
            state.policyCalls.append(name)
            if name == "EvaluateAutoReply", state.failAutoReplies > 0 {
                state.failAutoReplies -= 1
                return true
            }
            if state.failPolicy > 0 {
                state.failPolicy -= 1
                return true
            }
            return false
        }
        if fail { throw RPCError(code: .unavailable, message: "stand-in: policy-service is down") }
    }

    func assignmentCall() throws {
        let fail = self.with { state -> Bool in
            guard state.failRouting > 0 else { return false }
            state.failRouting -= 1
            return true
        }
        if fail { throw RPCError(code: .unavailable, message: "stand-in: assignment-service is down") }
    }

    /// ReleaseConversations fails while `failReleases` lasts (its own counter, so routing goes on).
    func releaseCall() throws {
        let fail = self.with { state -> Bool in
            guard state.failReleases > 0 else { return false }
            state.failReleases -= 1
            return true
        }
        if fail { throw RPCError(code: .unavailable, message: "stand-in: assignment-service is down") }
    }

    func gatewayCall() throws {
        let fail = self.with { state -> Bool in
            guard state.failDeliveries > 0 else { return false }
            state.failDeliveries -= 1
            return true
        }
        if fail { throw RPCError(code: .unavailable, message: "stand-in: the gateway is down") }
    }

    func record(activity: Inbox_V1_RecordActivityRequest) { self.with { $0.activity.append(activity) } }

    /// policy-service's CheckReply: the same shared rules, at the real clock.
    static func checkReply(_ request: Inbox_V1_CheckReplyRequest) -> Inbox_V1_CheckReplyResponse {
        let kind = (try? ConversationKind(proto: request.conversationKind, field: "")) ?? .directMessage
        var sendKind = ReplySendKind(proto: request.sendKind) ?? .defaultFor(kind)
        if request.hasTemplate { sendKind = .template }
        let facts = ReplyFacts(
            platform: (try? ReplyPlatform(proto: request.platform, field: "")) ?? .webChat, conversationKind: kind,
            sendKind: sendKind, humanAuthored: request.humanAuthored,
            lastCustomerMessageAt: request.lastCustomerMessageAt.dateIfSet,
            commentCreatedAt: request.commentCreatedAt.dateIfSet, privateRepliesSent: Int(request.privateRepliesSent),
            contactOptedOut: request.contactOptedOut, channelStatus: ChannelState(proto: request.channelStatus))
        return ReplyRules.decide(facts, now: Date()).proto
    }

    func evaluate(_ request: Inbox_V1_EvaluateAutoReplyRequest) -> Inbox_V1_EvaluateAutoReplyResponse {
        let answer = self.with { state -> (@Sendable (Inbox_V1_AutoReplyCandidate) -> String?)? in
            state.candidates += request.candidates
            return state.autoReply
        }
        return .with {
            $0.decisions = request.candidates.map { candidate in
                let text = answer?(candidate)
                return .with {
                    $0.conversationID = candidate.conversationID
                    $0.messageID = candidate.messageID
                    $0.reply = text != nil
                    $0.text = text ?? ""
                    $0.ruleID = text == nil ? "" : "rule-standin"
                    $0.reason = text == nil ? "no rule matches" : "stand-in rule"
                }
            }
        }
    }

    func route(_ request: Inbox_V1_RouteConversationRequest) -> Inbox_V1_RouteConversationResponse {
        self.with {
            $0.routed += request.conversations
            $0.assignmentLog += request.conversations.map { "route \($0.routeKey)" }
        }
        return .with {
            $0.results = request.conversations.map { conversation in
                .with {
                    $0.conversationID = conversation.conversationID
                    $0.routeKey = conversation.routeKey
                    $0.outcome = .queued
                }
            }
        }
    }

    func release(_ request: Inbox_V1_ReleaseConversationsRequest) -> Inbox_V1_ReleaseConversationsResponse {
        self.with {
            $0.released += request.conversations
            $0.assignmentLog += request.conversations.map { "release \($0.conversationID)" }
        }
        return .with {
            $0.results = request.conversations.map { conversation in
                .with {
                    $0.conversationID = conversation.conversationID
                    $0.outcome = .released
                }
            }
        }
    }

    func deliver(_ request: Inbox_V1_DeliverMessageRequest) -> Inbox_V1_Delivery {
        self.with { $0.deliveries.append(request) }
        return .with {
            $0.id = UUID().text
            $0.organizationID = request.organizationID
            $0.channelID = request.channelID
            $0.messageID = request.messageID
            $0.idempotencyKey = request.idempotencyKey
            $0.state = .pending
        }
    }
}

/// conversation-service's handlers and background workers over the in-process transport on a
/// migrated test database, its peers played by ``PeerStandIns`` behind the real interceptors.
struct ConversationHarness {
    static let organization = "org-test"

    let client: Inbox_V1_ConversationService.Client<InProcessTransport.Client>
    let database: PostgresClient
    let peers: PeerStandIns
    let parts: ConversationParts

    static var fastSettings: ConversationSettings {
        var settings = ConversationSettings()
        settings.pollInterval = .milliseconds(50)
        settings.retryDelay = .milliseconds(20)
        settings.maxRetryDelay = .milliseconds(100)
        settings.heartbeatInterval = .milliseconds(300)
        return settings
    }

    static func with<T: Sendable>(
        settings: ConversationSettings = Self.fastSettings, _ body: (ConversationHarness) async throws -> T
    ) async throws -> T {
        try await withTestDatabase { database in
            // The service's workers and its change feed (one connection held) share the pool with
            // the test's own queries, as in production (10 connections there).
            try await withPostgresClient(
                database.url(for: .conversationService), schema: "conversations", maxConnections: 10
            ) { postgres in
                try await MigrationRunner(schema: "conversations", migrations: ConversationMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                return try await Self.run(database: postgres, settings: settings, body)
            }
        }
    }

    /// One replica on `database` (already migrated): a second call on the same database is a
    /// second replica, or the service after a restart.
    static func run<T: Sendable>(
        database postgres: PostgresClient, peers: PeerStandIns = PeerStandIns(),
        settings: ConversationSettings = Self.fastSettings, _ body: (ConversationHarness) async throws -> T
    ) async throws -> T {
        let standIns: [any RegistrableRPCService] = [
            PolicyStandIn(state: peers), AssignmentStandIn(state: peers), ChannelGatewayStandIn(state: peers),
        ]
        let interceptor = await TestTokens.serviceInterceptor(.conversationService)
        return try await withInProcessServer(services: standIns, clientInterceptors: [interceptor]) { peerClient in
            let parts = ConversationServiceApp.assemble(
                database: postgres,
                peers: ConversationPeers(
                    policy: Inbox_V1_PolicyService.Client(wrapping: peerClient),
                    assignment: Inbox_V1_AssignmentService.Client(wrapping: peerClient),
                    gateway: Inbox_V1_ChannelGatewayService.Client(wrapping: peerClient)),
                settings: settings, logger: Logger(label: "conversation-test"), now: { Date() })
            return try await withInProcessServer(services: [parts.rpc]) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for service in parts.background { group.addTask { try await service.run() } }
                    defer { group.cancelAll() }
                    return try await body(
                        ConversationHarness(
                            client: .init(wrapping: client), database: postgres, peers: peers, parts: parts))
                }
            }
        }
    }

    static func agent(_ id: String = "agent-1", _ organization: String = Self.organization) async throws -> Metadata {
        ["authorization": "Bearer \(try await TestTokens.token(.agent, organization: organization, agent: id))"]
    }

    static func admin(_ organization: String = Self.organization) async throws -> Metadata {
        ["authorization": "Bearer \(try await TestTokens.token(.admin, organization: organization, agent: "boss"))"]
    }

    static func service() async throws -> Metadata { try await TestTokens.metadata(.service) }

    /// A customer's direct message on Facebook, as the gateway normalises it.
    static func message(
        _ platformMessageID: String, from customer: String = "customer-1", text: String = "Bonjour, ma commande ?",
        at time: Date = Date(), channel: String = "channel-fb", platform: Inbox_V1_Platform = .facebook,
        kind: Inbox_V1_MessageKind = .directMessage, threadKey: String? = nil,
        organization: String = Self.organization
    ) -> Inbox_V1_InboundEvent {
        .with {
            $0.id = "event-\(platformMessageID)"
            $0.organizationID = organization
            $0.channelID = channel
            $0.platform = platform
            $0.type = .message
            $0.kind = kind
            $0.platformEventID = "pe-\(platformMessageID)"
            $0.platformMessageID = platformMessageID
            $0.threadKey = threadKey ?? customer
            $0.author = .with {
                $0.platformUserID = customer
                $0.displayName = "Customer \(customer)"
                $0.handle = customer
            }
            $0.text = text
            $0.occurredAt = .init(date: time)
            $0.receivedAt = .init(date: Date())
            $0.platformAccountID = "page-1"
        }
    }

    func ingest(_ events: [Inbox_V1_InboundEvent]) async throws -> [Inbox_V1_IngestResult] {
        try await self.client.ingestEvents(.with { $0.events = events }, metadata: Self.service()).results
    }

    /// Polls `condition` every 20 ms for up to `timeout`; true once it holds.
    func eventually(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
