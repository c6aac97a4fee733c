import Foundation
import InboxAPI
import InboxKit
import Logging
import NIOCore
import PostgresNIO
import SwiftProtobuf
import Synchronization
import TestSupport
import Testing

@testable import ChannelGateway

/// The worker's clock, moved by the tests: a retry comes due when a test says so.
final class FetchClock: Sendable {
    private let instant = Mutex(Date())

    var now: Date { self.instant.withLock { $0 } }

    func advance(_ seconds: TimeInterval) {
        self.instant.withLock { $0 += seconds }
    }
}

/// Counts the worker's `onReady` calls.
final class ReadyCounter: Sendable {
    private let count = Mutex(0)

    var value: Int { self.count.withLock { $0 } }

    func add() {
        self.count.withLock { $0 += 1 }
    }
}

/// A migrated test database with the inbound log and the channels, and the worker's parts; rows
/// are stored as the webhook endpoint stores them (``WebhookEndpoint/row(_:channel:receivedAt:)``).
struct ContentFetchHarness {
    static let organization = "org-fetch"
    static let key = (id: "k1", key: [UInt8](repeating: 9, count: 32))

    let database: PostgresClient
    let log: InboundLog
    let channels: ChannelRepository
    let box: ChannelSecretsBox
    let clock: FetchClock
    let ready = ReadyCounter()

    /// Short timings; three tries.
    static var settings: InboundSettings {
        var settings = InboundSettings()
        settings.retryDelay = .seconds(1)
        settings.maxRetryDelay = .seconds(10)
        settings.claimDuration = .seconds(60)
        settings.contentFetchMaxAttempts = 3
        return settings
    }

