import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import Logging
import NIOCore
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ChannelGateway

extension GatewayHarness {
    /// Short timings, three tries, pacing out of the way (its own test sets it).
    static var fastOutbound: OutboundSettings {
        var settings = OutboundSettings()
        settings.pollInterval = .milliseconds(50)
        settings.retryDelay = .milliseconds(20)
        settings.maxRetryDelay = .milliseconds(200)
        settings.maxAttempts = 3
        settings.claimDuration = .seconds(30)
        settings.sendTimeout = .seconds(10)
        settings.channelSendsPerSecond = 10_000
        settings.channelBurst = 10_000
        settings.statusRetryDelay = .milliseconds(20)
        settings.statusMaxRetryDelay = .milliseconds(200)
        settings.statusNotFoundAttempts = 3
        return settings
    }

    /// conversation-service's token (a service caller names the organisation in the request).
    static func serviceToken() async throws -> Metadata {
        try await TestTokens.metadata(.service, organization: nil)
    }

    func deliver(_ request: Inbox_V1_DeliverMessageRequest) async throws -> Inbox_V1_Delivery {
        try await self.client.deliverMessage(request, metadata: Self.serviceToken())
    }

    func delivery(_ id: String, organization: String = Self.organization) async throws -> Inbox_V1_Delivery {
        try await self.client.getDelivery(.with { $0.deliveryID = id }, metadata: Self.admin(organization))
    }

    /// The delivery once it left PENDING, or as it is after `timeout`.
    func settled(_ id: String, timeout: Duration = .seconds(15)) async throws -> Inbox_V1_Delivery {
        var latest = try await self.delivery(id)
        _ = try await self.eventually(timeout: timeout) {
            latest = try await self.delivery(id)
            return latest.state != .pending
        }
        return latest
    }

    func health(_ channel: Inbox_V1_Channel) async throws -> Inbox_V1_ChannelHealth {
        try await self.client.getChannelHealth(.with { $0.channelID = channel.id }, metadata: Self.admin())
    }

    /// A reply on `channel` as conversation-service builds it: a fresh message id and key.
    static func reply(
        on channel: Inbox_V1_Channel, _ kind: Inbox_V1_SendKind = .directMessage, text: String = "It ships today.",
        _ configure: (inout Inbox_V1_DeliverMessageRequest) -> Void = { _ in }
    ) -> Inbox_V1_DeliverMessageRequest {
        var request = Inbox_V1_DeliverMessageRequest.with {
            $0.organizationID = channel.organizationID
            $0.channelID = channel.id
            $0.platform = channel.platform
            $0.messageID = UUID().uuidString.lowercased()
            $0.conversationID = UUID().uuidString.lowercased()
            $0.idempotencyKey = "reply-\(UUID().uuidString)"
            $0.sendKind = kind
            $0.text = text
        }
        configure(&request)
        return request
    }
}

/// A fake platform for the gateway's outbound side, and the channel the fake accepts.
struct OutboundFake: Sendable {
    let fake: any FakePlatform
    let endpoints: OutboundEndpoints

    static let credentials = FakeCredentials.demo

    /// Starts `platform`'s fake; every API of the platform points at it.
    static func start(_ platform: Platform) async throws -> OutboundFake {
        let c = Self.credentials
        let fake: any FakePlatform
        switch platform {
        case .facebook:
            fake = try await MetaGraphFake.start(.facebook, accountIDs: [c.pageID], accessToken: c.metaAccessToken)
        case .instagram:
            fake = try await MetaGraphFake.start(
                .instagram, accountIDs: [c.pageID, c.igUserID], accessToken: c.metaAccessToken)
        case .whatsapp:
            fake = try await MetaGraphFake.start(
                .whatsApp, accountIDs: [c.phoneNumberID], accessToken: c.metaAccessToken)
        case .x: fake = try await XAPIFake.start(userAccessToken: c.xUserToken)
        case .linkedin: fake = try await LinkedInAPIFake.start(accessToken: c.linkedInToken, version: c.linkedInVersion)
        case .tiktok:
            fake = try await TikTokAPIFake.start(accessToken: c.tiktokAccessToken, businessID: c.tiktokBusinessID)
        case .telegram: fake = try await TelegramBotAPIFake.start(botToken: c.telegramBotToken)
        case .twilio: fake = try await TwilioAPIFake.start(accountSID: c.twilioAccountSID, authToken: c.twilioAuthToken)
        case .wechat: fake = try await WeChatAPIFake.start(appID: c.weChatAppID, appSecret: c.weChatAppSecret)
        case .webChat:
            // No platform API: web-chat replies go into the visitor's transcript (WebChatTests).
            throw OutboundFakeUnavailable(platform: platform)
        }
        var endpoints = OutboundEndpoints()
        for api in OutboundAdapters.apis where api.platform == platform {
            endpoints[api] = PlatformEndpoint(baseURL: fake.baseURL, version: api.production.version)
        }
        return OutboundFake(fake: fake, endpoints: endpoints)
    }

