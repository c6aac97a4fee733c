import Foundation
import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

/// The fakes' signed payloads go through the inbound adapters: two independent implementations
/// of each platform's signing and payload shape must agree.
@Suite("Fake webhooks accepted by the inbound adapters")
struct FakeWebhooksAcceptedByInboundTests {
    private func request(_ webhook: SignedWebhook) -> WebhookRequest {
        let parts = webhook.url.split(separator: "?", maxSplits: 1).map(String.init)
        let path = String(parts[0].drop(while: { $0 != "/" }).dropFirst(2).drop(while: { $0 != "/" }))
        let query =
            parts.count > 1
            ? FormEncoding.decode(parts[1]).map { WebhookRequest.QueryItem(name: $0.0, value: $0.1) } : []
        return WebhookRequest(
            method: "POST", path: path, query: query,
            headers: webhook.headers.map { WebhookRequest.Header(name: $0.key, value: $0.value) }, body: webhook.body,
            publicURL: parts[0])
    }

    private func events(_ outcome: WebhookOutcome) -> [InboundEvent] {
        if case .events(let events, _, _) = outcome { return events }
        return []
    }

    @Test func messenger() throws {
        let payload = WebhookPayloads.messengerText(
            pageID: "111000111", senderPSID: "7001", mid: "m_1", text: "Größe? 😀", timestamp: 1_790_000_000_100)
        let webhook = MetaWebhookSigner.signed(
            payload, url: "https://gw.example.com/webhooks/facebook/ch1", appSecret: "app-secret")
        let out = try FacebookWebhookAdapter().handle(
            request(webhook), secrets: MetaWebhookSecrets(appSecret: "app-secret"), now: Date())
        #expect(events(out).first?.text == "Größe? 😀")
        #expect(events(out).first?.messageID == "m_1")
    }

    @Test func feedComment() throws {
        let payload = WebhookPayloads.feedComment(
            pageID: "111000111", postID: "111000111_444", commentID: "444_555", fromID: "7003", fromName: "Ad Viewer",
            message: "Price?", createdTime: 1_790_000_200, isPublished: false)
        let webhook = MetaWebhookSigner.signed(
            payload, url: "https://gw.example.com/webhooks/facebook/ch1", appSecret: "app-secret")
        let out = try FacebookWebhookAdapter().handle(
            request(webhook), secrets: MetaWebhookSecrets(appSecret: "app-secret"), now: Date())
        #expect(events(out).first?.text == "Price?")
        #expect(events(out).first?.isPaid == true)
    }

    /// The first event of a signed Meta payload, as the adapter of `platform` parses it.
    private func metaEvent(_ payload: WireJSON, platform: Platform) throws -> InboundEvent? {
        let webhook = MetaWebhookSigner.signed(
            payload, url: "https://gw.example.com/webhooks/\(platform.rawValue)", appSecret: "app-secret")
        let secrets = MetaWebhookSecrets(appSecret: "app-secret")
        let outcome: WebhookOutcome
        switch platform {
        case .instagram: outcome = try InstagramWebhookAdapter().handle(request(webhook), secrets: secrets, now: Date())
        default: outcome = try FacebookWebhookAdapter().handle(request(webhook), secrets: secrets, now: Date())
        }
        return events(outcome).first
    }