    static func with(_ body: (ContentFetchHarness) async throws -> Void) async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { postgres in
                try await MigrationRunner(schema: "gateway", migrations: GatewayMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                let logger = Logger(label: "content-fetch-test")
                try await body(
                    ContentFetchHarness(
                        database: postgres, log: InboundLog(client: postgres, logger: logger),
                        channels: ChannelRepository(client: postgres, logger: logger),
                        box: ChannelSecretsBox(current: Self.key), clock: FetchClock()))
            }
        }
    }

    /// A channel of `organization` with these secrets, sealed as ConnectChannel seals them.
    func connect(
        _ platform: Platform, account: String, secrets: ChannelSecrets, settings: [String: String] = [:],
        status: ChannelAccount.Status = .active
    ) async throws -> ChannelAccount {
        let now = Date()
        let channel = ChannelAccount(
            id: UUID(), organizationID: Self.organization, platform: platform, externalAccountID: account,
            displayName: "\(platform.rawValue) \(account)", status: status, settings: settings,
            instagramMessageRequestsEnabled: false, configuredCredentials: secrets.configured, createdAt: now,
            updatedAt: now)
        return try await self.channels.insert(
            channel, sealed: try self.box.seal(secrets), idempotencyKey: nil, fingerprint: "")
    }

    /// Stores `event` for `channel` as the webhook endpoint does: AWAITING_CONTENT, due now.
    func store(_ event: InboundEvent, on channel: ChannelAccount) async throws -> UUID {
        // A second early: due at the worker's "now" whatever the rounding of the stored time.
        let receivedAt = self.clock.now.addingTimeInterval(-1)
        let row = WebhookEndpoint.row(event, channel: channel, receivedAt: receivedAt)
        #expect(row.state == .awaitingContent)
        let delivery = StoredDelivery(
            id: UUID(), platform: event.platform, channelID: channel.id, path: "/webhooks/\(event.platform.rawValue)",
            query: "", publicURL: "", headers: [], body: Array("{}".utf8), receivedAt: receivedAt)
        let new = try await self.log.store([InboundWrite(delivery: delivery, rows: [row])])
        #expect(new == [row.id])
        return row.id
    }

    func worker(
        _ endpoints: OutboundEndpoints, http: PlatformHTTPClient, settings: InboundSettings = Self.settings
    ) -> ContentFetchWorker {
        let clock = self.clock
        let ready = self.ready
        return ContentFetchWorker(
            log: self.log, channels: self.channels, box: self.box,
            fetcher: ContentFetcher(http: http, endpoints: endpoints), settings: settings, signal: WorkSignal(),
            logger: Logger(label: "content-fetch"), now: { clock.now }, onReady: { ready.add() })
    }

    struct Stored {
        var state: String
        var attempts: Int
        var nextAttemptAt: Date
        var step: String?
        var lastError: String?
        var event: Inbox_V1_InboundEvent
    }

    /// The row as stored, its event decoded.
    func stored(_ id: UUID) async throws -> Stored {
        let rows = try await self.database.query(
            """
            SELECT state, attempts, next_attempt_at, content_fetch::text, last_error, event
            FROM inbound_events WHERE id = \(id)
            """, logger: Logger(label: "test"))
        for try await row in rows.decode((String, Int, Date, String?, String?, ByteBuffer).self) {
            return Stored(
                state: row.0, attempts: row.1, nextAttemptAt: row.2, step: row.3, lastError: row.4,
                event: try Inbox_V1_InboundEvent(serializedBytes: Array(buffer: row.5)))
        }
        throw TestDatabaseError("no inbound event \(id)")
    }

    static func secrets(accessToken: String) -> ChannelSecrets {
        var secrets = ChannelSecrets()
        secrets.accessToken = accessToken
        secrets.signingSecret = "app-secret"
        secrets.verifyToken = "verify-token"
        return secrets
    }

    // MARK: Events as the adapters produce them

    static let occurredAt = Date(timeIntervalSince1970: 1_790_000_000)

    /// An Instagram `mentions` change (InstagramChange.mentionEvent): ids only, no author.
    static func mention(igUserID: String, mediaID: String, commentID: String?) -> InboundEvent {
        InboundEvent(
            platform: .instagram, accountID: igUserID, kind: .mention, eventID: "mention:\(commentID ?? mediaID)",
            messageID: commentID ?? mediaID, threadKey: commentID.map { "\(mediaID)/\($0)" } ?? mediaID,
            parentPostID: commentID == nil ? nil : mediaID, occurredAt: Self.occurredAt,
            contentFetch: .instagramMention(igUserID: igUserID, mediaID: mediaID, commentID: commentID))
    }

    /// A TikTok `comment.update` insert without `text` (TikTokComment.event).
    static func tiktokComment(
        businessID: String, videoID: String, commentID: String, author: String
    ) -> InboundEvent {
        InboundEvent(
            platform: .tiktok, accountID: businessID, kind: .comment, eventID: "\(commentID):insert:1790000000000",
            messageID: commentID, threadKey: "\(videoID)/\(commentID)", parentPostID: videoID,
            author: InboundAuthor(platformID: author), occurredAt: Self.occurredAt,
            contentFetch: .tiktokComment(businessID: businessID, videoID: videoID, commentID: commentID))
    }

    /// A Facebook `feed` comment without `post{}` (FacebookFeedChange.commentEvent).
    static func facebookComment(pageID: String, postID: String, commentID: String) -> InboundEvent {
        InboundEvent(
            platform: .facebook, accountID: pageID, kind: .comment, eventID: "\(commentID):add:1790000000",
            messageID: commentID, threadKey: "\(postID)/\(commentID)", parentPostID: postID,
            author: InboundAuthor(platformID: "24000000000001", displayName: "Dana"), text: "Is this still on sale?",
            occurredAt: Self.occurredAt, contentFetch: .facebookPostVisibility(postID: postID))
    }
}

@Suite("channel-gateway: content fetches")
struct ContentFetchWorkerTests {
    static let igUserID = "17841400000000001"
    static let pageToken = "EAAfakePageToken"
    static let pageSecrets = ContentFetchHarness.secrets(accessToken: pageToken)

    static func instagramEndpoints(_ fake: MetaGraphFake) -> OutboundEndpoints {
        var endpoints = OutboundEndpoints.production
        endpoints[InstagramOutboundAdapter.facebookLoginAPI] = .init(baseURL: fake.baseURL, version: "v26.0")
        return endpoints
    }

