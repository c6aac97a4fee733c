import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import Testing

@testable import ChannelGateway

/// The pure parts of the outbound core: DeliverMessageRequest to the platform's send, the worker's
/// outcome decisions, the channel pacer, the API base URLs from the environment.
@Suite("outbound core: mapping, decisions, pacing, configuration")
struct DeliveryMappingTests {
    static let base = "https://gw.example.com"

    static func channel(
        _ platform: Platform, _ account: String, settings: [String: String] = [:]
    ) -> ChannelAccount {
        ChannelAccount(
            id: UUID(), organizationID: "org-test", platform: platform, externalAccountID: account,
            displayName: "", status: .active, settings: settings, instagramMessageRequestsEnabled: false,
            configuredCredentials: [], createdAt: Date(), updatedAt: Date())
    }

    static func request(
        _ kind: Inbox_V1_SendKind, _ configure: (inout Inbox_V1_DeliverMessageRequest) -> Void = { _ in }
    ) -> Inbox_V1_DeliverMessageRequest {
        var request = Inbox_V1_DeliverMessageRequest.with {
            $0.organizationID = "org-test"
            $0.messageID = UUID().uuidString
            $0.idempotencyKey = "key-1"
            $0.sendKind = kind
            $0.text = "Thanks, it ships today."
        }
        configure(&request)
        return request
    }

    static func kind(
        _ platform: Platform, settings: [String: String] = [:], _ request: Inbox_V1_DeliverMessageRequest
    ) throws -> OutboundKind {
        try Self.kind(platform, "acct", settings: settings, request)
    }

    static func kind(
        _ platform: Platform, _ account: String, settings: [String: String] = [:],
        _ request: Inbox_V1_DeliverMessageRequest
    ) throws -> OutboundKind {
        try request.outboundMessage(on: Self.channel(platform, account, settings: settings), publicBaseURL: Self.base)
            .kind
    }

    /// The field an INVALID_ARGUMENT names, or nil when the mapping succeeded.
    static func refusedField(_ platform: Platform, _ request: Inbox_V1_DeliverMessageRequest) -> String? {
        Self.refusedField(platform, "acct", request)
    }

    static func refusedField(
        _ platform: Platform, _ account: String, _ request: Inbox_V1_DeliverMessageRequest
    ) -> String? {
        do {
            _ = try request.outboundMessage(on: Self.channel(platform, account), publicBaseURL: Self.base)
            return nil
        } catch {
            #expect(error.code == .invalidArgument)
            return error.metadata["field"]
        }
    }

    // MARK: Mapping per platform

