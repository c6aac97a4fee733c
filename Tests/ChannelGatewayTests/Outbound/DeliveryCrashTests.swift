import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import ChannelGateway

/// The real channel-gateway executable killed with SIGKILL around a send, then started again on
/// the same database (GatewayCrashTests' process handling; its peers are the stand-ins on a real
/// socket, the platform a fake Telegram over real HTTP). What a crash leaves
/// (DeliveryRepository+Worker.swift): a delivery is SENDING from just before its request goes out
/// until its outcome is recorded, PENDING otherwise; after a restart a SENDING one whose claim ran
/// out becomes MAYBE_SENT (Telegram, like every platform today, has no idempotency of its own:
/// ``PlatformIdempotency``), a PENDING one is sent as any other.
@Suite("channel-gateway: SIGKILL around a send")
struct DeliveryCrashTests {
    static let botToken = FakeCredentials.demo.telegramBotToken

    @Test("killed while the request is at the platform: MAYBE_SENT after the restart, never sent twice")
    func killedMidSend() async throws {
        let fake = try await TelegramBotAPIFake.start(botToken: Self.botToken)
        // Telegram takes the request and does not answer (until the fake stops).
        fake.script.enqueue(.hang, on: TelegramBotAPIFake.Endpoint.sendMessage.rawValue)
        try await withFake(fake) { fake in
            try await Self.withGateway(telegram: fake.baseURL) { run in
                let channel = try await run.connectTelegram()
                let request = GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" }
                let queued = try await run.deliver(request)
                let received = await fake.recorder.waitForRequests(count: 1, timeout: .seconds(30))
                try #require(received.count == 1, "\(run.gateway.output.suffix(3000))")

                // The request is at the platform, its answer not back: SIGKILL.
                try await run.restart(telegram: fake.baseURL) {
                    let state = try await run.text("SELECT state FROM outbound_deliveries WHERE id = '\(queued.id)'")
                    try #require(state == "sending", "the send was not in flight when the gateway died")
                }

                // The claim runs out (DELIVERY_CLAIM_SECONDS after the send began): MAYBE_SENT.
                let delivery = try await run.settled(queued.id, timeout: .seconds(90))
                #expect(delivery.state == .failed)
                #expect(delivery.failureReason == .maybeSent)
                #expect(delivery.attempts == 1)
                #expect(delivery.failureDetail.contains("stopped while sending"), "\(delivery.failureDetail)")
                let reported = try await run.eventually {
                    run.peers.deliveryStatus.received.contains {
                        $0.messageID == request.messageID && $0.state == .failed && $0.failureReason == .maybeSent
                    }
                }
                #expect(reported)
                // It stays MAYBE_SENT and the platform saw one request: a person decides.
                try await Task.sleep(for: .seconds(2))
                #expect(fake.recorder.requests.filter { $0.path.hasSuffix("/sendMessage") }.count == 1)
                let after = try await run.delivery(queued.id)
                #expect(after.state == .failed)
                #expect(after.failureReason == .maybeSent)
            }
        }
    }

    @Test("killed between a refused try and the next: the request never left, so it is sent once after the restart")
    func killedBeforeTheRequestLeft() async throws {
        let fake = try await TelegramBotAPIFake.start(botToken: Self.botToken)
        try await withFake(fake) { fake in
            // First Telegram refuses connections (nothing listens), so the try fails before any
            // request leaves and the delivery waits PENDING for its retry.
            try await Self.withGateway(telegram: "http://127.0.0.1:1") { run in
                let channel = try await run.connectTelegram()
                let request = GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" }
                let queued = try await run.deliver(request)
                let waiting = try await run.eventually(timeout: .seconds(60)) {
                    try await run.text(
                        """
                        SELECT state FROM outbound_deliveries WHERE id = '\(queued.id)' AND attempts >= 1
                            AND next_attempt_at > now() + interval '300 milliseconds'
                        """) == "pending"
                }
                try #require(waiting, "the refused try was not recorded: \(run.gateway.output.suffix(3000))")

                var refusedTries = 0
                try await run.restart(telegram: fake.baseURL) {
                    let state = try await run.text(
                        "SELECT state || ' ' || attempts FROM outbound_deliveries WHERE id = '\(queued.id)'")
                    let words = state?.split(separator: " ") ?? []
                    try #require(words.first == "pending", "the delivery was being sent again when the gateway died")
                    refusedTries = words.last.flatMap { Int($0) } ?? 0
                }

                let delivery = try await run.settled(queued.id, timeout: .seconds(60))
                #expect(delivery.state == .sent, "\(delivery.failureReason): \(delivery.failureDetail)")
                // The refused tries before the crash, and the one that went out.
                #expect(refusedTries >= 1)
                #expect(delivery.attempts == Int32(refusedTries + 1))
                #expect(!delivery.platformMessageID.isEmpty)
                let reported = try await run.eventually {
                    run.peers.deliveryStatus.received.contains {
                        $0.messageID == request.messageID && $0.state == .sent
                            && $0.platformMessageID == delivery.platformMessageID
                    }
                }
                #expect(reported)
                try await Task.sleep(for: .seconds(1))
                let sends = fake.recorder.requests.filter { $0.path.hasSuffix("/sendMessage") }
                #expect(sends.count == 1)
                #expect(sends.first?.json?["text"]?.text == request.text)
            }
        }
    }