    @Test("an Instagram mention gets its text and author and goes to the relay")
    func instagramMention() async throws {
        try await withFake(
            try await MetaGraphFake.start(.instagram, accountIDs: [Self.igUserID], accessToken: Self.pageToken)
        ) { fake in
            fake.registerMention(objectID: "17894227972186120", text: "Great service from @myshop", username: "anna")
            fake.registerMention(objectID: "17918195224117852", text: "Look @myshop", username: "ben")
            try await ContentFetchHarness.with { h in
                let channel = try await h.connect(.instagram, account: Self.igUserID, secrets: Self.pageSecrets)
                let comment = try await h.store(
                    ContentFetchHarness.mention(
                        igUserID: Self.igUserID, mediaID: "17918195224117851", commentID: "17894227972186120"),
                    on: channel)
                let caption = try await h.store(
                    ContentFetchHarness.mention(igUserID: Self.igUserID, mediaID: "17918195224117852", commentID: nil),
                    on: channel)
                try await OutboundTestHarness.with { harness in
                    let worker = h.worker(Self.instagramEndpoints(fake), http: harness.http)
                    #expect(await worker.round() == 2)
                }
                let first = try await h.stored(comment)
                #expect(first.state == "pending")
                #expect(first.step == nil)
                #expect(first.attempts == 0)
                #expect(first.lastError == nil)
                #expect(first.event.text == "Great service from @myshop")
                #expect(first.event.author.handle == "anna")
                #expect(first.event.author.platformUserID == "anna")
                #expect(first.event.kind == .mention && first.event.type == .message)
                #expect(!first.event.flags.contentIncomplete)
                let second = try await h.stored(caption)
                #expect(second.state == "pending")
                #expect(second.event.text == "Look @myshop")
                #expect(second.event.author.handle == "ben")
                // One round made both PENDING: the relay was told once.
                #expect(h.ready.value == 1)
                #expect(fake.recorder.requests.count == 2)
            }
        }
    }

    @Test("an Instagram account connected with Instagram Login is read through graph.instagram.com")
    func instagramLogin() async throws {
        try await withFake(
            try await MetaGraphFake.start(.instagram, accountIDs: [Self.igUserID], accessToken: "IGfakeToken")
        ) { fake in
            fake.registerMention(objectID: "17894227972186121", text: "@myshop thanks!", username: "cleo")
            try await ContentFetchHarness.with { h in
                let channel = try await h.connect(
                    .instagram, account: Self.igUserID,
                    secrets: ContentFetchHarness.secrets(accessToken: "IGfakeToken"),
                    settings: ["instagram_login": "true"])
                let id = try await h.store(
                    ContentFetchHarness.mention(
                        igUserID: Self.igUserID, mediaID: "17918195224117851", commentID: "17894227972186121"),
                    on: channel)
                var endpoints = OutboundEndpoints.production
                endpoints[InstagramOutboundAdapter.instagramLoginAPI] = .init(baseURL: fake.baseURL, version: "v26.0")
                // Nothing listens there: a read through Facebook Login would fail (and wait).
                endpoints[InstagramOutboundAdapter.facebookLoginAPI] = .init(
                    baseURL: "http://127.0.0.1:9", version: "v26.0")
                try await OutboundTestHarness.with { harness in
                    #expect(await h.worker(endpoints, http: harness.http).round() == 1)
                }
                let stored = try await h.stored(id)
                #expect(stored.state == "pending")
                #expect(stored.event.text == "@myshop thanks!")
                #expect(fake.recorder.requests.first?.headers["authorization"] == "Bearer IGfakeToken")
            }
        }
    }

    @Test("a TikTok comment without text gets it from the comment list; its author id is kept")
    func tiktokComment() async throws {
        try await withFake(try await TikTokAPIFake.start(accessToken: "tt-token", businessID: "biz-1")) { fake in
            fake.registerComment(
                id: "7247303576418566913", videoID: "7203946942097902849", text: "So cute!", username: "user_7c2f")
            try await ContentFetchHarness.with { h in
                let channel = try await h.connect(
                    .tiktok, account: "biz-1", secrets: ContentFetchHarness.secrets(accessToken: "tt-token"))
                let id = try await h.store(
                    ContentFetchHarness.tiktokComment(
                        businessID: "biz-1", videoID: "7203946942097902849", commentID: "7247303576418566913",
                        author: "uid-7c2f"),
                    on: channel)
                var endpoints = OutboundEndpoints.production
                endpoints[TikTokOutboundAdapter.api] = .init(baseURL: fake.baseURL, version: "v1.3")
                try await OutboundTestHarness.with { harness in
                    #expect(await h.worker(endpoints, http: harness.http).round() == 1)
                }
                let stored = try await h.stored(id)
                #expect(stored.state == "pending")
                #expect(stored.step == nil)
                #expect(stored.event.text == "So cute!")
                #expect(stored.event.author.handle == "user_7c2f")
                #expect(stored.event.author.platformUserID == "uid-7c2f")
                #expect(stored.event.kind == .comment)
                #expect(!stored.event.flags.contentIncomplete)
            }
        }
    }

