import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import Logging
import PlatformJSON
import PostgresNIO
import TestSupport
import Testing

@testable import ChannelGateway

/// The real channel-gateway executable, killed with SIGKILL after it answered webhooks and
/// before its relay delivered them: after a restart each is delivered once. Its peers are the
/// stand-ins, served on a real socket.
@Suite("channel-gateway: a crash between commit and relay")
struct GatewayCrashTests {
    @Test func killedBetweenCommitAndRelayDeliversEachEventOnceAfterRestart() async throws {
        let peers = GatewayPeerStandIns()
        peers.with { $0.conversationDown = true }
        try await withTestDatabase { database in
            try await Self.withPeerServer(peers) { peerPort in
                let grpcPort = try freePort()
                let httpPort = try freePort()
                let environment = [
                    "DATABASE_URL": Self.url(database.url(for: .channelGateway)),
                    "GRPC_HOST": "127.0.0.1", "GRPC_PORT": "\(grpcPort)",
                    "HTTP_HOST": "127.0.0.1", "HTTP_PORT": "\(httpPort)",
                    "TOKEN_SIGNING_KEY": TestTokens.signingKey,
                    "CHANNEL_SECRETS_KEY": "test:\(Data(repeating: 1, count: 32).base64EncodedString())",
                    "POLICY_SERVICE_ADDR": "127.0.0.1:\(peerPort)",
                    "CONVERSATION_SERVICE_ADDR": "127.0.0.1:\(peerPort)",
                    "FACEBOOK_APP_SECRET": GatewayHarness.metaSecret,
                    "FACEBOOK_VERIFY_TOKEN": GatewayHarness.metaVerifyToken,
                ]
                let http = HTTPClient(eventLoopGroupProvider: .singleton)
                do {
                    var gateway = try ServiceProcess(product: "channel-gateway", environment: environment)
                    try await Self.waitForHealth(http, port: httpPort, gateway)
                    try await withGRPCClient(
                        transport: .http2NIOPosix(
                            target: .ipv4(address: "127.0.0.1", port: grpcPort), transportSecurity: .plaintext)
                    ) { client in
                        _ = try await Inbox_V1_ChannelGatewayService.Client(wrapping: client).connectChannel(
                            .with {
                                $0.platform = .facebook
                                $0.externalAccountID = "111"
                                $0.credentials = .with {
                                    $0.accessToken = "page-token"
                                    $0.signingSecret = GatewayHarness.metaSecret
                                    $0.verifyToken = GatewayHarness.metaVerifyToken
                                }
                            }, metadata: GatewayHarness.admin())
                    }
                    let poster = WebhookPoster(client: http)
                    for index in 0..<50 {
                        let payload = WebhookPayloads.messengerText(
                            pageID: "111", senderPSID: "psid-\(index)", mid: "m_crash_\(index)", text: "hello",
                            timestamp: Int64(Date().timeIntervalSince1970 * 1000))
                        let webhook = MetaWebhookSigner.signed(
                            payload, url: "http://127.0.0.1:\(httpPort)/webhooks/facebook",
                            appSecret: GatewayHarness.metaSecret)
                        let (status, _) = try await poster.post(webhook)
                        #expect(status == 200)
                    }
                    // Every 200 was committed; nothing reached conversation-service yet.
                    gateway.killAbruptly()
                    _ = await gateway.waitForExit(timeout: .seconds(10))
                    #expect(peers.received.isEmpty)
                    peers.with { $0.conversationDown = false }
                    gateway = try ServiceProcess(product: "channel-gateway", environment: environment)
                    try await Self.waitForHealth(http, port: httpPort, gateway)
                    let deadline = ContinuousClock.now + .seconds(60)
                    while peers.received.count < 50, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    // A moment more: a second copy of any event would arrive now.
                    try await Task.sleep(for: .milliseconds(500))
                    // Each event reached the inbox once: conversation-service (here its stand-in, which
                    // dedups the same way) CREATED it once. A call that timed out on a loaded
                    // machine may have been sent again; such a repeat is answered DUPLICATE.
                    let ids = peers.received.map(\.platformEventID)
                    let created = peers.with { $0.created }
                    #expect(Set(ids) == Set((0..<50).map { "m_crash_\($0)" }), "\(gateway.output.suffix(3000))")
                    #expect(created.count == 50)
                    let delivered = try await Self.count(
                        database, "SELECT count(*) FROM gateway.inbound_events WHERE state = 'delivered'")
                    #expect(delivered == 50)
                    gateway.terminate()
                    _ = await gateway.waitForExit(timeout: .seconds(20))
                } catch {
                    try? await http.shutdown()
                    throw error
                }
                try await http.shutdown()
            }
        }
    }

    static func waitForHealth(_ http: HTTPClient, port: Int, _ process: ServiceProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let response = try? await http.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(2)),
                response.status.code == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("channel-gateway did not become healthy:\n\(process.output.suffix(3000))")
    }

    /// The stand-ins for policy- and conversation-service on 127.0.0.1 (a free port), behind the
    /// real server interceptors.
    static func withPeerServer<T: Sendable>(_ peers: GatewayPeerStandIns, _ body: (Int) async throws -> T)
        async throws -> T
    {
        let authority = await TokenAuthority(signingKey: TestTokens.signingKey)
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        return try await withGRPCServer(
            transport: transport,
            services: [GatewayPolicyStandIn(state: peers), GatewayConversationStandIn(state: peers)],
            interceptors: ServiceRuntime.serverInterceptors(logger: Logger(label: "peers"), authority: authority)
        ) { server in
            guard let port = try await server.listeningAddress?.ipv4?.port else {
                throw TestFailure("the peer server has no IPv4 address")
            }
            return try await body(port)
        }
    }

    /// A count from the gateway's schema, read as the gateway's role.
    static func count(_ database: TestDatabase, _ sql: String) async throws -> Int {
        try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { client in
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test"))
            for try await (count, ) in rows.decode((Int64,).self) { return Int(count) }
            return 0
        }
    }

    static func url(_ url: DatabaseURL) -> String {
        "postgres://\(url.username):\(url.password ?? "")@\(url.host):\(url.port)/\(url.database)"
    }
}
