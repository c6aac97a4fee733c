import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCInProcessTransport
import InboxAPI
import InboxKit
import Logging
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import ChannelGateway

/// policy-service's and conversation-service's answers as the tests script them, and every call
/// they received.
final class GatewayPeerStandIns: Sendable {
    struct State {
        /// CheckIngest's decision per organisation (DELIVER when absent).
        var decisions: [String: Inbox_V1_IngestDecision] = [:]
        var checkIngestCalls = 0
        /// Every event IngestEvents received, in order (repeats included).
        var received: [Inbox_V1_InboundEvent] = []
        var ingestCalls = 0
        /// (channel, platform event id) already CREATED: a repeat is DUPLICATE, as the real service.
        var created: Set<String> = []
        /// While true, IngestEvents fails with UNAVAILABLE (conversation-service down).
        var conversationDown = false
        var policyDown = false
        /// An event for which this returns a value fails with that retryable flag.
        var failEvent: (@Sendable (Inbox_V1_InboundEvent) -> Bool?)?
        /// How long IngestEvents takes (a slow conversation-service).
        var ingestDelay: Duration = .zero
    }

    let state = Mutex(State())
    /// RecordDeliveryStatus's script and calls (GatewayPeerStandIns+Outbound.swift).
    let deliveryStatus = DeliveryStatusStandIn()

    func with<T>(_ body: (inout State) -> T) -> T { self.state.withLock { body(&$0) } }

    var received: [Inbox_V1_InboundEvent] { self.with { $0.received } }

    func checkIngest(_ request: Inbox_V1_CheckIngestRequest) async throws -> Inbox_V1_CheckIngestResponse {
        let (down, decisions) = self.with { state -> (Bool, [String: Inbox_V1_IngestDecision]) in
            state.checkIngestCalls += 1
            return (state.policyDown, state.decisions)
        }
        if down { throw RPCError(code: .unavailable, message: "stand-in: policy-service is down") }
        return .with {
            $0.verdicts = request.queries.map { query in
                let decision = decisions[query.organizationID] ?? .deliver
                return .with {
                    $0.query = query
                    $0.decision = decision
                    switch decision {
                    case .hold:
                        $0.reason = "the inbox is deactivated"
                        $0.reasonCode = .inboxDeactivated
                    case .reject:
                        $0.reason = "the plan does not include this platform"
                        $0.reasonCode = .planDoesNotAllowPlatform
                    default: break
                    }
                }
            }
        }
    }

    func ingest(_ request: Inbox_V1_IngestEventsRequest) async throws -> Inbox_V1_IngestEventsResponse {
        let (down, delay, fail) = self.with { state in
            (state.conversationDown, state.ingestDelay, state.failEvent)
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        if down { throw RPCError(code: .unavailable, message: "stand-in: conversation-service is down") }
        return self.with { state in
            state.ingestCalls += 1
            state.received += request.events
            return .with {
                $0.results = request.events.map { event in
                    if let retryable = fail?(event) {
                        return .with {
                            $0.eventID = event.id
                            $0.outcome = .failed
                            $0.retryable = retryable
                            $0.error = .with {
                                $0.code = 9
                                $0.message = "stand-in: refused"
                            }
                        }
                    }
                    let fresh = state.created.insert("\(event.channelID) \(event.platformEventID)").inserted
                    return .with {
                        $0.eventID = event.id
                        $0.outcome = fresh ? .created : .duplicate
                        $0.conversationID = "conversation-\(event.threadKey)"
                    }
                }
            }
        }
    }
}

/// The gateway's handlers, webhook HTTP endpoint (a real socket on 127.0.0.1) and background work
/// on a migrated test database, its peers played by ``GatewayPeerStandIns``.
struct GatewayHarness {
    static let organization = "org-test"
    static let key = (id: "k1", key: [UInt8](repeating: 7, count: 32))
    /// The operator's apps for the shared endpoints.
    static let metaSecret = "meta-app-secret"
    static let metaVerifyToken = "meta-verify-token"
    static let xSecret = "x-consumer-secret"
    static let linkedInSecret = "linkedin-client-secret"
    static let tiktokSecret = "tiktok-client-secret"
    static let apps: [Platform: PlatformApp] = [
        .facebook: PlatformApp(appSecret: metaSecret, verifyToken: metaVerifyToken),
        .instagram: PlatformApp(appSecret: metaSecret, verifyToken: metaVerifyToken),
        .whatsapp: PlatformApp(appSecret: metaSecret, verifyToken: metaVerifyToken),
        .x: PlatformApp(appSecret: xSecret),
        .linkedin: PlatformApp(appSecret: linkedInSecret),
        .tiktok: PlatformApp(appSecret: tiktokSecret),
    ]