    @Test("a comment on an unpublished Facebook post becomes a paid dark-post comment; an organic one stays")
    func facebookDarkPost() async throws {
        try await withFake(
            try await MetaGraphFake.start(.facebook, accountIDs: ["111000111"], accessToken: Self.pageToken)
        ) { fake in
            fake.registerPost(id: "111000111_444000444", isPublished: false, promotionStatus: "active")
            fake.registerPost(id: "111000111_555000555", isPublished: true, promotionStatus: "ineligible")
            try await ContentFetchHarness.with { h in
                let channel = try await h.connect(.facebook, account: "111000111", secrets: Self.pageSecrets)
                let dark = try await h.store(
                    ContentFetchHarness.facebookComment(
                        pageID: "111000111", postID: "111000111_444000444", commentID: "444000444_1"),
                    on: channel)
                let organic = try await h.store(
                    ContentFetchHarness.facebookComment(
                        pageID: "111000111", postID: "111000111_555000555", commentID: "555000555_1"),
                    on: channel)
                var endpoints = OutboundEndpoints.production
                endpoints[FacebookOutboundAdapter.api] = .init(baseURL: fake.baseURL, version: "v26.0")
                try await OutboundTestHarness.with { harness in
                    #expect(await h.worker(endpoints, http: harness.http).round() == 2)
                }
                let paid = try await h.stored(dark)
                #expect(paid.state == "pending")
                #expect(paid.event.kind == .darkPostComment)
                #expect(paid.event.flags.isPaid)
                #expect(paid.event.text == "Is this still on sale?")
                #expect(paid.event.author.platformUserID == "24000000000001")
                let plain = try await h.stored(organic)
                #expect(plain.state == "pending")
                #expect(plain.event.kind == .comment)
                #expect(!plain.event.flags.isPaid)
            }
        }
    }

    @Test("a platform failure keeps the event waiting with the backoff; the next try completes it")
    func serverErrorWaits() async throws {
        try await withFake(
            try await MetaGraphFake.start(.instagram, accountIDs: [Self.igUserID], accessToken: Self.pageToken)
        ) { fake in
            fake.registerMention(objectID: "17894227972186120", text: "Great service from @myshop", username: "anna")
            fake.script.enqueue(.serverError, on: MetaGraphFake.Endpoint.objectRead)
            try await ContentFetchHarness.with { h in
                let channel = try await h.connect(.instagram, account: Self.igUserID, secrets: Self.pageSecrets)
                let id = try await h.store(
                    ContentFetchHarness.mention(
                        igUserID: Self.igUserID, mediaID: "17918195224117851", commentID: "17894227972186120"),
                    on: channel)
                try await OutboundTestHarness.with { harness in
                    let worker = h.worker(Self.instagramEndpoints(fake), http: harness.http)
                    #expect(await worker.round() == 1)
                    let waiting = try await h.stored(id)
                    #expect(waiting.state == "awaiting_content")
                    #expect(waiting.attempts == 1)
                    #expect(waiting.step != nil)
                    // retryDelay (1 s) with up to 25 % jitter.
                    #expect(waiting.nextAttemptAt > h.clock.now.addingTimeInterval(0.9))
                    #expect(waiting.nextAttemptAt < h.clock.now.addingTimeInterval(1.4))
                    #expect(waiting.lastError?.contains("transient") == true)
                    #expect(!waiting.event.flags.contentIncomplete)
                    #expect(h.ready.value == 0)
                    // Not due yet.
                    #expect(await worker.round() == 0)
                    h.clock.advance(2)
                    #expect(await worker.round() == 1)
                }
                let done = try await h.stored(id)
                #expect(done.state == "pending")
                #expect(done.attempts == 0)
                #expect(done.lastError == nil)
                #expect(done.event.text == "Great service from @myshop")
                #expect(h.ready.value == 1)
            }
        }
    }

