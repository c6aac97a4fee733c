import Foundation
import GRPCCore
import GRPCInProcessTransport
import GRPCProtobuf
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import ChannelGateway

/// Policy's plan answer, as a stand-in: enterprise-only platforms need an enterprise organisation.
struct PlanStandIn: PlanCheck {
    let enterprise: Set<String>

    func allows(organizationID: String, platform: Inbox_V1_Platform) async throws -> Bool {
        guard organizationID != "org-missing" else {
            throw DomainError.notFound("organization \(organizationID) not found", resource: "organization")
        }
        return ![.wechat, .telegram, .twilioSms].contains(platform) || self.enterprise.contains(organizationID)
    }
}

struct ChannelHarness {
    static let key = (id: "k1", key: [UInt8](repeating: 7, count: 32))
    let rpc: GatewayRPC
    let database: PostgresClient

    static func with(_ body: (ChannelHarness) async throws -> Void) async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { postgres in
                try await MigrationRunner(schema: "gateway", migrations: GatewayMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                let channels = ChannelRepository(client: postgres, logger: Logger(label: "channels"))
                let box = ChannelSecretsBox(current: Self.key)
                let inbound = InboundOperations(
                    log: InboundLog(client: postgres, logger: Logger(label: "inbound")),
                    directory: ChannelDirectory(
                        repository: channels, box: box, ttl: .seconds(5), logger: Logger(label: "directory")),
                    relaySignal: WorkSignal(),
                    pollers: ChannelPollerRepository(client: postgres, logger: Logger(label: "p")),
                    poller: ChannelPoller(
                        pollers: ChannelPollerRepository(client: postgres, logger: Logger(label: "p")),
                        log: InboundLog(client: postgres, logger: Logger(label: "inbound")), channels: channels,
                        box: box,
                        http: PlatformHTTPClient(client: .shared), endpoints: .production, settings: PollerSettings(),
                        logger: Logger(label: "poller"), now: { Date() }))
                let outbound = OutboundOperations(
                    deliveries: DeliveryRepository(client: postgres, logger: Logger(label: "deliveries")),
                    signal: WorkSignal(), publicBaseURL: "http://127.0.0.1:8080")
                let rpc = GatewayRPC(
                    channels: channels, secrets: box, plans: PlanStandIn(enterprise: ["org-big"]), inbound: inbound,
                    outbound: outbound, now: { Date() })
                try await body(ChannelHarness(rpc: rpc, database: postgres))
            }
        }
    }

    static func withClient(
        _ body: (Inbox_V1_ChannelGatewayService.Client<InProcessTransport.Client>, ChannelHarness)
            async throws -> Void
    ) async throws {
        try await Self.with { harness in
            try await withInProcessServer(services: [harness.rpc]) { client in
                try await body(.init(wrapping: client), harness)
            }
        }
    }
}

@Suite("channel-gateway: channel accounts")
struct ChannelAccountTests {
    static let messenger = Inbox_V1_ConnectChannelRequest.with {
        $0.platform = .facebook
        $0.externalAccountID = "111000111"
        $0.displayName = "Acme Page"
        $0.credentials = .with {
            $0.accessToken = "EAAG-page-token-secret"
            $0.signingSecret = "app-secret-value"
            $0.verifyToken = "verify-me"
        }
        $0.idempotencyKey = "connect-acme-page"
    }

    @Test func connectingStoresSecretsSealedAndNeverReturnsThem() async throws {
        try await ChannelHarness.withClient { client, harness in
            let admin = try await TestTokens.metadata(.admin, organization: "org-a")
            let channel = try await client.connectChannel(Self.messenger, metadata: admin)
            #expect(channel.status == .active)
            #expect(channel.webhookPath == "/webhooks/facebook")
            #expect(channel.configuredCredentials == ["access_token", "signing_secret", "verify_token"])
            #expect(channel.checklist.map(\.key) == ["callback_url", "subscribed_fields"])
            let text = "\(channel)"
            #expect(!text.contains("EAAG-page-token-secret") && !text.contains("app-secret-value"))

            // The same key again: the same channel. A different request with it: refused.
            #expect(try await client.connectChannel(Self.messenger, metadata: admin).id == channel.id)
            var other = Self.messenger
            other.displayName = "Other"
            #expect(
                await refusal { _ = try await client.connectChannel(other, metadata: admin) }?.reason
                    == "IDEMPOTENCY_KEY_REUSED")
            // The same account without a key: it is connected already.
            other.idempotencyKey = ""
            #expect(
                await refusal { _ = try await client.connectChannel(other, metadata: admin) }?.code
                    == .alreadyExists)