    let client: Inbox_V1_ChannelGatewayService.Client<InProcessTransport.Client>
    let database: PostgresClient
    let peers: GatewayPeerStandIns
    let parts: GatewayParts
    let baseURL: String
    let http: HTTPClient

    /// The pollers would call the production hosts: PollerTests run them against the fakes.
    static var noPollers: PollerSettings {
        var settings = PollerSettings()
        settings.enabled = false
        return settings
    }

    static var fastSettings: InboundSettings {
        var settings = InboundSettings()
        settings.pollInterval = .milliseconds(50)
        settings.retryDelay = .milliseconds(20)
        settings.maxRetryDelay = .milliseconds(200)
        settings.heldRecheckInterval = .milliseconds(200)
        settings.channelCacheTTL = .milliseconds(200)
        settings.counterFlushInterval = .milliseconds(50)
        // Content fetches go to the production hosts (unreachable here) and keep failing: events
        // that wait for content stay AWAITING_CONTENT (ContentFetchWorkerTests cover the fetch).
        settings.contentFetchMaxAttempts = 1_000_000
        return settings
    }

    static func with<T: Sendable>(
        settings: InboundSettings = Self.fastSettings, maxBodyBytes: Int = 1 << 20,
        outbound: OutboundSettings = Self.fastOutbound, outboundEndpoints: OutboundEndpoints = .production,
        xOAuthClient: XOAuthClient? = nil, webChat: WebChatLimits = WebChatLimits(),
        _ body: (GatewayHarness) async throws -> T
    ) async throws -> T {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway", maxConnections: 20) {
                postgres in
                try await MigrationRunner(schema: "gateway", migrations: GatewayMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                return try await Self.run(
                    database: postgres, settings: settings, maxBodyBytes: maxBodyBytes, outbound: outbound,
                    outboundEndpoints: outboundEndpoints, xOAuthClient: xOAuthClient, webChat: webChat, body)
            }
        }
    }