    @Test("a fetch that fails for good delivers the event flagged content_incomplete")
    func permanentFailure() async throws {
        try await withFake(
            try await MetaGraphFake.start(.instagram, accountIDs: [Self.igUserID], accessToken: Self.pageToken)
        ) { fake in
            try await ContentFetchHarness.with { h in
                let channel = try await h.connect(.instagram, account: Self.igUserID, secrets: Self.pageSecrets)
                // No such mention: Graph 100/33.
                let id = try await h.store(
                    ContentFetchHarness.mention(igUserID: Self.igUserID, mediaID: "1", commentID: "404"), on: channel)
                try await OutboundTestHarness.with { harness in
                    #expect(await h.worker(Self.instagramEndpoints(fake), http: harness.http).round() == 1)
                }
                let stored = try await h.stored(id)
                #expect(stored.state == "pending")
                #expect(stored.step == nil)
                #expect(stored.attempts == 0)
                #expect(stored.event.flags.contentIncomplete)
                #expect(stored.lastError?.contains("Graph error 100/33") == true)
                #expect(stored.event.text.isEmpty)
                // conversation-service needs an author for a customer's message.
                #expect(stored.event.author.platformUserID == ContentFetchWorker.unknownAuthorID)
                #expect(stored.event.platformMessageID == "404")
                #expect(h.ready.value == 1)
            }
        }
    }

    @Test("after the last try the event goes on without its content")
    func triesRunOut() async throws {
        try await withFake(
            try await MetaGraphFake.start(.instagram, accountIDs: [Self.igUserID], accessToken: Self.pageToken)
        ) { fake in
            fake.registerMention(objectID: "17894227972186120", text: "Great service from @myshop", username: "anna")
            fake.script.enqueue(.serverError, .serverError, on: MetaGraphFake.Endpoint.objectRead)
            try await ContentFetchHarness.with { h in
                let channel = try await h.connect(.instagram, account: Self.igUserID, secrets: Self.pageSecrets)
                let id = try await h.store(
                    ContentFetchHarness.mention(
                        igUserID: Self.igUserID, mediaID: "17918195224117851", commentID: "17894227972186120"),
                    on: channel)
                var settings = ContentFetchHarness.settings
                settings.contentFetchMaxAttempts = 2
                try await OutboundTestHarness.with { harness in
                    let worker = h.worker(Self.instagramEndpoints(fake), http: harness.http, settings: settings)
                    #expect(await worker.round() == 1)
                    let waiting = try await h.stored(id).state
                    #expect(waiting == "awaiting_content")
                    h.clock.advance(2)
                    #expect(await worker.round() == 1)
                }
                let stored = try await h.stored(id)
                #expect(stored.state == "pending")
                #expect(stored.event.flags.contentIncomplete)
                #expect(stored.lastError?.contains("after 2 tries") == true)
                #expect(stored.event.author.platformUserID == ContentFetchWorker.unknownAuthorID)
                #expect(fake.recorder.requests.count == 2)
            }
        }
    }

    @Test("without usable credentials nothing is asked and the events go on flagged")
    func noCredentials() async throws {
        try await withFake(try await TikTokAPIFake.start(accessToken: "tt-token", businessID: "biz-1")) { fake in
            try await ContentFetchHarness.with { h in
                var noToken = ChannelSecrets()
                noToken.signingSecret = "client-secret"
                let tiktok = try await h.connect(.tiktok, account: "biz-1", secrets: noToken)
                let comment = try await h.store(
                    ContentFetchHarness.tiktokComment(
                        businessID: "biz-1", videoID: "7203946942097902849", commentID: "7247303576418566913",
                        author: "uid-7c2f"),
                    on: tiktok)
                let instagram = try await h.connect(
                    .instagram, account: Self.igUserID, secrets: Self.pageSecrets,
                    status: .disconnected)
                let mention = try await h.store(
                    ContentFetchHarness.mention(igUserID: Self.igUserID, mediaID: "1791", commentID: "1789"),
                    on: instagram)
                var endpoints = OutboundEndpoints.production
                endpoints[TikTokOutboundAdapter.api] = .init(baseURL: fake.baseURL, version: "v1.3")
                endpoints[InstagramOutboundAdapter.facebookLoginAPI] = .init(baseURL: fake.baseURL, version: "v26.0")
                try await OutboundTestHarness.with { harness in
                    #expect(await h.worker(endpoints, http: harness.http).round() == 2)
                }
                let first = try await h.stored(comment)
                #expect(first.state == "pending")
                #expect(first.event.flags.contentIncomplete)
                #expect(first.lastError?.contains("access_token") == true)
                #expect(first.event.author.platformUserID == "uid-7c2f")
                let second = try await h.stored(mention)
                #expect(second.state == "pending")
                #expect(second.event.flags.contentIncomplete)
                #expect(second.lastError?.contains("disconnected") == true)
                #expect(fake.recorder.requests.isEmpty)
            }
        }
    }
}