    @Test("Facebook: DM, HUMAN_AGENT DM, private replies to a comment and a visitor post, public replies")
    func facebook() throws {
        #expect(
            try Self.kind(.facebook, Self.request(.directMessage) { $0.recipientID = "7001" })
                == .directMessage(recipientID: "7001"))
        #expect(
            try Self.kind(
                .facebook,
                Self.request(.directMessage) {
                    $0.recipientID = "7001"
                    $0.tag = .humanAgent
                }) == .humanAgentMessage(recipientID: "7001"))
        #expect(
            try Self.kind(
                .facebook,
                Self.request(.privateReply) {
                    $0.conversationKind = .comment
                    $0.parentPostID = "111_777"
                    $0.parentCommentID = "222_333"
                }) == .privateReply(.comment(id: "222_333")))
        // A visitor post: conversation-service names the post as the top-level message.
        #expect(
            try Self.kind(
                .facebook,
                Self.request(.privateReply) {
                    $0.conversationKind = .wallPost
                    $0.parentCommentID = "111_777"
                }) == .privateReply(.visitorPost(id: "111_777")))
        #expect(
            try Self.kind(.facebook, Self.request(.publicReply) { $0.parentCommentID = "222_333" })
                == .publicCommentReply(commentID: "222_333"))
        #expect(
            try Self.kind(.facebook, Self.request(.publicReply) { $0.parentPostID = "111_777" })
                == .publicCommentReply(commentID: "111_777"))
    }

    @Test("Instagram: DM, private and public replies to a comment; a mention is refused for a public reply")
    func instagram() throws {
        #expect(
            try Self.kind(.instagram, Self.request(.directMessage) { $0.recipientID = "1780" })
                == .directMessage(recipientID: "1780"))
        #expect(
            try Self.kind(.instagram, Self.request(.privateReply) { $0.parentCommentID = "1787" })
                == .privateReply(.comment(id: "1787")))
        #expect(
            try Self.kind(.instagram, Self.request(.publicReply) { $0.parentCommentID = "1787" })
                == .publicCommentReply(commentID: "1787"))
        #expect(
            Self.refusedField(
                .instagram,
                Self.request(.publicReply) {
                    $0.conversationKind = .mention
                    $0.parentCommentID = "1787"
                }) == "send_kind")
    }

    @Test("WhatsApp: text and template")
    func whatsApp() throws {
        #expect(
            try Self.kind(.whatsapp, Self.request(.directMessage) { $0.recipientID = "16505551234" })
                == .whatsAppText(to: "16505551234"))
        let template = Self.request(.template) {
            $0.recipientID = "16505551234"
            $0.text = ""
            $0.template = .with {
                $0.name = "order_update"
                $0.languageCode = "en_US"
                $0.bodyParameters = ["#1234"]
            }
        }
        #expect(
            try Self.kind(.whatsapp, template)
                == .whatsAppTemplate(
                    to: "16505551234",
                    template: WhatsAppTemplate(name: "order_update", languageCode: "en_US", bodyParameters: ["#1234"])))
        var unnamed = template
        unnamed.template.name = ""
        #expect(Self.refusedField(.whatsapp, unnamed) == "template.name")
        var noLanguage = template
        noLanguage.template.languageCode = ""
        #expect(Self.refusedField(.whatsapp, noLanguage) == "template.language_code")
    }

    @Test("X: DM and reply post (the post answered, or the conversation's comment)")
    func x() throws {
        #expect(
            try Self.kind(.x, Self.request(.directMessage) { $0.recipientID = "15" })
                == .xDirectMessage(participantID: "15"))
        #expect(
            try Self.kind(.x, Self.request(.publicReply) { $0.replyToPlatformID = "1770" })
                == .xReply(inReplyToPostID: "1770"))
        #expect(
            try Self.kind(.x, Self.request(.publicReply) { $0.parentCommentID = "1771" })
                == .xReply(inReplyToPostID: "1771"))
        #expect(Self.refusedField(.x, Self.request(.publicReply)) == "reply_to_platform_id")
    }

    @Test("LinkedIn: a comment as the channel's organisation, nested under the comment answered")
    func linkedIn() throws {
        let post = "urn:li:activity:7094637247890620418"
        let comment = "urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)"
        #expect(
            try Self.kind(
                .linkedin, "urn:li:organization:96072893",
                Self.request(.publicReply) {
                    $0.parentPostID = post
                    $0.parentCommentID = comment
                })
                == .linkedInComment(
                    LinkedInCommentTarget(actor: "urn:li:organization:96072893", object: post, parentComment: comment)))
        // A bare organisation id is the organisation's number.
        #expect(
            try Self.kind(.linkedin, "96072893", Self.request(.publicReply) { $0.parentPostID = post })
                == .linkedInComment(LinkedInCommentTarget(actor: "urn:li:organization:96072893", object: post)))
        #expect(Self.refusedField(.linkedin, Self.request(.publicReply)) == "parent_post_id")
        #expect(Self.refusedField(.linkedin, Self.request(.directMessage) { $0.recipientID = "1" }) == "send_kind")
    }

    @Test("TikTok: a reply needs the video and the comment")
    func tiktok() throws {
        #expect(
            try Self.kind(
                .tiktok,
                Self.request(.publicReply) {
                    $0.parentPostID = "7203"
                    $0.parentCommentID = "7247"
                }) == .tiktokCommentReply(videoID: "7203", commentID: "7247"))
        #expect(
            Self.refusedField(.tiktok, Self.request(.publicReply) { $0.parentPostID = "7203" }) == "parent_comment_id")
    }

    @Test("Telegram: sendMessage to the chat, quoting the message without its chat prefix")
    func telegram() throws {
        let message = try Self.request(.directMessage) {
            $0.recipientID = "123456789"
            $0.replyToPlatformID = "123456789:4711"
        }.outboundMessage(on: Self.channel(.telegram, "shop_bot"), publicBaseURL: Self.base)
        #expect(message.kind == .telegramMessage(chatID: "123456789"))
        #expect(message.quotedMessageID == "4711")
        // Its id is recorded as its webhooks name messages.
        #expect(message.kind.recordedPlatformMessageID("4802") == "123456789:4802")
        #expect(message.kind.recordedPlatformMessageID(nil) == nil)
    }

    @Test("Twilio: from the channel's number or its Messaging Service, status callback to the channel's webhook")
    func twilio() throws {
        let number = Self.channel(.twilio, "+12345678901")
        let request = Self.request(.directMessage) {
            $0.recipientID = "+11234567890"
            $0.attachments = [.with { $0.url = "https://cdn.example.com/a.jpg" }]
        }
        #expect(
            try request.outboundKind(on: number, publicBaseURL: Self.base + "/")
                == .twilioMessage(
                    TwilioAddressing(
                        to: "+11234567890", sender: .phoneNumber("+12345678901"),
                        mediaURLs: ["https://cdn.example.com/a.jpg"],
                        statusCallback: "https://gw.example.com/webhooks/twilio/\(number.id.uuidString.lowercased())")))
        let service = Self.channel(.twilio, "+12345678901", settings: ["messaging_service_sid": "MG123"])
        guard case .twilioMessage(let addressing) = try request.outboundKind(on: service, publicBaseURL: Self.base)
        else {
            Issue.record("not a Twilio message")
            return
        }
        #expect(addressing.sender == .messagingService(sid: "MG123"))
        // Media alone is a message; a URL Twilio cannot fetch is refused.
        var mediaOnly = request
        mediaOnly.text = ""
        #expect(Self.refusedField(.twilio, mediaOnly) == nil)
        var local = request
        local.attachments = [.with { $0.url = "file:///etc/passwd" }]
        #expect(Self.refusedField(.twilio, local) == "attachments[0].url")
    }

    @Test("WeChat: a customer-service text to the OpenID")
    func weChat() throws {
        #expect(
            try Self.kind(.wechat, Self.request(.directMessage) { $0.recipientID = "ogdot" })
                == .weChatText(openID: "ogdot"))
    }

    @Test("unsupported combinations and missing fields are INVALID_ARGUMENT naming the field")
    func refusals() {
        let dm = Self.request(.directMessage) { $0.recipientID = "1" }
        #expect(Self.refusedField(.telegram, Self.request(.unspecified) { $0.recipientID = "1" }) == "send_kind")
        #expect(Self.refusedField(.telegram, Self.request(.directMessage)) == "recipient_id")
        #expect(Self.refusedField(.telegram, Self.request(.publicReply)) == "send_kind")
        #expect(Self.refusedField(.wechat, Self.request(.template) { $0.recipientID = "1" }) == "send_kind")
        var empty = dm
        empty.text = "  "
        #expect(Self.refusedField(.telegram, empty) == "text")
        var long = dm
        long.text = String(repeating: "a", count: Inbox_V1_DeliverMessageRequest.maxTextLength + 1)
        #expect(Self.refusedField(.telegram, long) == "text")
        var tagged = dm
        tagged.tag = .humanAgent
        #expect(Self.refusedField(.telegram, tagged) == "tag")
        #expect(
            Self.refusedField(.facebook, Self.request(.privateReply) { $0.tag = .humanAgent }) == "parent_comment_id")
        var automatic = tagged
        automatic.automatic = true
        #expect(Self.refusedField(.facebook, automatic) == "tag")
        var attached = dm
        attached.attachments = [.with { $0.url = "https://cdn.example.com/a.jpg" }]
        #expect(Self.refusedField(.telegram, attached) == "attachments")
        #expect(Self.refusedField(.facebook, Self.request(.privateReply)) == "parent_comment_id")
        #expect(Self.refusedField(.facebook, Self.request(.publicReply)) == "parent_comment_id")
    }

    // MARK: The worker's decisions

    static var settings: OutboundSettings {
        var settings = OutboundSettings()
        settings.retryDelay = .seconds(2)
        settings.maxRetryDelay = .seconds(60)
        settings.maxAttempts = 4
        return settings
    }

    static func decide(_ outcome: OutboundOutcome, tries: Int = 1) -> DeliveryWorker.Decision {
        DeliveryWorker.decision(for: outcome, tries: tries, platform: .telegram, settings: Self.settings, jitter: 1)
    }

    @Test("sent, retried after the platform's delay or the backoff, exhausted after the tries")
    func decisions() {
        #expect(Self.decide(.sent(platformMessageID: "m1")) == .sent(platformMessageID: "m1"))
        // The platform's delay when longer than the backoff, the backoff otherwise.
        guard case .retry(let long, _) = Self.decide(.retryAfter(delay: .seconds(30), reason: .rateLimited)),
            case .retry(let short, _) = Self.decide(.retryAfter(delay: .milliseconds(10), reason: .rateLimited)),
            case .retry(let third, _) = Self.decide(.retryAfter(delay: nil, reason: .transient), tries: 3)
        else {
            Issue.record("not retried")
            return
        }
        #expect(long == 30)
        #expect(short == 2)
        #expect(third == 8)
        guard
            case .failed(.retriesExhausted, let detail) = Self.decide(
                .retryAfter(delay: nil, reason: .transient), tries: 4)
        else {
            Issue.record("not exhausted")
            return
        }
        #expect(detail.contains("4 tries"))
    }

    @Test("final reasons map to the delivery's; maybe-sent is final where the platform has no idempotency")
    func finalReasons() {
        let cases: [(OutboundFailureReason, DeliveryFailureReason)] = [
            (.outsideWindow, .outsideWindow), (.rateLimited, .rateLimited), (.tokenInvalid, .tokenInvalid),
            (.recipientUnavailable, .recipientUnavailable), (.recipientOptedOut, .optedOut),
            (.maybeSent, .maybeSent), (.other, .platformError),
        ]
        for (reason, expected) in cases {
            #expect(Self.decide(.failed(reason: reason, detail: "d")) == .failed(expected, detail: "d"), "\(reason)")
        }
        #expect(PlatformIdempotency.resendIsSafe(on: .webChat))
        for platform in Platform.social {
            #expect(!PlatformIdempotency.resendIsSafe(on: platform), "\(platform)")
        }
    }

    // MARK: Pacing

    @Test("a channel's burst goes at once, the rest one token apart; another channel is not held up")
    func pacer() {
        let pacer = ChannelPacer(sendsPerSecond: 10, burst: 3)
        let busy = UUID()
        let now = Date(timeIntervalSince1970: 1_000_000)
        let first = pacer.admit(busy, count: 5, now: now)
        #expect(first.admitted == 3)
        #expect(first.later.map { ($0.timeIntervalSince(now) * 1000).rounded() } == [100, 200])
        // Put back in the next round, they queue after those turns instead of at the next token.
        let second = pacer.admit(busy, count: 2, now: now.addingTimeInterval(0.01))
        #expect(second.admitted == 0)
        #expect(second.later.map { ($0.timeIntervalSince(now) * 1000).rounded() } == [300, 400])
        // Another channel has its own bucket.
        #expect(pacer.admit(UUID(), count: 3, now: now).admitted == 3)
        // Refilled at the rate.
        #expect(pacer.admit(busy, count: 1, now: now.addingTimeInterval(0.5)).admitted == 1)
    }

    @Test("a platform's rate limit pauses the channel until its delay")
    func pause() {
        let pacer = ChannelPacer(sendsPerSecond: 10, burst: 10)
        let channel = UUID()
        let now = Date(timeIntervalSince1970: 1_000_000)
        pacer.pause(channel, until: now.addingTimeInterval(5))
        let paused = pacer.admit(channel, count: 2, now: now.addingTimeInterval(1))
        #expect(paused.admitted == 0)
        #expect(paused.later.first == now.addingTimeInterval(5))
        #expect(pacer.admit(channel, count: 1, now: now.addingTimeInterval(6)).admitted == 1)
    }

    // MARK: Configuration

    @Test("each API's base URL comes from its variable; unset is the real host")
    func endpointsFromEnvironment() throws {
        #expect(
            Set(OutboundEndpoints.environmentVariables.map { $0.name }) == [
                "FACEBOOK_API_BASE_URL", "INSTAGRAM_API_BASE_URL", "INSTAGRAM_LOGIN_API_BASE_URL",
                "WHATSAPP_API_BASE_URL", "X_API_BASE_URL", "LINKEDIN_API_BASE_URL", "TIKTOK_API_BASE_URL",
                "TELEGRAM_API_BASE_URL", "TWILIO_API_BASE_URL", "WECHAT_API_BASE_URL",
            ])
        #expect(OutboundEndpoints.environmentVariables.count == 10)
        let endpoints = try OutboundEndpoints.load(
            from: InboxKit.Environment([
                "FACEBOOK_API_BASE_URL": "http://127.0.0.1:9001/", "INSTAGRAM_LOGIN_API_BASE_URL": "http://fakes:9002",
                "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9003",
            ]))
        let facebook = PlatformEndpoint(baseURL: "http://127.0.0.1:9001", version: "v26.0")
        #expect(endpoints[FacebookOutboundAdapter.api] == facebook)
        #expect(endpoints[InstagramOutboundAdapter.instagramLoginAPI].baseURL == "http://fakes:9002")
        let instagram = InstagramOutboundAdapter.facebookLoginAPI
        #expect(endpoints[instagram] == instagram.production)
        #expect(endpoints[TelegramOutboundAdapter.api].baseURL == "http://127.0.0.1:9003")
        #expect(endpoints[WhatsAppOutboundAdapter.api] == WhatsAppOutboundAdapter.api.production)
        #expect(throws: ConfigurationError.self) {
            try OutboundEndpoints.load(from: InboxKit.Environment(["X_API_BASE_URL": "api.x.com"]))
        }
        #expect(throws: ConfigurationError.self) {
            try OutboundEndpoints.load(
                from: InboxKit.Environment(["TWILIO_API_BASE_URL": "https://api.twilio.com?x=1"]))
        }
    }
}