    /// One replica on `database` (already migrated): a second call on the same database is a
    /// second replica, or the gateway after a restart.
    static func run<T: Sendable>(
        database postgres: PostgresClient, peers: GatewayPeerStandIns = GatewayPeerStandIns(),
        settings: InboundSettings = Self.fastSettings, maxBodyBytes: Int = 1 << 20,
        outbound: OutboundSettings = Self.fastOutbound, outboundEndpoints: OutboundEndpoints = .production,
        xOAuthClient: XOAuthClient? = nil, webChat: WebChatLimits = WebChatLimits(),
        _ body: (GatewayHarness) async throws -> T
    ) async throws -> T {
        let standIns: [any RegistrableRPCService] = [
            GatewayPolicyStandIn(state: peers), GatewayConversationStandIn(state: peers),
        ]
        let interceptor = await TestTokens.serviceInterceptor(.channelGateway)
        return try await withInProcessServer(services: standIns, clientInterceptors: [interceptor]) { peerClient in
            let port = try freePort()
            var configuration = GatewayConfiguration(
                service: ServiceConfiguration(
                    service: .channelGateway, database: try DatabaseURL(parsing: "postgres://unused@127.0.0.1/unused"),
                    grpcHost: "127.0.0.1", tokenSigningKey: "unused-in-process"),
                httpHost: "127.0.0.1", httpPort: port, maxBodyBytes: maxBodyBytes, secretsKey: Self.key,
                platformApps: Self.apps, inbound: settings, outboundEndpoints: outboundEndpoints,
                pollers: Self.noPollers)
            configuration.outbound = outbound
            configuration.xOAuthClient = xOAuthClient
            configuration.webChat = webChat
            let health = HealthStatus(services: [])
            health.setAll(.serving)
            let parts = try ChannelGatewayApp.assemble(
                configuration: configuration, database: postgres,
                peers: GatewayPeers(
                    policy: Inbox_V1_PolicyService.Client(wrapping: peerClient),
                    conversation: Inbox_V1_ConversationService.Client(wrapping: peerClient)),
                plans: PlanStandIn(enterprise: ["org-big", Self.organization]), health: health,
                logger: Logger(label: "gateway-test"), now: { Date() })
            return try await withInProcessServer(services: [parts.rpc]) { client in
                let http = HTTPClient(eventLoopGroupProvider: .singleton)
                defer { Task { try? await http.shutdown() } }
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    for service in parts.background { group.addTask { try await service.run() } }
                    defer { group.cancelAll() }
                    let harness = GatewayHarness(
                        client: .init(wrapping: client), database: postgres, peers: peers, parts: parts,
                        baseURL: "http://127.0.0.1:\(port)", http: http)
                    try await harness.waitForHTTP()
                    return try await body(harness)
                }
            }
        }
    }

    /// Waits until the HTTP server answers (it starts with the background services).
    func waitForHTTP() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if (try? await self.get("/healthz").status) == 200 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the gateway's HTTP server did not come up")
    }

    static func admin(_ organization: String = Self.organization) async throws -> Metadata {
        try await TestTokens.metadata(.admin, organization: organization)
    }

    static func operatorToken() async throws -> Metadata {
        try await TestTokens.metadata(.operator, organization: nil)
    }

    /// Connects a channel for `organization` through the RPC.
    @discardableResult
    func connect(
        _ platform: Inbox_V1_Platform, account: String, organization: String = Self.organization,
        credentials: Inbox_V1_ChannelCredentials, settings: [String: String] = [:]
    ) async throws -> Inbox_V1_Channel {
        try await self.client.connectChannel(
            .with {
                $0.platform = platform
                $0.externalAccountID = account
                $0.displayName = "\(platform) \(account)"
                $0.credentials = credentials
                $0.settings = settings
            }, metadata: Self.admin(organization))
    }

    /// A Facebook Page channel whose own secrets are the operator's Meta app ones.
    @discardableResult
    func connectPage(_ pageID: String, organization: String = Self.organization) async throws -> Inbox_V1_Channel {
        try await self.connect(
            .facebook, account: pageID, organization: organization,
            credentials: .with {
                $0.accessToken = "page-token-\(pageID)"
                $0.signingSecret = Self.metaSecret
                $0.verifyToken = Self.metaVerifyToken
            })
    }

    func post(_ webhook: SignedWebhook) async throws -> (status: Int, body: String) {
        let (status, body) = try await WebhookPoster(client: self.http).post(webhook)
        return (status, String(decoding: body, as: UTF8.self))
    }

    func post(
        _ path: String, body: [UInt8], headers: [String: String] = [:], method: NIOHTTP1.HTTPMethod = .POST
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: self.baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(body)
        let response = try await self.http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func get(_ pathAndQuery: String) async throws -> (status: Int, body: String) {
        let response = try await self.http.execute(
            HTTPClientRequest(url: self.baseURL + pathAndQuery), timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func url(_ path: String) -> String { self.baseURL + path }

    /// How many rows of the inbound log are in each state (all channels, UNROUTED included).
    func states(channel: String? = nil) async throws -> [String: Int] {
        let rows = try await self.database.query(
            """
            SELECT state, count(*)::bigint FROM inbound_events
            WHERE (\(channel)::uuid IS NULL OR channel_id = \(channel)::uuid) GROUP BY state
            """, logger: Logger(label: "test"))
        var result: [String: Int] = [:]
        for try await (state, count) in rows.decode((String, Int64).self) { result[state] = Int(count) }
        return result
    }

    /// Every stored platform event id with its state and channel, oldest first.
    func stored() async throws -> [(eventID: String, state: String, channel: String)] {
        let rows = try await self.database.query(
            """
            SELECT platform_event_id, state, coalesce(channel_id::text, '') FROM inbound_events
            ORDER BY received_at, platform_event_id
            """, logger: Logger(label: "test"))
        var result: [(eventID: String, state: String, channel: String)] = []
        for try await row in rows.decode((String, String, String).self) { result.append(row) }
        return result
    }

    func count(_ sql: String) async throws -> Int {
        let rows = try await self.database.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test"))
        for try await (count, ) in rows.decode((Int64,).self) { return Int(count) }
        return 0
    }

    /// Polls `condition` every 20 ms for up to `timeout`; true once it holds.
    func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
