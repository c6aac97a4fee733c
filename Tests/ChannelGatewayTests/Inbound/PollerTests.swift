import Foundation
import InboxAPI
import InboxKit
import Logging
import NIOCore
import PlatformJSON
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ChannelGateway

/// A migrated test database, what a poller works with, and a real HTTP client for the fakes. No
/// relay runs: the rows a poll stores stay as stored.
struct PollerHarness {
    static let key = (id: "k1", key: [UInt8](repeating: 7, count: 32))
    static let organization = "org-test"

    let database: PostgresClient
    let channels: ChannelRepository
    let box: ChannelSecretsBox
    let log: InboundLog
    let pollers: ChannelPollerRepository
    let http: PlatformHTTPClient

    static func with(_ body: (PollerHarness) async throws -> Void) async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { postgres in
                try await MigrationRunner(schema: "gateway", migrations: GatewayMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                try await OutboundTestHarness.with { outbound in
                    try await body(
                        PollerHarness(
                            database: postgres,
                            channels: ChannelRepository(client: postgres, logger: Logger(label: "channels")),
                            box: ChannelSecretsBox(current: Self.key),
                            log: InboundLog(client: postgres, logger: Logger(label: "inbound")),
                            pollers: ChannelPollerRepository(client: postgres, logger: Logger(label: "pollers")),
                            http: outbound.http))
                }
            }
        }
    }

    /// The test settings: production's, except that a sweep reads an hour before its watermark,
    /// so that a second poll reads the first one's items again.
    static var settings: PollerSettings {
        var settings = PollerSettings()
        settings.overlap = .seconds(3600)
        return settings
    }

    /// Connects a channel (its row and sealed secrets, as ConnectChannel stores them).
    func connect(
        _ platform: Platform, account: String, accessToken: String, settings: [String: String] = [:]
    ) async throws -> ChannelAccount {
        var secrets = ChannelSecrets()
        secrets.accessToken = accessToken
        secrets.signingSecret = "signing-secret"
        let now = Date()
        let channel = ChannelAccount(
            id: UUID(), organizationID: Self.organization, platform: platform, externalAccountID: account,
            displayName: "\(platform.rawValue) \(account)", status: .active, settings: settings,
            instagramMessageRequestsEnabled: false, configuredCredentials: secrets.configured, createdAt: now,
            updatedAt: now)
        return try await self.channels.insert(
            channel, sealed: try self.box.seal(secrets), idempotencyKey: nil, fingerprint: "")
    }

    func poller(_ endpoints: OutboundEndpoints, settings: PollerSettings = PollerHarness.settings) -> ChannelPoller {
        ChannelPoller(
            pollers: self.pollers, log: self.log, channels: self.channels, box: self.box, http: self.http,
            endpoints: endpoints, settings: settings, logger: Logger(label: "poller"), now: { Date() })
    }

    /// Stores what the webhook endpoint stores for a delivery of `events` on `channel`; returns how
    /// many rows were new.
    func storeWebhook(_ events: [InboundEvent], channel: ChannelAccount, path: String) async throws -> Int {
        let receivedAt = Date()
        let rows = events.map { WebhookEndpoint.row($0, channel: channel, receivedAt: receivedAt) }
        let delivery = StoredDelivery(
            id: UUID(), platform: channel.platform, channelID: nil, path: path, query: "", publicURL: "",
            headers: [], body: Array("{}".utf8), receivedAt: receivedAt)
        return try await self.log.store([InboundWrite(delivery: delivery, rows: rows)]).count
    }

    /// The channel's stored events by platform event id (the log keeps one per id).
    func stored(_ channel: ChannelAccount) async throws -> [String: Inbox_V1_InboundEvent] {
        let rows = try await self.database.query(
            "SELECT platform_event_id, event FROM inbound_events WHERE channel_id = \(channel.id)",
            logger: Logger(label: "test"))
        var result: [String: Inbox_V1_InboundEvent] = [:]
        for try await (id, bytes) in rows.decode((String, ByteBuffer).self) {
            result[id] = try Inbox_V1_InboundEvent(serializedBytes: Array(buffer: bytes))
        }
        return result
    }

    func count(_ query: PostgresQuery) async throws -> Int {
        let rows = try await self.database.query(query, logger: Logger(label: "test"))
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}