    /// Every API at a port nothing listens on: a test whose worker should send nothing never
    /// reaches a real platform.
    static var nowhere: OutboundEndpoints {
        var endpoints = OutboundEndpoints()
        for api in OutboundAdapters.apis {
            endpoints[api] = PlatformEndpoint(baseURL: "http://127.0.0.1:1", version: api.production.version)
        }
        return endpoints
    }

    static func makeCredentials(
        token: String = "", signing: String = "", verify: String = "", appID: String = "", appSecret: String = ""
    ) -> Inbox_V1_ChannelCredentials {
        var credentials = Inbox_V1_ChannelCredentials()
        credentials.accessToken = token
        credentials.signingSecret = signing
        credentials.verifyToken = verify
        credentials.appID = appID
        credentials.appSecret = appSecret
        return credentials
    }

    /// The account and credentials of a channel of `platform` that its fake accepts.
    static func channel(_ platform: Platform) -> (
        platform: Inbox_V1_Platform, account: String, credentials: Inbox_V1_ChannelCredentials,
        settings: [String: String]
    ) {
        let c = Self.credentials
        let meta = Self.makeCredentials(
            token: c.metaAccessToken, signing: GatewayHarness.metaSecret, verify: GatewayHarness.metaVerifyToken)
        switch platform {
        case .facebook: return (.facebook, c.pageID, meta, [:])
        case .instagram: return (.instagram, c.igUserID, meta, ["page_id": c.pageID])
        case .whatsapp: return (.whatsapp, c.phoneNumberID, meta, [:])
        case .x:
            return (.x, "2244994945", Self.makeCredentials(token: c.xUserToken, signing: GatewayHarness.xSecret), [:])
        case .linkedin:
            return (
                .linkedin, "urn:li:organization:96072893",
                Self.makeCredentials(token: c.linkedInToken, signing: GatewayHarness.linkedInSecret), [:]
            )
        case .tiktok:
            return (
                .tiktok, c.tiktokBusinessID,
                Self.makeCredentials(token: c.tiktokAccessToken, signing: GatewayHarness.tiktokSecret), [:]
            )
        case .telegram:
            return (.telegram, "shop_bot", Self.makeCredentials(token: c.telegramBotToken, verify: "tg-secret"), [:])
        case .twilio:
            return (
                .twilioSms, "+12345678901", Self.makeCredentials(signing: c.twilioAuthToken, appID: c.twilioAccountSID),
                [:]
            )
        case .wechat:
            return (
                .wechat, "gh_866835093fea",
                Self.makeCredentials(verify: "wechat-token", appID: c.weChatAppID, appSecret: c.weChatAppSecret), [:]
            )
        case .webChat:
            return (.webChat, "", Inbox_V1_ChannelCredentials(), [:])
        }
    }
}

/// Web chat has no platform API to fake.
struct OutboundFakeUnavailable: Error {
    let platform: Platform
}

extension GatewayHarness {
    /// Connects `platform`'s channel that `OutboundFake` accepts.
    func connectOutbound(_ platform: Platform, account: String? = nil) async throws -> Inbox_V1_Channel {
        let channel = OutboundFake.channel(platform)
        return try await self.connect(
            channel.platform, account: account ?? channel.account, credentials: channel.credentials,
            settings: channel.settings)
    }
}

/// One send per platform and kind, against its fake over real HTTP.
enum SendCase: String, CaseIterable, Sendable {
    case facebookDirectMessage, facebookHumanAgent, facebookPrivateReply, facebookPublicReply
    case instagramDirectMessage, instagramPrivateReply, instagramPublicReply
    case whatsAppText, whatsAppTemplate, xDirectMessage, xReply, linkedInComment, tiktokReply
    case telegramMessage, twilioMessage, weChatText