    /// The payloads deploy/local/demo posts beside the first ones: a Messenger edit and unsend, a
    /// visitor post, a mention and a video comment, each parsed as the kind it stands for.
    @Test func messengerEditsAndUnsendsVisitorPostsMentionsAndVideoComments() throws {
        let edit = try #require(
            try metaEvent(
                WebhookPayloads.messengerEdit(
                    pageID: "111000111", senderPSID: "7001", mid: "m_1", text: "Size M, not L", editNumber: 1,
                    timestamp: 1_790_000_000_200), platform: .facebook))
        #expect(edit.kind == .edit)
        #expect(edit.messageID == "m_1")
        #expect(edit.text == "Size M, not L")
        let deletion = try #require(
            try metaEvent(
                WebhookPayloads.messengerDeletion(
                    pageID: "111000111", senderPSID: "7001", mid: "m_2", timestamp: 1_790_000_000_300),
                platform: .facebook))
        #expect(deletion.kind == .deletion)
        #expect(deletion.eventID == "delete:m_2")
        let post = try #require(
            try metaEvent(
                WebhookPayloads.facebookVisitorPost(
                    pageID: "111000111", postID: "111000111_777", fromID: "7005", fromName: "Visitor",
                    message: "Open on Sunday?", createdTime: 1_790_000_400), platform: .facebook))
        #expect(post.kind == .wallPost)
        #expect(post.threadKey == "111000111_777")
        #expect(post.text == "Open on Sunday?")
        let mention = try #require(
            try metaEvent(
                WebhookPayloads.facebookMention(
                    pageID: "111000111", postID: "888000888_999", senderID: "7006", senderName: "Mentioner",
                    message: "Great service from @MyShop", createdTime: 1_790_000_490), platform: .facebook))
        #expect(mention.kind == .mention)
        #expect(mention.author?.platformID == "7006")
        let video = try #require(
            try metaEvent(
                WebhookPayloads.feedComment(
                    pageID: "111000111", postID: "111000111_222", commentID: "222_666", fromID: "7004",
                    fromName: "Vid Person", message: nil, createdTime: 1_790_000_300,
                    video: "https://video.xx.fbcdn.net/v/abc.mp4"), platform: .facebook))
        #expect(video.kind == .comment)
        #expect(video.hiddenByPlatformRule == .videoAttachment)
        #expect(video.contentFetch == nil)
    }

    @Test func instagramMessagesAndComments() throws {
        let account = "17841400000000001"
        let dm = try #require(
            try metaEvent(
                WebhookPayloads.instagramMessage(
                    igUserID: account, senderIGSID: "9100000000000001", mid: "aWdfZAdemo1", text: "In stock?",
                    timestamp: 1_790_000_000_100), platform: .instagram))
        #expect(dm.kind == .directMessage)
        #expect(dm.accountID == account)
        #expect(dm.threadKey == "9100000000000001")
        #expect(dm.text == "In stock?")
        let organic = try #require(
            try metaEvent(
                WebhookPayloads.instagramComment(
                    igUserID: account, mediaID: "17900000000000001", commentID: "17890000000000001",
                    fromID: "9100000000000002", username: "jo.shops", text: "Love it", entryTime: 1_790_000_500),
                platform: .instagram))
        #expect(organic.kind == .comment)
        #expect(organic.threadKey == "17900000000000001/17890000000000001")
        #expect(organic.occurredAt == Date(timeIntervalSince1970: 1_790_000_500))
        #expect(organic.hiddenByPlatformRule == nil)
        let ad = try #require(
            try metaEvent(
                WebhookPayloads.instagramComment(
                    igUserID: account, mediaID: "17900000000000002", commentID: "17890000000000002",
                    fromID: "9100000000000003", username: "ad.viewer", text: "Price?", entryTime: 1_790_000_501,
                    adID: "23850000000000001"), platform: .instagram))
        #expect(ad.kind == .darkPostComment)
        #expect(ad.isPaid)
        let images = try #require(
            try metaEvent(
                WebhookPayloads.instagramComment(
                    igUserID: account, mediaID: "17900000000000001", commentID: "17890000000000003",
                    fromID: "9100000000000004", username: "two.pics", text: "Which one?", entryTime: 1_790_000_502,
                    imageURLs: ["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"]),
                platform: .instagram))
        #expect(images.hiddenByPlatformRule == .severalImages)
    }

    @Test func whatsApp() throws {
        let text = WebhookPayloads.whatsAppText(
            wabaID: "1", phoneNumberID: "106540352242922", displayPhoneNumber: "15550783881", from: "16505551234",
            profileName: "Sheena", messageID: "wamid.IN1", text: "Blue?", timestamp: 1_749_416_383)
        let out = try WhatsAppWebhookAdapter().handle(
            request(MetaWebhookSigner.signed(text, url: "https://g/webhooks/whatsapp/c", appSecret: "s")),
            secrets: MetaWebhookSecrets(appSecret: "s"), now: Date())
        #expect(events(out).first?.text == "Blue?")
        let status = WebhookPayloads.whatsAppStatus(
            wabaID: "1", phoneNumberID: "106540352242922", messageID: "wamid.OUT1", status: "failed",
            recipientID: "16505551234", timestamp: 1_750_030_073, errorCode: 131_047)
        let statusOut = try WhatsAppWebhookAdapter().handle(
            request(MetaWebhookSigner.signed(status, url: "https://g/webhooks/whatsapp/c", appSecret: "s")),
            secrets: MetaWebhookSecrets(appSecret: "s"), now: Date())
        #expect(events(statusOut).first?.deliveryStatus != nil)
    }

    @Test func x() throws {
        let dm = WebhookPayloads.xDirectMessage(
            forUserID: "835740314006511618", eventID: "958501034212564996", senderID: "272953809",
            senderScreenName: "nicpottier", text: "Hello &amp; bye", createdTimestamp: 1_517_359_429_301)
        let out = try XWebhookAdapter().handle(
            request(XWebhookSigner.signed(dm, url: "https://g/webhooks/x/c", consumerSecret: "cs")),
            secrets: XWebhookSecrets(consumerSecret: "cs"), now: Date())
        #expect(events(out).first?.text == "Hello & bye")
        let mention = WebhookPayloads.xMention(
            forUserID: "2244994945", forScreenName: "brandaccount", tweetID: 1_770_000_000_000_000_001,
            authorID: "3805104374", authorScreenName: "jdoe", text: "@brandaccount pricing?",
            timestampMs: 1_773_748_800_000)
        let mentionOut = try XWebhookAdapter().handle(
            request(XWebhookSigner.signed(mention, url: "https://g/webhooks/x/c", consumerSecret: "cs")),
            secrets: XWebhookSecrets(consumerSecret: "cs"), now: Date())
        #expect(events(mentionOut).first?.messageID == "1770000000000000001")
    }

    @Test func linkedIn() throws {
        let payload = WebhookPayloads.linkedInComment(
            notificationID: 5_603_453_321, organizationURN: "urn:li:organization:96072893",
            activityURN: "urn:li:activity:7094637247890620418", commentID: "7094977717598625792",
            authorURN: "urn:li:person:zLqTygBP8S", text: "Do you ship to EU?", lastModifiedAt: 1_691_574_506_310)
        let out = try LinkedInWebhookAdapter().handle(
            request(LinkedInWebhookSigner.signed(payload, url: "https://g/webhooks/linkedin/c", clientSecret: "cs")),
            secrets: LinkedInWebhookSecrets(clientSecret: "cs"), now: Date())
        #expect(events(out).first?.text == "Do you ship to EU?")
    }

    @Test func tiktok() throws {
        let now = Date()
        let payload = WebhookPayloads.tiktokCommentUpdate(
            clientKey: "aw1", businessOpenID: "biz", commentID: 7_247_303_576_418_566_913,
            videoID: 7_203_946_942_097_902_849, parentCommentID: nil, action: "insert", uniqueIdentifier: "user_7c2f",
            text: "So cute", createTime: Int64(now.timeIntervalSince1970), timestampMs: 1_687_394_416_109)
        let webhook = TikTokWebhookSigner.signed(
            payload, url: "https://g/webhooks/tiktok/c", secret: "tts", timestamp: Int(now.timeIntervalSince1970))
        let out = try TikTokWebhookAdapter().handle(
            request(webhook), secrets: TikTokWebhookSecrets(clientSecret: "tts"), now: now)
        #expect(events(out).first?.messageID == "7247303576418566913")
    }

    @Test func telegram() throws {
        let update = WebhookPayloads.telegramMessage(
            updateID: 912_345_678, messageID: 4711, chatID: 123_456_789, firstName: "Ana", username: "ana_li",
            text: "Where is my parcel?", date: 1_790_003_000)
        let out = try TelegramWebhookAdapter().handle(
            request(
                TelegramWebhookSigner.signed(update, url: "https://g/webhooks/telegram/c", secretToken: "tg-secret")),
            secrets: TelegramWebhookSecrets(secretToken: "tg-secret"), now: Date())
        #expect(events(out).first?.text == "Where is my parcel?")
    }

    @Test func twilio() throws {
        let url = "https://gw.example.com/webhooks/twilio/ch1"
        let sms = WebhookPayloads.twilioSMS(
            accountSID: "AC1", messageSID: "SM1", from: "+11234567890", to: "+12345678901", body: "Is the store open?")
        let out = try TwilioWebhookAdapter().handle(
            request(TwilioWebhookSigner.signed(sms, url: url, authToken: "tok")),
            secrets: TwilioWebhookSecrets(authToken: "tok"), now: Date())
        #expect(events(out).first?.text == "Is the store open?")
        let status = WebhookPayloads.twilioStatusCallback(
            accountSID: "AC1", messageSID: "SM9", status: "undelivered", from: "+1", to: "+2", errorCode: 30003)
        let statusOut = try TwilioWebhookAdapter().handle(
            request(TwilioWebhookSigner.signed(status, url: url, authToken: "tok")),
            secrets: TwilioWebhookSecrets(authToken: "tok"), now: Date())
        #expect(events(statusOut).first?.deliveryStatus != nil)
    }

    @Test func weChat() throws {
        let xml = WebhookPayloads.weChatText(
            toUserName: "gh_866835093fea", fromOpenID: "ogdot", content: "我的订单到哪了？", msgID: 6_349_323_426_230_210_995,
            createTime: 1_790_004_000)
        // Received a few seconds after WeChat signed it: the adapter holds `timestamp` to its window.
        let receivedAt = Date(timeIntervalSince1970: 1_790_004_003)
        let plain = WeChatWebhookSigner.signed(
            xml: xml, url: "https://g/webhooks/wechat/c", token: "wxtoken", timestamp: "1790004000", nonce: "123456")
        let out = try WeChatWebhookAdapter().handle(
            request(plain), secrets: WeChatWebhookSecrets(token: "wxtoken", allowPlaintext: true), now: receivedAt)
        #expect(events(out).first?.text == "我的订单到哪了？")
        let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        let encrypted = try WeChatWebhookSigner.signedEncrypted(
            xml: xml, toUserName: "gh_866835093fea", url: "https://g/webhooks/wechat/c", token: "wxtoken",
            encodingAESKey: key, appID: "wx1234567890abcdef", timestamp: "1790004000", nonce: "123456")
        let aesOut = try WeChatWebhookAdapter().handle(
            request(encrypted),
            secrets: WeChatWebhookSecrets(token: "wxtoken", encodingAESKey: key, appID: "wx1234567890abcdef"),
            now: receivedAt)
        #expect(events(aesOut).first?.text == "我的订单到哪了？")
    }

    private func handshakeReply(
        _ handshake: WebhookHandshake, _ adapter: some WebhookAdapter, _ secrets: any WebhookSecrets, now: Date = Date()
    )
        throws -> String?
    {
        var get = request(SignedWebhook(url: handshake.url, headers: [:], body: []))
        get.method = "GET"
        guard case .handshake(let reply) = try adapter.handle(get, anySecrets: secrets, now: now) else { return nil }
        return String(decoding: reply.body, as: UTF8.self)
    }

    @Test func handshakes() throws {
        let meta = WebhookHandshake.meta(url: "https://g/webhooks/facebook/c", verifyToken: "vt")
        #expect(
            try handshakeReply(meta, FacebookWebhookAdapter(), MetaWebhookSecrets(appSecret: "s", verifyToken: "vt"))
                == meta.expectedBody)
        let crc = WebhookHandshake.xCRC(
            url: "https://g/webhooks/x/c", consumerSecret: "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
            crcToken: "9b4507b3-9040-4669-9ca3-6b94edb50553")
        let crcReply = try handshakeReply(
            crc, XWebhookAdapter(),
            XWebhookSecrets(consumerSecret: "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"))
        #expect(crcReply.flatMap { WireJSON.parse(Array($0.utf8)) } == WireJSON.parse(Array(crc.expectedBody.utf8)))
        let linkedIn = WebhookHandshake.linkedIn(
            url: "https://g/webhooks/linkedin/c", clientSecret: "cs",
            challengeCode: "f6e8a2f4-0c9e-4b8a-9c39-0f0e3c7d1a55")
        let linkedInReply = try handshakeReply(
            linkedIn, LinkedInWebhookAdapter(), LinkedInWebhookSecrets(clientSecret: "cs"))
        #expect(
            linkedInReply.flatMap { WireJSON.parse(Array($0.utf8)) }
                == WireJSON.parse(Array(linkedIn.expectedBody.utf8)))
        let weChat = WebhookHandshake.weChat(
            url: "https://g/webhooks/wechat/c", token: "wxtoken", timestamp: "1790000000", nonce: "123456",
            echostr: "e123")
        #expect(
            try handshakeReply(
                weChat, WeChatWebhookAdapter(), WeChatWebhookSecrets(token: "wxtoken"),
                now: Date(timeIntervalSince1970: 1_790_000_010)) == "e123")
    }
}