@Suite("channel-gateway: pollers")
struct PollerTests {
    static let organizationURN = "urn:li:organization:96072893"
    static let activityURN = "urn:li:activity:7094637247890620418"

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    /// A LinkedIn COMMENT notification as the webhook and the pull finder carry it.
    static func notification(_ id: Int64, commentID: String, text: String, at: Int64) -> WireJSON {
        Self.linkedInWebhook(id, commentID: commentID, text: text, at: at)["notifications"]?[0] ?? .null
    }

    static func linkedInWebhook(_ id: Int64, commentID: String, text: String, at: Int64) -> WireJSON {
        WebhookPayloads.linkedInComment(
            notificationID: id, organizationURN: organizationURN, activityURN: activityURN, commentID: commentID,
            authorURN: "urn:li:person:zLqTygBP8S", text: text, lastModifiedAt: at)
    }

    static func endpoints(linkedIn fake: LinkedInAPIFake) -> OutboundEndpoints {
        var endpoints = OutboundEndpoints.production
        endpoints[LinkedInOutboundAdapter.api] = PlatformEndpoint(baseURL: fake.baseURL, version: fake.version)
        return endpoints
    }

    // MARK: LinkedIn

    @Test func linkedInNotificationsPolledTwiceAreStoredOnce() async throws {
        try await PollerHarness.with { h in
            try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token")) { fake in
                let channel = try await h.connect(.linkedin, account: Self.organizationURN, accessToken: "li-token")
                let at = Self.millis(Date().addingTimeInterval(-600))
                fake.registerNotification(
                    Self.notification(5_603_453_321, commentID: "7094977717598625792", text: "Ship to EU?", at: at))
                fake.registerNotification(
                    Self.notification(5_603_453_322, commentID: "7094977717598625793", text: "And Canada?", at: at + 1))
                var settings = PollerHarness.settings
                settings.linkedInPageSize = 1
                let poller = h.poller(Self.endpoints(linkedIn: fake), settings: settings)

                // The first round creates the channel's poller and polls it at once, page by page.
                let first = await poller.round()
                #expect(first.map(\.outcome) == [.complete])
                #expect(first.first?.stored == 2)
                let stored = try await h.stored(channel)
                #expect(Set(stored.keys) == ["5603453321", "5603453322"])
                #expect(stored["5603453321"]?.text == "Ship to EU?")
                #expect(stored["5603453321"]?.kind == .comment)
                #expect(stored["5603453321"]?.author.platformUserID == "urn:li:person:zLqTygBP8S")

                // Not due again for a minute; on demand the same notifications come again and
                // nothing is stored twice.
                let second = await poller.round()
                #expect(second.isEmpty)
                let again = try await poller.reconcile(channelID: channel.id)
                #expect(again.outcome == .complete)
                #expect(again.stored == 0)
                #expect(try await h.count("SELECT count(*) FROM inbound_events WHERE channel_id = \(channel.id)") == 2)
                // A page that stored something is one delivery, the finder's answer as its body.
                #expect(try await h.count("SELECT count(*) FROM inbound_deliveries WHERE path = 'poll:linkedin'") == 2)

                let requests = fake.recorder.requests.filter { $0.path == "/rest/organizationalEntityNotifications" }
                #expect(requests.count == 4)
                let request = try #require(requests.first)
                #expect(request.query["q"] == "criteria")
                #expect(request.query["organizationalEntity"] == Self.organizationURN)
                #expect(request.query["actions"]?.hasPrefix("List(COMMENT,") == true)
                #expect(request.headers["authorization"] == "Bearer li-token")
                #expect(request.headers["linkedin-version"] == fake.version)
                #expect(request.headers["x-restli-protocol-version"] == "2.0.0")
            }
        }
    }

    @Test func aNotificationTheWebhookDeliveredIsNotStoredAgain() async throws {
        try await PollerHarness.with { h in
            try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token")) { fake in
                let channel = try await h.connect(.linkedin, account: Self.organizationURN, accessToken: "li-token")
                let at = Self.millis(Date().addingTimeInterval(-600))
                let webhook = Self.linkedInWebhook(5_603_453_321, commentID: "7094977717598625792", text: "Hi", at: at)
                let delivered = try LinkedInWebhookAdapter.parse(webhook.encoded, now: Date()).events
                #expect(try await h.storeWebhook(delivered, channel: channel, path: "/webhooks/linkedin") == 1)

                fake.registerNotification(webhook["notifications"]?[0] ?? .null)
                fake.registerNotification(
                    Self.notification(5_603_453_322, commentID: "7094977717598625793", text: "Missed", at: at + 5))
                let report = try await h.poller(Self.endpoints(linkedIn: fake)).reconcile(channelID: channel.id)
                #expect(report.outcome == .complete)
                #expect(report.stored == 1)
                let stored = try await h.stored(channel)
                #expect(Set(stored.keys) == ["5603453321", "5603453322"])
                #expect(stored["5603453322"]?.text == "Missed")
                // The delivered one is still the webhook's row.
                #expect(
                    try await h.count(
                        """
                        SELECT count(*) FROM inbound_events e JOIN inbound_deliveries d ON d.id = e.delivery_id
                        WHERE e.platform_event_id = '5603453321' AND d.path = '/webhooks/linkedin'
                        """) == 1)
            }
        }
    }

    @Test func theWatermarkAdvancesAndTheNextSweepStartsThere() async throws {
        try await PollerHarness.with { h in
            try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token")) { fake in
                let channel = try await h.connect(.linkedin, account: Self.organizationURN, accessToken: "li-token")
                let poller = h.poller(Self.endpoints(linkedIn: fake))
                #expect(try await h.pollers.pollerState(channelID: channel.id) == nil)

                let before = Date()
                let first = try await poller.reconcile(channelID: channel.id)
                #expect(first.outcome == .complete)
                let state = try #require(try await h.pollers.pollerState(channelID: channel.id))
                let watermark = try #require(state.watermark)
                #expect(watermark >= before.addingTimeInterval(-1))
                #expect(state.kind == .linkedInNotifications)
                #expect(state.enabled)
                #expect(state.lastError == nil)
                #expect(state.lastPollAt != nil)
                // LinkedIn is polled every minute.
                #expect(state.nextPollAt > Date().addingTimeInterval(50))
                let health = Inbox_V1_PollerState(state)
                #expect(health.enabled && health.hasLastPollAt && health.hasNextPollAt && health.lastError.isEmpty)

                let now = Self.millis(Date())
                fake.registerNotification(
                    Self.notification(5_603_453_330, commentID: "7094977717598625800", text: "New", at: now))
                let second = try await poller.reconcile(channelID: channel.id)
                #expect(second.stored == 1)
                let range = fake.recorder.requests.last?.query["timeRange"] ?? ""
                let overlap = PollerSettings.seconds(PollerHarness.settings.overlap)
                let start = Self.millis(watermark.addingTimeInterval(-overlap))
                #expect(range.hasPrefix("(start:\(start),end:"))
                let later = try #require(try await h.pollers.pollerState(channelID: channel.id))
                #expect((later.watermark ?? .distantPast) > watermark)
            }
        }
    }

    @Test func aFailedPollRecordsTheErrorAndKeepsTheWatermark() async throws {
        try await PollerHarness.with { h in
            try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token")) { fake in
                let channel = try await h.connect(.linkedin, account: Self.organizationURN, accessToken: "li-token")
                let poller = h.poller(Self.endpoints(linkedIn: fake))
                _ = try await poller.reconcile(channelID: channel.id)
                let watermark = try #require(try await h.pollers.pollerState(channelID: channel.id)?.watermark)

                let now = Self.millis(Date())
                fake.registerNotification(
                    Self.notification(5_603_453_340, commentID: "7094977717598625810", text: "Lost?", at: now))
                fake.script.enqueue(.serverError, on: LinkedInAPIFake.Endpoint.notifications)
                let failed = try await poller.reconcile(channelID: channel.id)
                guard case .failed(let failure) = failed.outcome else {
                    Issue.record("expected a failure, got \(failed.outcome)")
                    return
                }
                #expect(failure.reason == .transient)
                let state = try #require(try await h.pollers.pollerState(channelID: channel.id))
                #expect(state.lastError?.contains("HTTP 500") == true)
                #expect(state.lastErrorAt != nil)
                #expect(state.watermark == watermark)
                #expect(state.consecutiveFailures == 1)
                // Retried after the backoff (a minute at first), not at once.
                #expect(state.nextPollAt > Date().addingTimeInterval(30))
                #expect(Inbox_V1_PollerState(state).lastError == state.lastError)
                #expect(try await h.count("SELECT count(*) FROM inbound_events WHERE channel_id = \(channel.id)") == 0)

                // The next poll reads the same window again: the notification lands, the error clears.
                let recovered = try await poller.reconcile(channelID: channel.id)
                #expect(recovered.outcome == .complete)
                #expect(recovered.stored == 1)
                let healed = try #require(try await h.pollers.pollerState(channelID: channel.id))
                #expect(healed.lastError == nil)
                #expect(healed.consecutiveFailures == 0)
                #expect((healed.watermark ?? .distantPast) > watermark)
            }
        }
    }

    @Test func aPollerIsClaimedByOneRoundAtATime() async throws {
        try await PollerHarness.with { h in
            let linkedIn = try await h.connect(.linkedin, account: Self.organizationURN, accessToken: "li-token")
            _ = try await h.connect(.facebook, account: "111000111", accessToken: "page-token")
            _ = try await h.connect(.whatsapp, account: "106540352242922", accessToken: "wa-token")
            // LinkedIn and Facebook channels get a poller, WhatsApp none; once.
            #expect(try await h.pollers.provision(now: Date()) == 2)
            #expect(try await h.pollers.provision(now: Date()) == 0)

            let now = Date()
            let first = try await h.pollers.claimDue(
                limit: 10, claimID: UUID(), now: now, until: now.addingTimeInterval(300))
            #expect(first.count == 2)
            let second = try await h.pollers.claimDue(
                limit: 10, claimID: UUID(), now: now, until: now.addingTimeInterval(300))
            #expect(second.isEmpty)
            let poller = h.poller(OutboundEndpoints.production)
            let onDemand = try await poller.reconcile(channelID: linkedIn.id)
            #expect(onDemand.outcome == .busy)

            // A claim that ran out (its replica died) is taken over; the old claim's writes then
            // change nothing.
            let later = now.addingTimeInterval(301)
            let takeover = try await h.pollers.claimDue(
                limit: 10, claimID: UUID(), now: later, until: later.addingTimeInterval(300))
            #expect(Set(takeover.map(\.channelID)) == Set(first.map(\.channelID)))
            let stale = try #require(first.first)
            #expect(try await h.pollers.completeSweep(stale, watermark: now, now: now, nextPollAt: now) == false)
            #expect(try await h.pollers.pollerState(channelID: stale.channelID)?.watermark == nil)
        }
    }

    // MARK: Messenger

    @Test func messengerReconciliationLandsAMissedMessageOnce() async throws {
        let page = "111000111"
        let customer = "7000000000000001"
        try await PollerHarness.with { h in
            let graph = try await MetaGraphFake.start(.facebook, accountIDs: [page], accessToken: "page-token")
            try await withFake(graph) { fake in
                let channel = try await h.connect(.facebook, account: page, accessToken: "page-token")
                let now = Int64(Date().timeIntervalSince1970)
                fake.registerConversationMessage(
                    conversationID: "t_100",
                    FakeGraphMessage(
                        id: "m_seen", createdTime: now - 900, fromID: customer, fromName: "Jane Doe", toID: page,
                        text: "Is my order shipped?"))
                fake.registerConversationMessage(
                    conversationID: "t_100",
                    FakeGraphMessage(
                        id: "m_missed", createdTime: now - 600, fromID: customer, fromName: "Jane Doe", toID: page,
                        text: "Hello? Anyone there?"))
                fake.registerConversationMessage(
                    conversationID: "t_100",
                    FakeGraphMessage(
                        id: "m_reply", createdTime: now - 300, fromID: page, fromName: "Acme", toID: customer,
                        text: "Yes, shipped today."))
                fake.registerConversationMessage(
                    conversationID: "t_old",
                    FakeGraphMessage(
                        id: "m_ancient", createdTime: now - 86_400 * 3, fromID: "7000000000000009", fromName: "Old",
                        toID: page, text: "Long ago"))

                // The webhook delivered the first message only.
                let body = MetaWebhookSigner.escapedJSON(
                    WebhookPayloads.messengerText(
                        pageID: page, senderPSID: customer, mid: "m_seen", text: "Is my order shipped?",
                        timestamp: (now - 900) * 1000))
                let request = WebhookRequest(
                    method: "POST", path: "/webhooks/facebook",
                    headers: [
                        .init(name: "X-Hub-Signature-256", value: MetaWebhookSigner.signature(body, appSecret: "s"))
                    ],
                    body: body)
                let delivered = try FacebookWebhookAdapter().handle(
                    request, secrets: MetaWebhookSecrets(appSecret: "s", verifyToken: "v"), now: Date()
                ).events
                #expect(try await h.storeWebhook(delivered, channel: channel, path: "/webhooks/facebook") == 1)

                var endpoints = OutboundEndpoints.production
                endpoints[FacebookOutboundAdapter.api] = PlatformEndpoint(baseURL: fake.baseURL, version: fake.version)
                let poller = h.poller(endpoints)
                let report = try await poller.reconcile(channelID: channel.id)
                #expect(report.outcome == .complete)
                #expect(report.stored == 2)
                let stored = try await h.stored(channel)
                // The conversation last updated three days ago is outside the window.
                #expect(Set(stored.keys) == ["m_seen", "m_missed", "m_reply"])
                let missed = try #require(stored["m_missed"])
                #expect(missed.text == "Hello? Anyone there?")
                #expect(missed.threadKey == customer)
                #expect(missed.platformMessageID == "m_missed")
                #expect(missed.author.platformUserID == customer)
                #expect(missed.kind == .directMessage)
                #expect(missed.occurredAt.seconds == now - 600)
                #expect(!missed.flags.isEcho)
                // The Page's own reply is an echo in the customer's thread.
                let reply = try #require(stored["m_reply"])
                #expect(reply.flags.isEcho)
                #expect(reply.threadKey == customer)

                let again = try await poller.reconcile(channelID: channel.id)
                #expect(again.stored == 0)
                #expect(try await h.count("SELECT count(*) FROM inbound_events WHERE channel_id = \(channel.id)") == 3)
                let listed = try #require(
                    fake.recorder.requests.first { $0.path == "/\(fake.version)/\(page)/conversations" })
                #expect(listed.query["platform"] == "messenger")
                #expect(listed.headers["authorization"] == "Bearer page-token")
            }
        }
    }

    // MARK: TikTok

    @Test func tiktokReconciliationLandsMissedCommentsOnce() async throws {
        let business = "-000AbCdEfGh-business-open-id"
        let video = "7203946942097902849"
        try await PollerHarness.with { h in
            try await withFake(try await TikTokAPIFake.start(accessToken: "tt-token", businessID: business)) { fake in
                let channel = try await h.connect(.tiktok, account: business, accessToken: "tt-token")
                let now = Int64(Date().timeIntervalSince1970)
                fake.registerVideo(id: video, createTime: now - 86_400 * 3)
                fake.registerVideo(id: "7203946942097900001", createTime: now - 86_400 * 10)
                fake.registerListedComment(
                    id: "7247303576418566913", videoID: video, text: "Love it", username: "user_7c2f",
                    createTime: now - 900)
                fake.registerListedComment(
                    id: "7247303576418566914", videoID: video, text: "Price?", username: "user_8d3a",
                    createTime: now - 600)
                fake.registerListedComment(
                    id: "7247303576418566915", videoID: video, text: "DM us!", username: "our_shop",
                    createTime: now - 300, parentCommentID: "7247303576418566914", owner: true)
                fake.registerListedComment(
                    id: "7247303576418560001", videoID: video, text: "Old news", username: "someone",
                    createTime: now - 86_400 * 2)

                // The webhook delivered the first comment, with a timestamp (ms) of its own.
                let webhookMillis = (now - 900) * 1000 + 417
                let webhook = WebhookPayloads.tiktokCommentUpdate(
                    clientKey: "aw1234567890abcd", businessOpenID: business, commentID: 7_247_303_576_418_566_913,
                    videoID: 7_203_946_942_097_902_849, parentCommentID: nil, action: "insert",
                    uniqueIdentifier: "user_7c2f", text: "Love it", createTime: now - 899, timestampMs: webhookMillis)
                let delivered = try TikTokWebhookAdapter.parse(webhook.encoded, now: Date()).events
                #expect(try await h.storeWebhook(delivered, channel: channel, path: "/webhooks/tiktok") == 1)

                var endpoints = OutboundEndpoints.production
                endpoints[TikTokOutboundAdapter.api] = PlatformEndpoint(baseURL: fake.baseURL, version: fake.version)
                let poller = h.poller(endpoints)
                let report = try await poller.reconcile(channelID: channel.id)
                #expect(report.outcome == .complete)
                #expect(report.stored == 2)
                let stored = try await h.stored(channel)
                #expect(
                    Set(stored.keys) == [
                        "7247303576418566913:insert:\(webhookMillis)",
                        "7247303576418566914:insert:\((now - 600) * 1000)",
                        "7247303576418566915:insert:\((now - 300) * 1000)",
                    ])
                let missed = try #require(stored["7247303576418566914:insert:\((now - 600) * 1000)"])
                #expect(missed.text == "Price?")
                #expect(missed.kind == .comment)
                #expect(missed.threadKey == "\(video)/7247303576418566914")
                #expect(missed.parentPostID == video)
                #expect(missed.author.platformUserID == "user_8d3a")
                let reply = try #require(stored["7247303576418566915:insert:\((now - 300) * 1000)"])
                #expect(reply.parentCommentID == "7247303576418566914")
                #expect(reply.threadKey == "\(video)/7247303576418566914")
                #expect(reply.flags.isEcho)

                let again = try await poller.reconcile(channelID: channel.id)
                #expect(again.outcome == .complete)
                #expect(again.stored == 0)
                #expect(try await h.count("SELECT count(*) FROM inbound_events WHERE channel_id = \(channel.id)") == 3)
                let listed = try #require(
                    fake.recorder.requests.first { $0.path == "/open_api/\(fake.version)/business/comment/list/" })
                #expect(listed.query["video_id"] == video)
                #expect(listed.query["sort_field"] == "create_time")
                #expect(listed.headers["access-token"] == "tt-token")
            }
        }
    }

    // MARK: Requests and answers (no I/O)

    @Test func linkedInFinderRequestKeepsRestliPunctuation() {
        let request = LinkedInNotificationsPoll.request(
            endpoint: OutboundEndpoints.production[LinkedInOutboundAdapter.api],
            credentials: LinkedInCredentials(accessToken: "li-token"), organization: Self.organizationURN,
            window: PollWindow(
                since: Date(timeIntervalSince1970: 1_790_000_000), until: Date(timeIntervalSince1970: 1_790_000_600)),
            start: 50, count: 50)
        #expect(request.method == "GET")
        #expect(
            request.url
                == "https://api.linkedin.com/rest/organizationalEntityNotifications?q=criteria"
                + "&organizationalEntity=urn%3Ali%3Aorganization%3A96072893"
                + "&actions=List(COMMENT,ADMIN_COMMENT,COMMENT_EDIT,COMMENT_DELETE,SHARE_MENTION,SHARE,LIKE)"
                + "&timeRange=(start:1790000000000,end:1790000600000)&start=50&count=50")
        #expect(request.headers["authorization"] == "Bearer li-token")
        #expect(request.headers["x-restli-protocol-version"] == "2.0.0")
    }

    @Test func aLinkedInElementThatDoesNotParseIsKeptWithoutFailingThePage() throws {
        let good = Self.notification(5_603_453_321, commentID: "1", text: "Fine", at: 1_790_000_000_000)
        let body: WireJSON = [
            "elements": [good, ["notificationId": 5_603_453_399, "action": "COMMENT"]],
            "paging": ["start": 0, "count": 2, "total": 5],
        ]
        let page = try LinkedInNotificationsPoll.page(body.encoded, start: 0, count: 2, receivedAt: Date())
        #expect(page.events.map(\.eventID) == ["5603453321"])
        #expect(page.unparsed.map(\.path) == ["elements[]"])
        #expect(page.nextStart == 2)
        let last = try LinkedInNotificationsPoll.page(
            (["elements": [good], "paging": ["start": 4, "count": 2, "total": 5]] as WireJSON).encoded, start: 4,
            count: 2, receivedAt: Date())
        #expect(last.nextStart == nil)
    }

    @Test func graphConversationRequestsForEachLogin() throws {
        let endpoints = OutboundEndpoints.production
        let page = try MetaConversationsPoll.target(
            FacebookCredentials(pageID: "111000111", accessToken: "page-token"), endpoints: endpoints)
        let request = MetaConversationsPoll.conversationsRequest(page, after: nil, limit: 25, messageLimit: 10)
        #expect(
            request.url
                == "https://graph.facebook.com/v26.0/111000111/conversations?platform=messenger"
                + "&fields=id%2Cupdated_time%2Cmessages.limit%2810%29%7Bid%2Ccreated_time%2Cfrom%2Cto%2Cmessage"
                + "%2Cattachments%7D&limit=25")
        #expect(request.headers == ["authorization": "Bearer page-token"])
        let viaPage = try MetaConversationsPoll.target(
            InstagramCredentials.facebookLogin(pageID: "111000111", accessToken: "page-token"), endpoints: endpoints)
        #expect(
            MetaConversationsPoll.conversationsRequest(viaPage, after: "QVFI", limit: 5, messageLimit: 5).url
                .hasPrefix("https://graph.facebook.com/v26.0/111000111/conversations?platform=instagram&"))
        let igLogin = try MetaConversationsPoll.target(
            InstagramCredentials.instagramLogin(igUserID: "17841400000000001", accessToken: "ig-token"),
            endpoints: endpoints)
        let more = MetaConversationsPoll.messagesRequest(igLogin, conversationID: "aWdf_1", after: "QVFI", limit: 25)
        #expect(
            more.url
                == "https://graph.instagram.com/v26.0/aWdf_1/messages?fields=id%2Ccreated_time%2Cfrom%2Cto%2Cmessage"
                + "%2Cattachments&limit=25&after=QVFI")
    }

    @Test func tiktokListRequests() throws {
        let target = try TikTokCommentsPoll.target(
            TikTokCredentials(accessToken: "tt-token", businessID: "biz-1"), endpoints: OutboundEndpoints.production)
        let videos = TikTokCommentsPoll.videosRequest(target, cursor: nil, maxCount: 20)
        #expect(
            videos.url
                == "https://business-api.tiktok.com/open_api/v1.3/business/video/list/?business_id=biz-1"
                + "&fields=%5B%22item_id%22%2C%22create_time%22%5D&max_count=20")
        let comments = TikTokCommentsPoll.commentsRequest(target, videoID: "72039", cursor: "30", maxCount: 30)
        #expect(
            comments.url
                == "https://business-api.tiktok.com/open_api/v1.3/business/comment/list/?business_id=biz-1"
                + "&video_id=72039&include_replies=true&status=PUBLIC&sort_field=create_time&sort_order=desc"
                + "&max_count=30&cursor=30")
        #expect(comments.headers == ["access-token": "tt-token"])
    }

    @Test func graphTimes() {
        #expect(GraphTime.parse("2026-09-01T10:00:00+0000") == Date(timeIntervalSince1970: 1_788_256_800))
        #expect(GraphTime.parse("2026-09-01T10:00:00Z") == Date(timeIntervalSince1970: 1_788_256_800))
        #expect(GraphTime.parse("2026-09-01T10:00:00+02:00") == Date(timeIntervalSince1970: 1_788_249_600))
        #expect(GraphTime.parse("2026-09-01T10:00:00.500+0000") == Date(timeIntervalSince1970: 1_788_256_800.5))
        #expect(GraphTime.parse("2026-09-01 10:00:00") == nil)
        #expect(GraphTime.parse("2026-13-01T10:00:00+0000") == nil)
    }
}