@Suite("channel-gateway: channel secrets as outbound credentials")
struct OutboundCredentialsTests {
    static func account(_ platform: Platform, _ id: String, settings: [String: String] = [:]) -> ChannelAccount {
        ChannelAccount(
            id: UUID(), organizationID: "org", platform: platform, externalAccountID: id, displayName: "",
            status: .active, settings: settings, instagramMessageRequestsEnabled: false, configuredCredentials: [],
            createdAt: Date(), updatedAt: Date())
    }

    static var secrets: ChannelSecrets {
        var secrets = ChannelSecrets()
        secrets.accessToken = "token"
        secrets.signingSecret = "signing"
        secrets.verifyToken = "verify"
        secrets.appID = "app"
        secrets.appSecret = "app-secret"
        return secrets
    }

    @Test func everyPlatformGetsItsOwnType() {
        let s = Self.secrets
        #expect(
            (s.outboundCredentials(for: Self.account(.facebook, "111")) as? FacebookCredentials)
                == FacebookCredentials(pageID: "111", accessToken: "token"))
        #expect(
            (s.outboundCredentials(for: Self.account(.instagram, "1784")) as? InstagramCredentials)
                == InstagramCredentials.facebookLogin(pageID: "1784", accessToken: "token"))
        let withPage = Self.account(.instagram, "1784", settings: ["page_id": "111"])
        #expect(
            (s.outboundCredentials(for: withPage) as? InstagramCredentials)
                == InstagramCredentials.facebookLogin(pageID: "111", accessToken: "token"))
        let instagramLogin = Self.account(.instagram, "1784", settings: ["instagram_login": "true"])
        #expect(
            (s.outboundCredentials(for: instagramLogin) as? InstagramCredentials)
                == InstagramCredentials.instagramLogin(igUserID: "1784", accessToken: "token"))
        #expect(
            (s.outboundCredentials(for: Self.account(.whatsapp, "1065")) as? WhatsAppCredentials)
                == WhatsAppCredentials(phoneNumberID: "1065", accessToken: "token"))
        #expect(
            (s.outboundCredentials(for: Self.account(.x, "42")) as? XCredentials)
                == XCredentials(userAccessToken: "token"))
        #expect(
            (s.outboundCredentials(for: Self.account(.linkedin, "urn:li:organization:1")) as? LinkedInCredentials)
                == LinkedInCredentials(accessToken: "token"))
        #expect(
            (s.outboundCredentials(for: Self.account(.tiktok, "biz-1")) as? TikTokCredentials)
                == TikTokCredentials(accessToken: "token", businessID: "biz-1"))
        #expect(
            (s.outboundCredentials(for: Self.account(.telegram, "bot")) as? TelegramCredentials)
                == TelegramCredentials(botToken: "token"))
        #expect(
            (s.outboundCredentials(for: Self.account(.twilio, "+15550001111")) as? TwilioCredentials)
                == TwilioCredentials(accountSID: "app", authToken: "signing"))
        #expect(
            (s.outboundCredentials(for: Self.account(.wechat, "gh_1")) as? WeChatCredentials)
                == WeChatCredentials.app(appID: "app", appSecret: "app-secret"))
    }

    @Test func missingFieldsAreNamed() {
        var secrets = ChannelSecrets()
        secrets.signingSecret = "signing"
        #expect(secrets.missingOutboundFields(for: .facebook) == ["access_token"])
        #expect(secrets.missingOutboundFields(for: .twilio) == ["app_id"])
        #expect(secrets.missingOutboundFields(for: .wechat) == ["app_id", "app_secret"])
        #expect(Self.secrets.missingOutboundFields(for: .tiktok).isEmpty)
        #expect(ChannelSecrets.outboundFields(for: .webChat).isEmpty)
        for platform in Platform.social {
            #expect(!ChannelSecrets.outboundFields(for: platform).isEmpty)
        }
    }
}