    var platform: Platform {
        switch self {
        case .facebookDirectMessage, .facebookHumanAgent, .facebookPrivateReply, .facebookPublicReply: .facebook
        case .instagramDirectMessage, .instagramPrivateReply, .instagramPublicReply: .instagram
        case .whatsAppText, .whatsAppTemplate: .whatsapp
        case .xDirectMessage, .xReply: .x
        case .linkedInComment: .linkedin
        case .tiktokReply: .tiktok
        case .telegramMessage: .telegram
        case .twilioMessage: .twilio
        case .weChatText: .wechat
        }
    }

    func request(on channel: Inbox_V1_Channel) -> Inbox_V1_DeliverMessageRequest {
        switch self {
        case .facebookDirectMessage, .instagramDirectMessage:
            GatewayHarness.reply(on: channel) { $0.recipientID = "7000000000000001" }
        case .facebookHumanAgent:
            GatewayHarness.reply(on: channel) {
                $0.recipientID = "7000000000000001"
                $0.tag = .humanAgent
            }
        case .facebookPrivateReply, .instagramPrivateReply:
            GatewayHarness.reply(on: channel, .privateReply) {
                $0.conversationKind = .comment
                $0.parentPostID = "111000111_777000777"
                $0.parentCommentID = "222000222_333000333"
            }
        case .facebookPublicReply, .instagramPublicReply:
            GatewayHarness.reply(on: channel, .publicReply) {
                $0.conversationKind = .comment
                $0.parentCommentID = "222000222_333000333"
            }
        case .whatsAppText:
            GatewayHarness.reply(on: channel) { $0.recipientID = "16505551234" }
        case .whatsAppTemplate:
            GatewayHarness.reply(on: channel, .template, text: "") {
                $0.recipientID = "16505551234"
                $0.template = .with {
                    $0.name = "order_update"
                    $0.languageCode = "en_US"
                    $0.bodyParameters = ["#1234"]
                }
            }
        case .xDirectMessage:
            GatewayHarness.reply(on: channel) { $0.recipientID = "1500000000000000001" }
        case .xReply:
            GatewayHarness.reply(on: channel, .publicReply) {
                $0.conversationKind = .post
                $0.replyToPlatformID = "1770000000000000001"
            }
        case .linkedInComment:
            GatewayHarness.reply(on: channel, .publicReply) {
                $0.conversationKind = .comment
                $0.parentPostID = "urn:li:activity:7094637247890620418"
                $0.parentCommentID = "urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)"
            }
        case .tiktokReply:
            GatewayHarness.reply(on: channel, .publicReply) {
                $0.conversationKind = .comment
                $0.parentPostID = "7203946942097902849"
                $0.parentCommentID = "7247303576418566913"
            }
        case .telegramMessage:
            GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" }
        case .twilioMessage:
            GatewayHarness.reply(on: channel) { $0.recipientID = "+11234567890" }
        case .weChatText:
            GatewayHarness.reply(on: channel) { $0.recipientID = "ogdotwSc_MmEEsJs9-ABZ1QL_4r4" }
        }
    }
}

@Suite("outbound core: DeliverMessage, the delivery worker, statuses back")
struct DeliveryTests {
    static let logger = Logger(label: "delivery-test")

    /// Runs `body` with `platform`'s fake and a gateway pointed at it.
    static func withGateway(
        _ platform: Platform, outbound: OutboundSettings = GatewayHarness.fastOutbound,
        _ body: (GatewayHarness, OutboundFake) async throws -> Void
    ) async throws {
        let fake = try await OutboundFake.start(platform)
        try await withFake(fake.fake) { _ in
            try await GatewayHarness.with(outbound: outbound, outboundEndpoints: fake.endpoints) { h in
                try await body(h, fake)
            }
        }
    }

    // MARK: Sends per platform