    @Test func theSendTimeoutAndTheClaimComeFromTheirVariables() throws {
        let defaults = try GatewayConfiguration.outboundSettings(from: InboxKit.Environment([:]))
        #expect(defaults.sendTimeout == .seconds(15))
        #expect(defaults.claimDuration == .seconds(60))
        let configured = try GatewayConfiguration.outboundSettings(
            from: InboxKit.Environment(["DELIVERY_SEND_TIMEOUT_SECONDS": "5", "DELIVERY_CLAIM_SECONDS": "11"]))
        #expect(configured.sendTimeout == .seconds(5))
        #expect(configured.claimDuration == .seconds(11))
        // A claim that could end while a round's last send still runs is refused, naming the variable.
        let refused = #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.outboundSettings(
                from: InboxKit.Environment(["DELIVERY_SEND_TIMEOUT_SECONDS": "30", "DELIVERY_CLAIM_SECONDS": "60"]))
        }
        #expect(refused?.variable == "DELIVERY_CLAIM_SECONDS")
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.outboundSettings(
                from: InboxKit.Environment(["DELIVERY_SEND_TIMEOUT_SECONDS": "soon"]))
        }
    }

    // MARK: Harness

    /// One gateway process after another on one database, the stand-in peers on a real socket.
    final class Run {
        let database: TestDatabase
        let postgres: PostgresClient
        let peers: GatewayPeerStandIns
        let peerPort: Int
        let grpcPort: Int
        let httpPort: Int
        let http: HTTPClient
        /// The running process; replaced by ``restart(telegram:afterKill:)``.
        private(set) var gateway: ServiceProcess

        init(
            database: TestDatabase, postgres: PostgresClient, peers: GatewayPeerStandIns, peerPort: Int,
            http: HTTPClient, telegram: String
        ) throws {
            let grpcPort = try freePort()
            let httpPort = try freePort()
            self.database = database
            self.postgres = postgres
            self.peers = peers
            self.peerPort = peerPort
            self.grpcPort = grpcPort
            self.httpPort = httpPort
            self.http = http
            self.gateway = try ServiceProcess(
                product: "channel-gateway",
                environment: Self.environment(
                    database: database, grpcPort: grpcPort, httpPort: httpPort, peerPort: peerPort,
                    telegram: telegram))
        }

        /// A send times out after 8 s, long after the kill; a claim lasts 17 s (more than the two
        /// waves of sends of a full round), so a restarted gateway recovers an abandoned send soon.
        static func environment(
            database: TestDatabase, grpcPort: Int, httpPort: Int, peerPort: Int, telegram: String
        ) -> [String: String] {
            [
                "DATABASE_URL": GatewayCrashTests.url(database.url(for: .channelGateway)),
                "GRPC_HOST": "127.0.0.1", "GRPC_PORT": "\(grpcPort)",
                "HTTP_HOST": "127.0.0.1", "HTTP_PORT": "\(httpPort)",
                "TOKEN_SIGNING_KEY": TestTokens.signingKey,
                "CHANNEL_SECRETS_KEY": "test:\(Data(repeating: 1, count: 32).base64EncodedString())",
                "POLICY_SERVICE_ADDR": "127.0.0.1:\(peerPort)",
                "CONVERSATION_SERVICE_ADDR": "127.0.0.1:\(peerPort)",
                "TELEGRAM_API_BASE_URL": telegram,
                "DELIVERY_SEND_TIMEOUT_SECONDS": "8", "DELIVERY_CLAIM_SECONDS": "17",
            ]
        }

        /// SIGKILL, `afterKill` (the test looks at what the crash left), and a new process with
        /// Telegram at `telegram`.
        func restart(telegram: String, afterKill: () async throws -> Void) async throws {
            self.gateway.killAbruptly()
            _ = await self.gateway.waitForExit(timeout: .seconds(10))
            try await afterKill()
            self.gateway = try ServiceProcess(
                product: "channel-gateway",
                environment: Self.environment(
                    database: self.database, grpcPort: self.grpcPort, httpPort: self.httpPort,
                    peerPort: self.peerPort, telegram: telegram))
            try await GatewayCrashTests.waitForHealth(self.http, port: self.httpPort, self.gateway)
        }

        func withClient<T: Sendable>(
            _ body: (Inbox_V1_ChannelGatewayService.Client<HTTP2ClientTransport.Posix>) async throws -> T
        ) async throws -> T {
            try await withGRPCClient(
                transport: .http2NIOPosix(
                    target: .ipv4(address: "127.0.0.1", port: self.grpcPort), transportSecurity: .plaintext)
            ) { client in
                try await body(Inbox_V1_ChannelGatewayService.Client(wrapping: client))
            }
        }

        func connectTelegram() async throws -> Inbox_V1_Channel {
            let channel = OutboundFake.channel(.telegram)
            return try await self.withClient { gateway in
                try await gateway.connectChannel(
                    .with {
                        $0.platform = channel.platform
                        $0.externalAccountID = channel.account
                        $0.credentials = channel.credentials
                    }, metadata: GatewayHarness.admin())
            }
        }

        func deliver(_ request: Inbox_V1_DeliverMessageRequest) async throws -> Inbox_V1_Delivery {
            try await self.withClient { try await $0.deliverMessage(request, metadata: GatewayHarness.serviceToken()) }
        }

        func delivery(_ id: String) async throws -> Inbox_V1_Delivery {
            try await self.withClient {
                try await $0.getDelivery(.with { $0.deliveryID = id }, metadata: GatewayHarness.admin())
            }
        }

        /// The delivery once it left PENDING (GetDelivery shows SENDING as PENDING), or as it is
        /// after `timeout`.
        func settled(_ id: String, timeout: Duration) async throws -> Inbox_V1_Delivery {
            var latest = try await self.delivery(id)
            _ = try await self.eventually(timeout: timeout) {
                latest = try await self.delivery(id)
                return latest.state != .pending
            }
            return latest
        }

        /// The first column of the first row of `sql` on the gateway's schema, as text.
        func text(_ sql: String) async throws -> String? {
            let rows = try await self.postgres.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test"))
            for try await (value, ) in rows.decode((String,).self) { return value }
            return nil
        }

        /// Polls `condition` every 20 ms for up to `timeout`; true once it holds.
        func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if try await condition() { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return try await condition()
        }
    }

    /// A test database, the stand-in peers and a running gateway whose Telegram is at `telegram`.
    static func withGateway(telegram: String, _ body: (Run) async throws -> Void) async throws {
        let peers = GatewayPeerStandIns()
        try await withTestDatabase { database in
            try await GatewayCrashTests.withPeerServer(peers) { peerPort in
                try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { postgres in
                    let http = HTTPClient(eventLoopGroupProvider: .singleton)
                    do {
                        let run = try Run(
                            database: database, postgres: postgres, peers: peers, peerPort: peerPort, http: http,
                            telegram: telegram)
                        try await GatewayCrashTests.waitForHealth(http, port: run.httpPort, run.gateway)
                        try await body(run)
                        run.gateway.terminate()
                        _ = await run.gateway.waitForExit(timeout: .seconds(20))
                    } catch {
                        try? await http.shutdown()
                        throw error
                    }
                    try await http.shutdown()
                }
            }
        }
    }
}