            // In the database the secrets are AES-GCM ciphertext under key k1, and open with it.
            let rows = try await harness.database.query(
                "SELECT credentials_key_id, credentials_ciphertext FROM channels", logger: Logger(label: "t"))
            for try await (keyID, bytes) in rows.decode((String, ByteBuffer).self) {
                let sealed = Array(buffer: bytes)
                #expect(keyID == "k1")
                #expect(!String(decoding: sealed, as: UTF8.self).contains("EAAG-page-token-secret"))
                let opened = try ChannelSecretsBox(current: ChannelHarness.key).open(keyID: keyID, ciphertext: sealed)
                #expect(opened.accessToken == "EAAG-page-token-secret")
                let otherKey = ChannelSecretsBox(current: (id: "k1", key: [UInt8](repeating: 9, count: 32)))
                #expect(throws: (any Error).self) { try otherKey.open(keyID: keyID, ciphertext: sealed) }
            }
        }
    }

    @Test func enterpriseOnlyPlatformsNeedTheEnterprisePlan() async throws {
        try await ChannelHarness.withClient { client, _ in
            let telegram = Inbox_V1_ConnectChannelRequest.with {
                $0.platform = .telegram
                $0.externalAccountID = "shop_bot"
                $0.credentials = .with {
                    $0.accessToken = "123:bot-token"
                    $0.verifyToken = "secret-token"
                }
            }
            let standard = await refusal {
                _ = try await client.connectChannel(
                    telegram, metadata: try await TestTokens.metadata(.admin, organization: "org-a"))
            }
            #expect(standard?.code == .failedPrecondition)
            #expect(standard?.reason == "PLAN_DOES_NOT_ALLOW_PLATFORM")
            let channel = try await client.connectChannel(
                telegram, metadata: try await TestTokens.metadata(.admin, organization: "org-big"))
            #expect(channel.webhookPath == "/webhooks/telegram/\(channel.id)")
        }
    }

    @Test func instagramReturnsTheMessageRequestsChecklistItem() async throws {
        try await ChannelHarness.withClient { client, _ in
            var request = Self.messenger
            request.platform = .instagram
            request.externalAccountID = "17841400000000000"
            request.idempotencyKey = ""
            let channel = try await client.connectChannel(
                request, metadata: try await TestTokens.metadata(.admin, organization: "org-a"))
            let item = try #require(channel.checklist.first { $0.key == "message_requests_enabled" })
            #expect(item.satisfied == false)
        }
    }

    @Test func listGetDisconnectAndRotateStayInTheOrganisation() async throws {
        try await ChannelHarness.withClient { client, _ in
            let adminA = try await TestTokens.metadata(.admin, organization: "org-a")
            let adminB = try await TestTokens.metadata(.admin, organization: "org-b")
            var created: [String] = []
            for index in 0..<5 {
                var request = Self.messenger
                request.externalAccountID = "page-\(index)"
                request.idempotencyKey = ""
                created.append(try await client.connectChannel(request, metadata: adminA).id)
            }
            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await client.listChannels(
                    .with {
                        $0.pageSize = 2
                        $0.pageToken = token
                    }, metadata: adminA)
                seen += page.channels.map(\.id)
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(Set(seen) == Set(created))
            #expect(seen.count == 5)
            #expect(try await client.listChannels(.init(), metadata: adminB).channels.isEmpty)
            #expect(
                await refusal {
                    _ = try await client.getChannel(.with { $0.channelID = created[0] }, metadata: adminB)
                }?.code == .notFound)

            // Rotation: only the named field changes, the others keep their sealed values.
            let rotated = try await client.rotateChannelCredentials(
                .with {
                    $0.channelID = created[0]
                    $0.credentials = .with { $0.accessToken = "EAAG-new-token" }
                    $0.updateMask = .with { $0.paths = ["access_token"] }
                }, metadata: adminA)
            #expect(rotated.id == created[0])
            #expect(rotated.configuredCredentials == ["access_token", "signing_secret", "verify_token"])
            let missing = await refusal {
                _ = try await client.rotateChannelCredentials(
                    .with {
                        $0.channelID = created[0]
                        $0.credentials = .with { $0.accessToken = "only-this" }
                    }, metadata: adminA)
            }
            #expect(missing?.field == "credentials.signing_secret")

            let agent = await refusal {
                _ = try await client.disconnectChannel(
                    .with { $0.channelID = created[1] },
                    metadata: try await TestTokens.metadata(.agent, organization: "org-a"))
            }
            #expect(agent?.code == .permissionDenied)
            let disconnected = try await client.disconnectChannel(.with { $0.channelID = created[1] }, metadata: adminA)
            #expect(disconnected.status == .disconnected)
            #expect(try await client.listChannels(.init(), metadata: adminA).channels.count == 4)
            #expect(
                try await client.listChannels(.with { $0.includeDisconnected = true }, metadata: adminA).channels.count
                    == 5)
        }
    }

    @Test func badInputNamesTheField() async throws {
        try await ChannelHarness.withClient { client, _ in
            let admin = try await TestTokens.metadata(.admin, organization: "org-a")
            var noPlatform = Self.messenger
            noPlatform.platform = .unspecified
            var noAccount = Self.messenger
            noAccount.externalAccountID = ""
            var noSecret = Self.messenger
            noSecret.credentials.signingSecret = ""
            // A web-chat channel needs its widget's settings, only it takes them, and its origins
            // are origins.
            var webChat = Self.messenger
            webChat.platform = .webChat
            var settingsOnMessenger = Self.messenger
            settingsOnMessenger.webChat.allowedOrigins = ["https://shop.example"]
            var badOrigin = webChat
            badOrigin.webChat.allowedOrigins = ["https://shop.example/path"]
            var noOrigin = webChat
            noOrigin.webChat.greeting = "Hello"
            for (request, field) in [
                (noPlatform, "platform"), (noAccount, "external_account_id"), (noSecret, "credentials.signing_secret"),
                (webChat, "web_chat"), (settingsOnMessenger, "web_chat"), (badOrigin, "web_chat.allowed_origins"),
                (noOrigin, "web_chat.allowed_origins"),
            ] {
                let error = await refusal { _ = try await client.connectChannel(request, metadata: admin) }
                #expect(error?.code == .invalidArgument, "\(field)")
                #expect(error?.field == field)
            }
            #expect(
                await refusal {
                    _ = try await client.getChannel(.with { $0.channelID = "nope" }, metadata: admin)
                }?.field == "channel_id")
            #expect(
                await refusal {
                    _ = try await client.listChannels(.with { $0.pageSize = 101 }, metadata: admin)
                }?.field == "page_size")
            #expect(
                await refusal {
                    _ = try await client.listChannels(.with { $0.pageToken = "x" }, metadata: admin)
                }?.reason == "PAGE_TOKEN_INVALID")
        }
    }
}