    @Test(
        "each platform's send reaches its fake once and the delivery is SENT with the platform's id",
        arguments: SendCase.allCases)
    func sendsPerPlatform(_ send: SendCase) async throws {
        try await Self.withGateway(send.platform) { h, fake in
            let channel = try await h.connectOutbound(send.platform)
            let request = send.request(on: channel)
            let queued = try await h.deliver(request)
            #expect(queued.state == .pending)
            #expect(queued.messageID == request.messageID)
            #expect(queued.idempotencyKey == request.idempotencyKey)
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .sent, "\(delivery.failureReason): \(delivery.failureDetail)")
            #expect(delivery.attempts == 1)
            let sends = fake.fake.recorder.requests.filter { $0.method == "POST" && !$0.path.contains("token") }
            #expect(sends.count == 1)
            switch send {
            case .weChatText:
                // WeChat answers no message id.
                #expect(delivery.platformMessageID.isEmpty)
            case .telegramMessage:
                #expect(delivery.platformMessageID.hasPrefix("123456789:"))
            default:
                #expect(!delivery.platformMessageID.isEmpty)
            }
            if send == .facebookHumanAgent {
                #expect(bodyJSON(sends.first)?["tag"]?.text == "HUMAN_AGENT")
            }
            if send == .twilioMessage, let form = sends.first?.form {
                let fields = Dictionary(form, uniquingKeysWith: { first, _ in first })
                #expect(fields["From"] == "+12345678901")
                #expect(fields["StatusCallback"] == h.url("/webhooks/twilio/\(channel.id)"))
            }
            // Its state goes back to the inbox.
            let reported = try await h.eventually {
                h.peers.deliveryStatus.received.contains { $0.messageID == request.messageID && $0.state == .sent }
            }
            #expect(reported)
        }
    }

    // MARK: DeliverMessage's checks

    @Test("every malformed field is INVALID_ARGUMENT naming it; the channel's state and the caller are checked")
    func validation() async throws {
        try await GatewayHarness.with(outboundEndpoints: OutboundFake.nowhere) { h in
            let telegram = try await h.connectOutbound(.telegram)
            let facebook = try await h.connectOutbound(.facebook)
            let whatsApp = try await h.connectOutbound(.whatsapp)
            let linkedIn = try await h.connectOutbound(.linkedin)
            let dm = GatewayHarness.reply(on: telegram) { $0.recipientID = "123456789" }
            let cases: [(String, Inbox_V1_DeliverMessageRequest)] = [
                ("organization_id", GatewayHarness.reply(on: telegram) { $0.organizationID = "" }),
                ("idempotency_key", GatewayHarness.reply(on: telegram) { $0.idempotencyKey = "" }),
                ("idempotency_key", GatewayHarness.reply(on: telegram) { $0.idempotencyKey = "bad key" }),
                ("channel_id", GatewayHarness.reply(on: telegram) { $0.channelID = "not-a-channel" }),
                ("message_id", GatewayHarness.reply(on: telegram) { $0.messageID = "m-1" }),
                ("send_kind", GatewayHarness.reply(on: telegram, .unspecified) { $0.recipientID = "1" }),
                ("send_kind", GatewayHarness.reply(on: telegram, .publicReply)),
                ("send_kind", GatewayHarness.reply(on: telegram, .template) { $0.recipientID = "1" }),
                ("platform", GatewayHarness.reply(on: telegram) { $0.platform = .wechat }),
                ("recipient_id", GatewayHarness.reply(on: telegram)),
                ("text", GatewayHarness.reply(on: telegram, text: " ") { $0.recipientID = "1" }),
                (
                    "thread_key",
                    GatewayHarness.reply(on: telegram) {
                        $0.recipientID = "1"
                        $0.threadKey = String(repeating: "t", count: 2000)
                    }
                ),
                (
                    "tag",
                    GatewayHarness.reply(on: telegram) {
                        $0.recipientID = "1"
                        $0.tag = .humanAgent
                    }
                ),
                (
                    "tag",
                    GatewayHarness.reply(on: facebook) {
                        $0.recipientID = "1"
                        $0.tag = .humanAgent
                        $0.automatic = true
                    }
                ),
                (
                    "attachments",
                    GatewayHarness.reply(on: telegram) {
                        $0.recipientID = "1"
                        $0.attachments = [.with { $0.url = "https://cdn.example.com/a.jpg" }]
                    }
                ),
                ("parent_comment_id", GatewayHarness.reply(on: facebook, .privateReply)),
                ("parent_comment_id", GatewayHarness.reply(on: facebook, .publicReply)),
                ("template.name", GatewayHarness.reply(on: whatsApp, .template) { $0.recipientID = "1" }),
                ("parent_post_id", GatewayHarness.reply(on: linkedIn, .publicReply)),
            ]
            for (field, request) in cases {
                let refused = await refusal { _ = try await h.deliver(request) }
                #expect(refused?.code == .invalidArgument, "\(field)")
                #expect(refused?.field == field, "\(field)")
            }
            let refusal1 = await refusal { _ = try await h.deliver(cases[0].1) }
            #expect(refusal1?.reason == "ORGANIZATION_REQUIRED")

            // Another organisation's channel does not exist for this one; only services deliver.
            var elsewhere = dm
            elsewhere.organizationID = "org-other"
            let refusal2 = await refusal { _ = try await h.deliver(elsewhere) }
            #expect(refusal2?.code == .notFound)
            let unknown = GatewayHarness.reply(on: telegram) {
                $0.recipientID = "1"
                $0.channelID = UUID().uuidString
            }
            let refusal3 = await refusal { _ = try await h.deliver(unknown) }
            #expect(refusal3?.code == .notFound)
            let admin = await refusal { _ = try await h.client.deliverMessage(dm, metadata: GatewayHarness.admin()) }
            #expect(admin?.code == .permissionDenied)

            // A channel whose token is refused, or that is disconnected, takes nothing.
            try await h.database.query(
                "UPDATE channels SET status = 'token_invalid' WHERE id = \(telegram.id)::uuid", logger: Self.logger)
            let tokenInvalid = await refusal { _ = try await h.deliver(dm) }
            #expect(tokenInvalid?.code == .failedPrecondition)
            #expect(tokenInvalid?.reason == "CHANNEL_TOKEN_INVALID")
            _ = try await h.client.disconnectChannel(
                .with { $0.channelID = telegram.id }, metadata: GatewayHarness.admin())
            let disconnected = await refusal { _ = try await h.deliver(dm) }
            #expect(disconnected?.code == .failedPrecondition)
            #expect(disconnected?.reason == "CHANNEL_DISCONNECTED")
            #expect(try await h.count("SELECT count(*) FROM outbound_deliveries") == 0)
        }
    }

    @Test("GetDelivery shows the caller's organisation's deliveries only")
    func getDeliveryScope() async throws {
        try await Self.withGateway(.telegram) { h, _ in
            let channel = try await h.connectOutbound(.telegram)
            let queued = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" })
            #expect(try await h.delivery(queued.id).id == queued.id)
            let agent = try await TestTokens.metadata(.agent, organization: GatewayHarness.organization)
            let seen = try await h.client.getDelivery(.with { $0.deliveryID = queued.id }, metadata: agent)
            #expect(seen.id == queued.id)
            let refusal4 = await refusal { _ = try await h.delivery(queued.id, organization: "org-other") }
            #expect(refusal4?.code == .notFound)
            #expect(
                await refusal { _ = try await h.delivery(UUID().uuidString) }?.reason == "RESOURCE_NOT_FOUND")
            let refusal5 = await refusal { _ = try await h.delivery("nope") }
            #expect(refusal5?.field == "delivery_id")
            let service = await refusal {
                _ = try await h.client.getDelivery(
                    .with { $0.deliveryID = queued.id }, metadata: GatewayHarness.serviceToken())
            }
            #expect(service?.code == .permissionDenied)
        }
    }

    // MARK: Idempotency

    @Test("the same key returns the same delivery and sends once; the same key with another request is refused")
    func idempotency() async throws {
        try await Self.withGateway(.telegram) { h, fake in
            let channel = try await h.connectOutbound(.telegram)
            let request = GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" }
            // Concurrent repeats (a hand-off retried while the first call is still running).
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 { group.addTask { try await h.deliver(request).id } }
                var ids = Set<String>()
                for try await id in group { ids.insert(id) }
                return ids
            }
            #expect(ids.count == 1)
            let id = try #require(ids.first)
            #expect(try await h.settled(id).state == .sent)
            let again = try await h.deliver(request)
            #expect(again.id == id)
            #expect(again.state == .sent)
            var changed = request
            changed.text = "Something else"
            let reused = await refusal { _ = try await h.deliver(changed) }
            #expect(reused?.code == .alreadyExists)
            #expect(reused?.reason == "IDEMPOTENCY_KEY_REUSED")
            try await Task.sleep(for: .milliseconds(300))
            #expect(fake.fake.recorder.requests.count == 1)
            #expect(try await h.count("SELECT count(*) FROM outbound_deliveries") == 1)
        }
    }

    @Test("two gateway replicas on one database send each delivery once")
    func twoReplicas() async throws {
        let fake = try await OutboundFake.start(.telegram)
        try await withFake(fake.fake) { _ in try await Self.sendThroughTwoReplicas(fake) }
    }

    static func sendThroughTwoReplicas(_ fake: OutboundFake) async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway", maxConnections: 30) {
                postgres in
                try await MigrationRunner(schema: "gateway", migrations: GatewayMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                let peers = GatewayPeerStandIns()
                try await GatewayHarness.run(database: postgres, peers: peers, outboundEndpoints: fake.endpoints) {
                    first in
                    try await GatewayHarness.run(database: postgres, peers: peers, outboundEndpoints: fake.endpoints) {
                        second in
                        let channel = try await first.connectOutbound(.telegram)
                        let count = 60
                        let requests = (0..<count).map { index in
                            GatewayHarness.reply(on: channel, text: "reply \(index)") { $0.recipientID = "123456789" }
                        }
                        // Each request through both replicas, as a retried hand-off may be.
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for request in requests {
                                group.addTask { _ = try await first.deliver(request) }
                                group.addTask { _ = try await second.deliver(request) }
                            }
                            try await group.waitForAll()
                        }
                        let sent = try await first.eventually(timeout: .seconds(30)) {
                            try await first.count("SELECT count(*) FROM outbound_deliveries WHERE state = 'sent'")
                                == count
                        }
                        #expect(sent)
                        try await Task.sleep(for: .milliseconds(300))
                        let texts = fake.fake.recorder.requests.compactMap { bodyJSON($0)?["text"]?.text }
                        #expect(texts.count == count)
                        #expect(Set(texts).count == count)
                    }
                }
            }
        }
    }

    // MARK: Outcomes

    @Test("a 429 with the platform's delay is retried after that delay, then SENT")
    func rateLimitRetriedAfterDelay() async throws {
        try await Self.withGateway(.telegram) { h, fake in
            fake.fake.script.enqueue(
                .rateLimited(retryAfterSeconds: 1), on: TelegramBotAPIFake.Endpoint.sendMessage.rawValue)
            let channel = try await h.connectOutbound(.telegram)
            let queued = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" })
            #expect(await fake.fake.recorder.waitForRequests(count: 1, timeout: .seconds(10)).count == 1)
            let first = ContinuousClock.now
            #expect(await fake.fake.recorder.waitForRequests(count: 2, timeout: .seconds(10)).count == 2)
            #expect(ContinuousClock.now - first >= .milliseconds(900))
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .sent)
            #expect(delivery.attempts == 2)
            #expect(try await h.health(channel).lastErrorReason == .rateLimited)
        }
    }

    @Test("5xx is retried with backoff up to the bound, then FAILED with RETRIES_EXHAUSTED")
    func serverErrorsExhaustRetries() async throws {
        try await Self.withGateway(.telegram) { h, fake in
            fake.fake.script.enqueue(
                .serverError, .serverError, .serverError, .serverError,
                on: TelegramBotAPIFake.Endpoint.sendMessage.rawValue)
            let channel = try await h.connectOutbound(.telegram)
            let queued = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" })
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .failed)
            #expect(delivery.failureReason == .retriesExhausted)
            #expect(delivery.attempts == 3)
            try await Task.sleep(for: .milliseconds(300))
            #expect(fake.fake.recorder.requests.count == 3)
            #expect(try await h.health(channel).lastErrorReason == .platformUnavailable)
            let reported = try await h.eventually {
                h.peers.deliveryStatus.received.contains {
                    $0.messageID == queued.messageID && $0.state == .failed && $0.failureReason == .retriesExhausted
                }
            }
            #expect(reported)
        }
    }

    @Test("a refused connection never reached the platform: retried, and RETRIES_EXHAUSTED, not MAYBE_SENT")
    func refusedConnectionIsRetried() async throws {
        // AsyncHTTPClient keeps trying to connect until the request's deadline, then reports the
        // last connect error: each try lasts `sendTimeout`.
        var outbound = GatewayHarness.fastOutbound
        outbound.sendTimeout = .seconds(2)
        try await GatewayHarness.with(outbound: outbound, outboundEndpoints: OutboundFake.nowhere) { h in
            let channel = try await h.connectOutbound(.telegram)
            let queued = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" })
            let delivery = try await h.settled(queued.id, timeout: .seconds(45))
            #expect(delivery.failureReason == .retriesExhausted)
            #expect(delivery.attempts == 3)
        }
    }

    @Test("a token error fails the delivery and marks the channel TOKEN_INVALID in its health")
    func tokenErrorMarksChannel() async throws {
        try await Self.withGateway(.facebook) { h, fake in
            fake.fake.script.enqueue(.tokenError, on: MetaGraphFake.Endpoint.messages.rawValue)
            let channel = try await h.connectOutbound(.facebook)
            let queued = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "7001" })
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .failed)
            #expect(delivery.failureReason == .tokenInvalid)
            let health = try await h.health(channel)
            #expect(health.status == .tokenInvalid)
            #expect(health.lastErrorReason == .tokenInvalid)
            #expect(health.failedDeliveries == 1)
            let next = await refusal {
                _ = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "7001" })
            }
            #expect(next?.reason == "CHANNEL_TOKEN_INVALID")
            // New credentials make it ACTIVE again.
            let rotated = try await h.client.rotateChannelCredentials(
                .with {
                    $0.channelID = channel.id
                    $0.credentials = OutboundFake.channel(.facebook).credentials
                }, metadata: GatewayHarness.admin())
            #expect(rotated.status == .active)
        }
    }

    @Test("outside the window the delivery is FAILED with OUTSIDE_WINDOW, sent once")
    func outsideWindow() async throws {
        try await Self.withGateway(.facebook) { h, fake in
            fake.fake.script.enqueue(.windowError, on: MetaGraphFake.Endpoint.messages.rawValue)
            let channel = try await h.connectOutbound(.facebook)
            let queued = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "7001" })
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .failed)
            #expect(delivery.failureReason == .outsideWindow)
            try await Task.sleep(for: .milliseconds(300))
            #expect(fake.fake.recorder.requests.count == 1)
            let reported = try await h.eventually {
                h.peers.deliveryStatus.received.contains {
                    $0.deliveryID == queued.id && $0.state == .failed && $0.failureReason == .outsideWindow
                }
            }
            #expect(reported)
        }
    }

    @Test("a platform that hangs after the request was sent makes the delivery MAYBE_SENT, and it is not re-sent")
    func hangIsMaybeSent() async throws {
        var outbound = GatewayHarness.fastOutbound
        outbound.sendTimeout = .seconds(1)
        try await Self.withGateway(.telegram, outbound: outbound) { h, fake in
            fake.fake.script.enqueue(.hang, on: TelegramBotAPIFake.Endpoint.sendMessage.rawValue)
            let channel = try await h.connectOutbound(.telegram)
            let queued = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" })
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .failed)
            #expect(delivery.failureReason == .maybeSent)
            #expect(delivery.attempts == 1)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(fake.fake.recorder.requests.count == 1)
            #expect(try await h.delivery(queued.id).state == .failed)
            let health = try await h.health(channel)
            #expect(health.maybeSentDeliveries == 1)
            #expect(health.failedDeliveries == 1)
        }
    }

    @Test("a delivery left SENDING by a worker that died becomes MAYBE_SENT after its claim, never re-sent")
    func abandonedSendIsMaybeSent() async throws {
        try await Self.withGateway(.telegram) { h, fake in
            let channel = try await h.connectOutbound(.telegram)
            let request = GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" }
            let bytes: [UInt8] = try request.serializedBytes()
            let id = UUID()
            // As a worker leaves it when killed between the request and its answer.
            try await h.database.query(
                """
                INSERT INTO outbound_deliveries (id, organization_id, channel_id, platform, message_id,
                    idempotency_key, idempotency_fingerprint, request, state, attempts, next_attempt_at, claim_id,
                    send_started_at)
                VALUES (\(id), \(GatewayHarness.organization), \(channel.id)::uuid, 'telegram', \(request.messageID),
                    \(request.idempotencyKey), 'fingerprint', \(ByteBuffer(bytes: bytes)), 'sending', 1,
                    now() - interval '1 second', \(UUID()), now() - interval '6 seconds')
                """, logger: Self.logger)
            let delivery = try await h.settled(id.text)
            #expect(delivery.state == .failed)
            #expect(delivery.failureReason == .maybeSent)
            let reported = try await h.eventually {
                h.peers.deliveryStatus.received.contains {
                    $0.messageID == request.messageID && $0.failureReason == .maybeSent
                }
            }
            #expect(reported)
            try await Task.sleep(for: .milliseconds(300))
            #expect(fake.fake.recorder.requests.isEmpty)
        }
    }

    // MARK: Pacing

    @Test("a busy channel is paced and does not hold up another channel's reply")
    func busyChannelDoesNotStarveOthers() async throws {
        var outbound = GatewayHarness.fastOutbound
        outbound.channelSendsPerSecond = 2
        outbound.channelBurst = 2
        try await Self.withGateway(.telegram, outbound: outbound) { h, fake in
            let busy = try await h.connectOutbound(.telegram)
            let quiet = try await h.connectOutbound(.telegram, account: "other_bot")
            for index in 0..<30 {
                _ = try await h.deliver(
                    GatewayHarness.reply(on: busy, text: "busy \(index)") { $0.recipientID = "123456789" })
            }
            let started = ContinuousClock.now
            let other = try await h.deliver(
                GatewayHarness.reply(on: quiet, text: "quiet") { $0.recipientID = "987654321" })
            #expect(try await h.settled(other.id).state == .sent)
            // The busy channel needs about 14 s for its 30 (2/s after a burst of 2).
            #expect(ContinuousClock.now - started < .seconds(8))
            // The busy channel is still being paced.
            let waiting = try await h.count("SELECT count(*) FROM outbound_deliveries WHERE state = 'pending'")
            #expect(waiting > 0)
            let done = try await h.eventually(timeout: .seconds(60)) {
                try await h.count("SELECT count(*) FROM outbound_deliveries WHERE state = 'sent'") == 31
            }
            #expect(done)
            #expect(fake.fake.recorder.requests.count == 31)
        }
    }

    // MARK: Statuses back to the inbox

    @Test("the status outbox reports SENT with the platform id, retries while conversation-service is down, empties")
    func statusOutbox() async throws {
        try await Self.withGateway(.telegram) { h, _ in
            let channel = try await h.connectOutbound(.telegram)
            h.peers.deliveryStatus.with { $0.down = true }
            let request = GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" }
            let queued = try await h.deliver(request)
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .sent)
            let retried = try await h.eventually { h.peers.deliveryStatus.with { $0.calls } >= 2 }
            #expect(retried)
            #expect(try await h.count("SELECT count(*) FROM delivery_status_outbox") == 1)
            h.peers.deliveryStatus.with { $0.down = false }
            let emptied = try await h.eventually {
                try await h.count("SELECT count(*) FROM delivery_status_outbox") == 0
            }
            #expect(emptied)
            let update = try #require(h.peers.deliveryStatus.received.first { $0.messageID == request.messageID })
            #expect(update.organizationID == GatewayHarness.organization)
            #expect(update.channelID == channel.id)
            #expect(update.deliveryID == queued.id)
            #expect(update.state == .sent)
            #expect(update.platformMessageID == delivery.platformMessageID)
            #expect(update.hasOccurredAt)
        }
    }

    @Test("an update conversation-service cannot find is tried a few times, then dropped")
    func statusNotFoundDropped() async throws {
        try await Self.withGateway(.telegram) { h, _ in
            h.peers.deliveryStatus.with { $0.outcome = { _ in .notFound } }
            let channel = try await h.connectOutbound(.telegram)
            let queued = try await h.deliver(GatewayHarness.reply(on: channel) { $0.recipientID = "123456789" })
            #expect(try await h.settled(queued.id).state == .sent)
            let dropped = try await h.eventually {
                try await h.count("SELECT count(*) FROM delivery_status_outbox") == 0
                    && h.peers.deliveryStatus.received.count >= GatewayHarness.fastOutbound.statusNotFoundAttempts
            }
            #expect(dropped)
            #expect(h.peers.deliveryStatus.received.count == GatewayHarness.fastOutbound.statusNotFoundAttempts)
        }
    }
}
