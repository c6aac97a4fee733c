import Foundation
import InboxAPI
import InboxKit
import Logging
import PlatformJSON
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ChannelGateway

/// Every platform's webhooks through the gateway's real HTTP endpoint (a socket on 127.0.0.1):
/// signed as the platform signs them (the fakes' signers over the webhook tests' CHANNELS.md
/// fixtures), answered 200 only after the commit, read back from PostgreSQL and from what the
/// conversation-service stand-in was handed by the relay. Shared-endpoint platforms (Meta, X,
/// LinkedIn, TikTok) post to `/webhooks/<platform>` signed with the operator's app secret; their
/// channels are connected with OTHER secrets of their own, so an accepted delivery proves the app
/// secret verified it. Telegram, Twilio and WeChat post to the channel's own URL with its secrets.
@Suite("channel-gateway: every platform's webhook endpoint")
struct WebhookEndpointPlatformTests {
    // MARK: Facebook (shared /webhooks/facebook, the Meta app secret)

    @Test func facebookDirectMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let webhook = Self.metaSigned(FacebookWebhookTests.messengerText, h.url("/webhooks/facebook"))
            let events = try await Self.accepted(h, webhook, channel: channel, ids: ["m_AbCdEf123"], reply: "")
            let event = try #require(events["m_AbCdEf123"])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: "m_AbCdEf123", threadKey: "7000000000000001",
                    author: "7000000000000001", text: "Is my order shipped? Café äöå", at: 1_790_000_000_100))
            #expect(event.replyToPlatformMessageID == "m_prev456")
            #expect(!event.flags.isEcho)
        }
    }

    @Test func facebookEchoOfOurOwnMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let webhook = Self.metaSigned(Self.messengerEcho, h.url("/webhooks/facebook"))
            let events = try await Self.accepted(h, webhook, channel: channel, ids: ["m_Out001"], state: "echo")
            let event = try #require(events["m_Out001"])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: "m_Out001", threadKey: "7000000000000001", author: Self.page,
                    text: "Yes, shipped today.", at: 1_790_000_000_300))
            #expect(event.flags.isEcho)
        }
    }

    @Test func facebookComment() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let json = FacebookWebhookTests().feed(FacebookWebhookTests.organicComment)
            let id = "222000222_333000333:add:1790000095"
            let events = try await Self.accepted(
                h, Self.metaSigned(json, h.url("/webhooks/facebook")), channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .comment, messageID: "222000222_333000333",
                    threadKey: "111000111_222000222/222000222_333000333", parentPostID: "111000111_222000222",
                    author: "7000000000000002", text: "Do you ship to Canada?", at: 1_790_000_095_000))
            #expect(event.author.displayName == "Jane Doe")
            #expect(!event.flags.isPaid)
        }
    }

    @Test func facebookDarkPostComment() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let payload = WebhookPayloads.feedComment(
                pageID: Self.page, postID: "111000111_444000444", commentID: "444000444_555000555",
                fromID: "7000000000000003", fromName: "Ad Viewer", message: "Price?", createdTime: 1_790_000_200,
                isPublished: false)
            let webhook = MetaWebhookSigner.signed(
                payload, url: h.url("/webhooks/facebook"), appSecret: GatewayHarness.metaSecret)
            let id = "444000444_555000555:add:1790000200"
            let events = try await Self.accepted(h, webhook, channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .darkPostComment, messageID: "444000444_555000555",
                    threadKey: "111000111_444000444/444000444_555000555", parentPostID: "111000111_444000444",
                    author: "7000000000000003", text: "Price?", at: 1_790_000_200_000))
            #expect(event.flags.isPaid)
        }
    }

    /// Without `post{}` the comment's visibility must be read from the Graph API first.
    @Test func facebookCommentWithoutPostAwaitsContent() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let json = FacebookWebhookTests().feed(Self.commentWithoutPost)
            let id = "444000444_555000556:add:1790000210"
            let stored = try await Self.awaitingContent(
                h, Self.metaSigned(json, h.url("/webhooks/facebook")), channel: channel, id: id)
            let event = try #require(stored)
            Self.check(
                event, channel,
                Expected(
                    kind: .comment, messageID: "444000444_555000556",
                    threadKey: "111000111_444000444/444000444_555000556", parentPostID: "111000111_444000444",
                    author: "7000000000000003", text: "Still there?", at: 1_790_000_210_000))
        }
    }

    @Test func facebookVisitorWallPost() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let json = FacebookWebhookTests().feed(Self.visitorPost)
            let id = "111000111_777000777:add:1790000400"
            let events = try await Self.accepted(
                h, Self.metaSigned(json, h.url("/webhooks/facebook")), channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .wallPost, messageID: "111000111_777000777", threadKey: "111000111_777000777",
                    author: "7000000000000005", text: "Your store was closed today?", at: 1_790_000_400_000))
        }
    }

    @Test func facebookPageMention() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let json = FacebookWebhookTests().feed(Self.pageMention, field: "mention")
            let id = "mention:888000888_999000999:add:1790000490"
            let events = try await Self.accepted(
                h, Self.metaSigned(json, h.url("/webhooks/facebook")), channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .mention, messageID: "888000888_999000999", threadKey: "888000888_999000999",
                    author: "7000000000000006", text: "Great service from @MyShop", at: 1_790_000_490_000))
            #expect(event.author.displayName == "Mentioner")
        }
    }

    /// One POST, three statuses: a delivery naming two messages and a read by watermark.
    @Test func facebookDeliveryAndReadStatuses() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let ids = ["delivery:m_Out001", "delivery:m_Out002", "read:7000000000000001:1790000000455"]
            let events = try await Self.accepted(
                h, Self.metaSigned(Self.messengerReceipts, h.url("/webhooks/facebook")), channel: channel, ids: ids)
            let delivered = try #require(events["delivery:m_Out001"])
            Self.check(
                delivered, channel,
                Expected(
                    type: .deliveryStatus, kind: .directMessage, messageID: "m_Out001",
                    threadKey: "7000000000000001", at: 1_790_000_000_450))
            #expect(delivered.deliveryStatus.state == .delivered)
            #expect(delivered.deliveryStatus.platformMessageID == "m_Out001")
            #expect(delivered.deliveryStatus.organizationID == GatewayHarness.organization)
            #expect(delivered.deliveryStatus.channelID == channel.id)
            #expect(events["delivery:m_Out002"]?.deliveryStatus.platformMessageID == "m_Out002")
            let read = try #require(events["read:7000000000000001:1790000000455"])
            Self.check(
                read, channel,
                Expected(
                    type: .deliveryStatus, kind: .directMessage, messageID: "", threadKey: "7000000000000001",
                    at: 1_790_000_000_460))
            #expect(read.deliveryStatus.state == .read)
            #expect(read.deliveryStatus.hasWatermark)
            #expect(Self.millis(read.deliveryStatus.watermark) == 1_790_000_000_455)
            #expect(read.deliveryStatus.threadKey == "7000000000000001")
            #expect(read.deliveryStatus.channelID == channel.id)
        }
    }

    /// Every platform also has the channel's own URL, verified with the channel's own secrets:
    /// there the operator's app secret and verify token are refused.
    @Test func facebookPerChannelEndpointUsesTheChannelsOwnSecrets() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .facebook, account: Self.page)
            let path = "/webhooks/facebook/\(channel.id)"
            try await Self.refused(h, Self.metaSigned(FacebookWebhookTests.messengerText, h.url(path)))
            let handshake = WebhookHandshake.meta(url: path, verifyToken: Self.channelVerifyToken)
            let answer = try await h.get(handshake.url)
            #expect(answer.status == 200)
            #expect(answer.body == handshake.expectedBody)
            let appToken = try await h.get(
                WebhookHandshake.meta(url: path, verifyToken: GatewayHarness.metaVerifyToken).url)
            #expect(appToken.status == 403)
            try await Self.expectNothingStored(h)
            try await Self.expectBadSignatures(h, scope: channel.id, 2)
            try await Self.expectLastErrorIsBadSignature(h, channel)
            let webhook = Self.metaSigned(FacebookWebhookTests.messengerText, h.url(path), secret: Self.channelSecret)
            let events = try await Self.accepted(h, webhook, channel: channel, ids: ["m_AbCdEf123"])
            let event = try #require(events["m_AbCdEf123"])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: "m_AbCdEf123", threadKey: "7000000000000001",
                    author: "7000000000000001", text: "Is my order shipped? Café äöå", at: 1_790_000_000_100))
        }
    }

    // MARK: Instagram (shared /webhooks/instagram, the Meta app secret)

    @Test func instagramDirectMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .instagram, account: Self.igUser)
            let json = InstagramWebhookTests().messaging(Self.instagramMessage)
            let id = "aWdfZAG1faXRlbToxOklHT"
            let events = try await Self.accepted(
                h, Self.metaSigned(json, h.url("/webhooks/instagram")), channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: id, threadKey: "9100000000000001", author: "9100000000000001",
                    text: "Hi, is this in stock?", at: 1_790_001_000_400))
            #expect(event.attachments.map(\.type) == [.image])
            #expect(event.attachments.first?.url == "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2")
        }
    }

    @Test func instagramCommentReply() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .instagram, account: Self.igUser)
            let json = InstagramWebhookTests().comment(Self.instagramComment)
            let id = "17900000000000777"
            let events = try await Self.accepted(
                h, Self.metaSigned(json, h.url("/webhooks/instagram")), channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .comment, messageID: id, threadKey: "18000000000000501/17900000000000700",
                    parentPostID: "18000000000000501", parentCommentID: "17900000000000700",
                    author: "9100000000000002", text: "@myshop what sizes?", at: 1_790_001_100_000))
            #expect(event.author.handle == "shopper_anna")
        }
    }

    @Test func instagramAdCommentIsADarkPostComment() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .instagram, account: Self.igUser)
            let id = "17900000000000888"
            let events = try await Self.accepted(
                h, Self.metaSigned(Self.instagramAdComment, h.url("/webhooks/instagram")), channel: channel,
                ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .darkPostComment, messageID: id, threadKey: "18000000000000900/17900000000000888",
                    parentPostID: "18000000000000900", author: "9100000000000003", text: "Link please",
                    at: 1_790_001_200_000))
            #expect(event.flags.isPaid)
        }
    }

    /// A mention names only the media and comment: its content must be fetched first.
    @Test func instagramMentionAwaitsContent() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .instagram, account: Self.igUser)
            let id = "mention:17894227972186120"
            let stored = try await Self.awaitingContent(
                h, Self.metaSigned(Self.instagramMention, h.url("/webhooks/instagram")), channel: channel, id: id)
            let event = try #require(stored)
            Self.check(
                event, channel,
                Expected(
                    kind: .mention, messageID: "17894227972186120",
                    threadKey: "17918195224117851/17894227972186120", parentPostID: "17918195224117851",
                    at: 1_520_622_968_000))
        }
    }

    // MARK: WhatsApp (shared /webhooks/whatsapp, the Meta app secret)

    @Test func whatsAppTextMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .whatsapp, account: Self.waPhone)
            let payload = WebhookPayloads.whatsAppText(
                wabaID: "102290129340398", phoneNumberID: Self.waPhone, displayPhoneNumber: "15550783881",
                from: "16505551234", profileName: "Sheena", messageID: "wamid.IN1",
                text: "Does it come in another colour? ¿Azul?", timestamp: 1_749_416_383)
            let webhook = MetaWebhookSigner.signed(
                payload, url: h.url("/webhooks/whatsapp"), appSecret: GatewayHarness.metaSecret)
            let events = try await Self.accepted(h, webhook, channel: channel, ids: ["wamid.IN1"])
            let event = try #require(events["wamid.IN1"])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: "wamid.IN1", threadKey: "16505551234", author: "16505551234",
                    text: "Does it come in another colour? ¿Azul?", at: 1_749_416_383_000))
            #expect(event.author.displayName == "Sheena")
        }
    }

    @Test func whatsAppFailedDeliveryStatus() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .whatsapp, account: Self.waPhone)
            let payload = WebhookPayloads.whatsAppStatus(
                wabaID: "102290129340398", phoneNumberID: Self.waPhone, messageID: "wamid.OUT1", status: "failed",
                recipientID: "16505551234", timestamp: 1_750_030_073, errorCode: 131_047)
            let webhook = MetaWebhookSigner.signed(
                payload, url: h.url("/webhooks/whatsapp"), appSecret: GatewayHarness.metaSecret)
            let events = try await Self.accepted(h, webhook, channel: channel, ids: ["wamid.OUT1:failed"])
            let event = try #require(events["wamid.OUT1:failed"])
            Self.check(
                event, channel,
                Expected(
                    type: .deliveryStatus, kind: .directMessage, messageID: "wamid.OUT1", threadKey: "16505551234",
                    at: 1_750_030_073_000))
            #expect(event.deliveryStatus.state == .failed)
            #expect(event.deliveryStatus.platformMessageID == "wamid.OUT1")
            #expect(event.deliveryStatus.failureReason == .outsideWindow)
            #expect(event.deliveryStatus.failureDetail.hasPrefix("131047: Message failed to send"))
            #expect(event.deliveryStatus.channelID == channel.id)
        }
    }

    // MARK: X (shared /webhooks/x, the app's consumer secret)

    @Test func xDirectMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .x, account: Self.xUser)
            let id = "958501034212564996"
            let events = try await Self.accepted(
                h, Self.xSigned(XWebhookTests.directMessage, h.url("/webhooks/x")), channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: id, threadKey: "272953809", author: "272953809",
                    text: "Hello World & good wishes.", at: 1_517_359_429_301))
            #expect(event.author.handle == "nicpottier")
            #expect(event.author.displayName == "Nicolas Pottier")
            #expect(event.attachments.map(\.type) == [.image])
        }
    }

    /// A reply to one of our tweets is a comment under it.
    @Test func xReplyIsAComment() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .x, account: Self.xBrand)
            let id = "1770000000000000001"
            let events = try await Self.accepted(
                h, Self.xSigned(XWebhookTests.mention, h.url("/webhooks/x")), channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .comment, messageID: id, threadKey: "1769999999999999999/1770000000000000001",
                    parentPostID: "1769999999999999999", author: "3805104374",
                    text: "@brandaccount What is your pricing?", at: 1_773_748_800_000))
            #expect(event.author.handle == "jdoe")
        }
    }

    @Test func xMention() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .x, account: Self.xBrand)
            let payload = WebhookPayloads.xMention(
                forUserID: Self.xBrand, forScreenName: "brandaccount", tweetID: 1_770_000_000_000_000_002,
                authorID: "3805104374", authorScreenName: "jdoe", text: "@brandaccount pricing?",
                timestampMs: 1_773_748_800_000)
            let webhook = XWebhookSigner.signed(
                payload, url: h.url("/webhooks/x"), consumerSecret: GatewayHarness.xSecret)
            let id = "1770000000000000002"
            let events = try await Self.accepted(h, webhook, channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .mention, messageID: id, threadKey: id, author: "3805104374",
                    text: "@brandaccount pricing?", at: 1_773_748_800_000))
        }
    }

    /// `user_event.revoke` is a channel signal: stored DELIVERED at once, the channel becomes
    /// SUBSCRIPTION_REVOKED, and the inbox never sees it (a later DM of another account does).
    @Test func xRevokedAccessMarksTheChannelAndIsNeverRelayed() async throws {
        try await GatewayHarness.with { h in
            let revoked = try await Self.connect(h, .x, account: "63046977")
            let other = try await Self.connect(h, .x, account: Self.xUser)
            let answer = try await h.post(Self.xSigned(XWebhookTests.revoke, h.url("/webhooks/x")))
            #expect(answer.status == 200)
            let rows = try await h.stored()
            #expect(rows.map(\.eventID) == ["revoke:63046977:13090192:2018-05-24T09:48:12+00:00"])
            #expect(rows.map(\.state) == ["delivered"])
            #expect(rows.map(\.channel) == [revoked.id])
            let read = try await h.client.getChannel(
                .with { $0.channelID = revoked.id }, metadata: GatewayHarness.admin())
            #expect(read.status == .subscriptionRevoked)
            let dm = try await h.post(Self.xSigned(XWebhookTests.directMessage, h.url("/webhooks/x")))
            #expect(dm.status == 200)
            let relayed = try await h.eventually(timeout: .seconds(20)) { !h.peers.received.isEmpty }
            #expect(relayed)
            #expect(h.peers.received.map(\.platformEventID) == ["958501034212564996"])
            #expect(h.peers.received.map(\.channelID) == [other.id])
        }
    }

    // MARK: LinkedIn (shared /webhooks/linkedin, the app's client secret)

    @Test func linkedInComment() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .linkedin, account: Self.linkedInOrg)
            let json = LinkedInWebhookTests().envelope(LinkedInWebhookTests.notification(action: "COMMENT"))
            let events = try await Self.accepted(
                h, Self.linkedInSigned(json, h.url("/webhooks/linkedin")), channel: channel, ids: ["5603453321"])
            let event = try #require(events["5603453321"])
            Self.check(
                event, channel,
                Expected(
                    kind: .comment, messageID: Self.liComment, threadKey: Self.liCommentThread,
                    parentPostID: Self.liActivity, author: "urn:li:person:zLqTygBP8S",
                    text: "Do you ship to EU?", at: 1_691_574_506_310))
        }
    }

    @Test func linkedInMention() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .linkedin, account: Self.linkedInOrg)
            let json = LinkedInWebhookTests().envelope(
                LinkedInWebhookTests.notification(action: "SHARE_MENTION", id: "5603453322"))
            let events = try await Self.accepted(
                h, Self.linkedInSigned(json, h.url("/webhooks/linkedin")), channel: channel, ids: ["5603453322"])
            let event = try #require(events["5603453322"])
            Self.check(
                event, channel,
                Expected(
                    kind: .mention, messageID: Self.liComment, threadKey: Self.liActivity,
                    parentPostID: Self.liActivity, author: "urn:li:person:zLqTygBP8S",
                    text: "Do you ship to EU?", at: 1_691_574_506_310))
        }
    }

    // MARK: TikTok (shared /webhooks/tiktok, the app's client secret, `t=` in the window)

    @Test func tiktokCommentWithText() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .tiktok, account: Self.tiktokBusiness)
            let now = Self.unixNow()
            let payload = WebhookPayloads.tiktokCommentUpdate(
                clientKey: "aw1234567890abcd", businessOpenID: Self.tiktokBusiness,
                commentID: 7_247_303_576_418_566_999, videoID: 7_203_946_942_097_902_849, parentCommentID: nil,
                action: "insert", uniqueIdentifier: "user_7c2f", text: "Love it 😍", createTime: Int64(now),
                timestampMs: 1_687_394_416_200)
            let webhook = TikTokWebhookSigner.signed(
                payload, url: h.url("/webhooks/tiktok"), secret: GatewayHarness.tiktokSecret, timestamp: now)
            let id = "7247303576418566999:insert:1687394416200"
            let events = try await Self.accepted(h, webhook, channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .comment, messageID: "7247303576418566999",
                    threadKey: "7203946942097902849/7247303576418566999", parentPostID: "7203946942097902849",
                    author: "user_7c2f", text: "Love it 😍", at: 1_687_394_416_200))
        }
    }

    /// A reply without `text` (both variants exist): the comment must be fetched first.
    @Test func tiktokReplyWithoutTextAwaitsContent() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .tiktok, account: Self.tiktokBusiness)
            let json = TikTokWebhookTests.envelope(content: TikTokWebhookTests.reply)
            let id = "7247303576418566913:insert:1687394416109"
            let stored = try await Self.awaitingContent(
                h, Self.tiktokSigned(json, h.url("/webhooks/tiktok")), channel: channel, id: id)
            let event = try #require(stored)
            Self.check(
                event, channel,
                Expected(
                    kind: .comment, messageID: "7247303576418566913",
                    threadKey: "7203946942097902849/7235861947622916866", parentPostID: "7203946942097902849",
                    parentCommentID: "7235861947622916866", author: "user_7c2f", at: 1_687_394_416_109))
        }
    }

    // MARK: Telegram (/webhooks/telegram/<channel>, the channel's secret token)

    @Test func telegramDirectMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .telegram, account: "shop_bot")
            #expect(channel.webhookPath == "/webhooks/telegram/\(channel.id)")
            let webhook = Self.telegramSigned(TelegramWebhookTests.message, h.url(channel.webhookPath))
            let events = try await Self.accepted(h, webhook, channel: channel, ids: ["912345678"])
            let event = try #require(events["912345678"])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: "123456789:4711", threadKey: "123456789", author: "123456789",
                    text: "Where is my parcel?", at: 1_790_003_000_000, account: ""))
            #expect(event.author.handle == "ana_li")
            #expect(event.author.displayName == "Ana Li")
            #expect(event.replyToPlatformMessageID == "123456789:4702")
        }
    }

    @Test func telegramEditedMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .telegram, account: "shop_bot")
            let edited = TelegramWebhookTests.message
                .replacingOccurrences(of: "912345678", with: "912345679")
                .replacingOccurrences(of: #""message":{"#, with: #""edited_message":{"edit_date":1790003060,"#)
                .replacingOccurrences(of: "Where is my parcel?", with: "Where is my parcel #42?")
            let events = try await Self.accepted(
                h, Self.telegramSigned(edited, h.url(channel.webhookPath)), channel: channel, ids: ["912345679"])
            let event = try #require(events["912345679"])
            Self.check(
                event, channel,
                Expected(
                    type: .messageEdited, kind: .directMessage, messageID: "123456789:4711", threadKey: "123456789",
                    author: "123456789", text: "Where is my parcel #42?", at: 1_790_003_060_000, account: ""))
        }
    }

    // MARK: Twilio (/webhooks/twilio/<channel>, the auth token over the full public URL)

    @Test func twilioIncomingMMS() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .twilioSms, account: Self.twilioNumber)
            #expect(channel.webhookPath == "/webhooks/twilio/\(channel.id)")
            let before = Int64(Date().timeIntervalSince1970)
            let webhook = Self.twilioSigned(TwilioWebhookTests.incoming, h.url(channel.webhookPath))
            let id = "SM0123456789abcdef0123456789abcdef"
            let events = try await Self.accepted(h, webhook, channel: channel, ids: [id], reply: Self.emptyTwiML)
            let after = Int64(Date().timeIntervalSince1970)
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: id, threadKey: "+11234567890", author: "+11234567890",
                    text: "Is the store open?", at: nil))
            // Twilio sends no time: the receipt time.
            #expect((before - 1...after + 1).contains(event.occurredAt.seconds))
            #expect(event.attachments.map(\.type) == [.image])
            #expect(event.attachments.first?.mimeType == "image/jpeg")
            #expect(!event.hasOptOut)
        }
    }

    @Test func twilioUndeliveredStatusCallback() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .twilioSms, account: Self.twilioNumber)
            let params = WebhookPayloads.twilioStatusCallback(
                accountSID: Self.twilioAccountSID, messageSID: "SM9f0e", status: "undelivered",
                from: Self.twilioNumber, to: "+11234567890", errorCode: 30003)
            let webhook = TwilioWebhookSigner.signed(
                params, url: h.url(channel.webhookPath), authToken: Self.twilioToken)
            let events = try await Self.accepted(h, webhook, channel: channel, ids: ["SM9f0e:undelivered"])
            let event = try #require(events["SM9f0e:undelivered"])
            Self.check(
                event, channel,
                Expected(
                    type: .deliveryStatus, kind: .directMessage, messageID: "SM9f0e", threadKey: "+11234567890",
                    at: nil))
            #expect(event.deliveryStatus.state == .failed)
            #expect(event.deliveryStatus.platformMessageID == "SM9f0e")
            #expect(event.deliveryStatus.failureReason == .recipientUnavailable)
            #expect(event.deliveryStatus.failureDetail == "30003")
        }
    }

    @Test func twilioStopIsAnOptOut() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .twilioSms, account: Self.twilioNumber)
            let params = WebhookPayloads.twilioSMS(
                accountSID: Self.twilioAccountSID, messageSID: "SM0002", from: "+11234567890", to: Self.twilioNumber,
                body: "STOP")
            let webhook = TwilioWebhookSigner.signed(
                params, url: h.url(channel.webhookPath), authToken: Self.twilioToken)
            let events = try await Self.accepted(
                h, webhook, channel: channel, ids: ["SM0002"], reply: Self.emptyTwiML)
            let event = try #require(events["SM0002"])
            Self.check(
                event, channel,
                Expected(
                    type: .optOut, kind: .directMessage, messageID: "SM0002", threadKey: "+11234567890",
                    author: "+11234567890", text: "STOP", at: nil))
            #expect(event.hasOptOut)
            #expect(event.optOut.optedOut)
            #expect(event.optOut.keyword == "STOP")
        }
    }

    // MARK: WeChat (/webhooks/wechat/<channel>, the channel's token; AES or opted-in plaintext)

    @Test func weChatPlaintextMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(
                h, .wechat, account: Self.weChatAccount, settings: ["allow_plaintext": "true"])
            #expect(channel.webhookPath == "/webhooks/wechat/\(channel.id)")
            let webhook = Self.weChatSigned(WeChatWebhookTests.text, h.url(channel.webhookPath))
            let id = "6349323426230210995"
            let events = try await Self.accepted(h, webhook, channel: channel, ids: [id], reply: "success")
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: id, threadKey: Self.weChatOpenID, author: Self.weChatOpenID,
                    text: "我的订单到哪了？", at: 1_790_004_000_000))
        }
    }

    @Test func weChatEncryptedMessage() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .wechat, account: Self.weChatAccount, aes: true)
            let webhook = try Self.weChatEncrypted(WeChatWebhookTests.text, h.url(channel.webhookPath))
            let id = "6349323426230210995"
            let events = try await Self.accepted(h, webhook, channel: channel, ids: [id], reply: "success")
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    kind: .directMessage, messageID: id, threadKey: Self.weChatOpenID, author: Self.weChatOpenID,
                    text: "我的订单到哪了？", at: 1_790_004_000_000))
        }
    }

    /// A follow opens a reply window without a message: a contact action.
    @Test func weChatSubscribeIsAContactAction() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .wechat, account: Self.weChatAccount, aes: true)
            let xml = WeChatWebhookTests().message("event", "<Event><![CDATA[subscribe]]></Event>", msgID: nil)
            let id = "\(Self.weChatOpenID):1790004010:subscribe"
            let events = try await Self.accepted(
                h, try Self.weChatEncrypted(xml, h.url(channel.webhookPath)), channel: channel, ids: [id])
            let event = try #require(events[id])
            Self.check(
                event, channel,
                Expected(
                    type: .contactAction, kind: .directMessage, messageID: "", threadKey: Self.weChatOpenID,
                    author: Self.weChatOpenID, text: "subscribe", at: 1_790_004_010_000))
        }
    }

    // MARK: Refused signatures: 401, nothing stored, nothing relayed, counted

    /// Wrong app secret, the channel's own secret (not the app's, on the shared URL), no header.
    @Test(arguments: MetaApp.allCases)
    func metaSignatureIsRequired(app: MetaApp) async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, app.platform, account: app.account)
            let url = h.url(app.path)
            try await Self.refused(h, Self.metaSigned(app.delivery, url, secret: "not-the-app-secret"))
            try await Self.refused(h, Self.metaSigned(app.delivery, url, secret: Self.channelSecret))
            try await Self.refused(h, Self.without("x-hub-signature-256", Self.metaSigned(app.delivery, url)))
            try await Self.expectBadSignatures(h, scope: "app:\(app.rawValue)", 3)
            // The same delivery, signed right, is taken: the refusals were the signature's.
            _ = try await Self.accepted(h, Self.metaSigned(app.delivery, url), channel: channel, ids: [app.eventID])
        }
    }

    @Test func xSignatureIsRequired() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .x, account: Self.xUser)
            let url = h.url("/webhooks/x")
            let json = XWebhookTests.directMessage
            try await Self.refused(h, Self.xSigned(json, url, secret: "not-the-consumer-secret"))
            try await Self.refused(h, Self.xSigned(json, url, secret: Self.channelSecret))
            try await Self.refused(h, Self.without("x-twitter-webhooks-signature", Self.xSigned(json, url)))
            try await Self.expectBadSignatures(h, scope: "app:x", 3)
            _ = try await Self.accepted(h, Self.xSigned(json, url), channel: channel, ids: ["958501034212564996"])
        }
    }

    @Test func linkedInSignatureIsRequired() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .linkedin, account: Self.linkedInOrg)
            let url = h.url("/webhooks/linkedin")
            let json = LinkedInWebhookTests().envelope(LinkedInWebhookTests.notification(action: "COMMENT"))
            try await Self.refused(h, Self.linkedInSigned(json, url, secret: "not-the-client-secret"))
            try await Self.refused(h, Self.linkedInSigned(json, url, secret: Self.channelSecret))
            try await Self.refused(h, Self.without("x-li-signature", Self.linkedInSigned(json, url)))
            try await Self.expectBadSignatures(h, scope: "app:linkedin", 3)
            _ = try await Self.accepted(h, Self.linkedInSigned(json, url), channel: channel, ids: ["5603453321"])
        }
    }

    /// Also a correctly signed `t=` ten minutes old (the window is five): a replay.
    @Test func tiktokSignatureAndTimeAreRequired() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .tiktok, account: Self.tiktokBusiness)
            let url = h.url("/webhooks/tiktok")
            let json = TikTokWebhookTests.envelope(content: Self.tiktokTopLevelComment)
            try await Self.refused(h, Self.tiktokSigned(json, url, secret: "not-the-client-secret"))
            try await Self.refused(h, Self.tiktokSigned(json, url, secret: Self.channelSecret))
            try await Self.refused(h, Self.without("tiktok-signature", Self.tiktokSigned(json, url)))
            try await Self.refused(h, Self.tiktokSigned(json, url, at: Self.unixNow() - 600))
            try await Self.expectBadSignatures(h, scope: "app:tiktok", 4)
            _ = try await Self.accepted(
                h, Self.tiktokSigned(json, url), channel: channel, ids: ["7247303576418566999:insert:1687394416200"])
        }
    }

    @Test func telegramSecretTokenIsRequired() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .telegram, account: "shop_bot")
            let url = h.url(channel.webhookPath)
            let json = TelegramWebhookTests.message
            try await Self.refused(h, Self.telegramSigned(json, url, token: "tg_secret-124"))
            try await Self.refused(h, Self.without("x-telegram-bot-api-secret-token", Self.telegramSigned(json, url)))
            try await Self.expectBadSignatures(h, scope: channel.id, 2)
            try await Self.expectLastErrorIsBadSignature(h, channel)
            _ = try await Self.accepted(h, Self.telegramSigned(json, url), channel: channel, ids: ["912345678"])
        }
    }

    /// Also the right token over another URL: Twilio signs the URL it called.
    @Test func twilioSignatureIsRequired() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .twilioSms, account: Self.twilioNumber)
            let url = h.url(channel.webhookPath)
            let form = TwilioWebhookTests.incoming
            try await Self.refused(h, Self.twilioSigned(form, url, token: "not-the-auth-token"))
            try await Self.refused(h, Self.without("x-twilio-signature", Self.twilioSigned(form, url)))
            var otherURL = Self.twilioSigned(form, "https://gw.example.com\(channel.webhookPath)")
            otherURL.url = url
            try await Self.refused(h, otherURL)
            try await Self.expectBadSignatures(h, scope: channel.id, 3)
            try await Self.expectLastErrorIsBadSignature(h, channel)
            _ = try await Self.accepted(
                h, Self.twilioSigned(form, url), channel: channel, ids: ["SM0123456789abcdef0123456789abcdef"])
        }
    }

    /// Plaintext mode: a signature with another token, a stale `timestamp`, no query at all.
    @Test func weChatQuerySignatureAndTimeAreRequired() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(
                h, .wechat, account: Self.weChatAccount, settings: ["allow_plaintext": "true"])
            let url = h.url(channel.webhookPath)
            let xml = WeChatWebhookTests.text
            try await Self.refused(h, Self.weChatSigned(xml, url, token: "not-the-token"))
            try await Self.refused(h, Self.weChatSigned(xml, url, at: Self.unixNow() - 600))
            let unsigned = SignedWebhook(url: url, headers: ["content-type": "text/xml"], body: Array(xml.utf8))
            try await Self.refused(h, unsigned)
            try await Self.expectBadSignatures(h, scope: channel.id, 3)
            try await Self.expectLastErrorIsBadSignature(h, channel)
            _ = try await Self.accepted(h, Self.weChatSigned(xml, url), channel: channel, ids: ["6349323426230210995"])
        }
    }

    /// AES mode: `msg_signature` with another token, and a plaintext push (a downgrade).
    @Test func weChatEncryptedPushesMustBeSignedAndEncrypted() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .wechat, account: Self.weChatAccount, aes: true)
            let url = h.url(channel.webhookPath)
            let xml = WeChatWebhookTests.text
            try await Self.refused(h, try Self.weChatEncrypted(xml, url, token: "not-the-token"))
            try await Self.refused(h, Self.weChatSigned(xml, url))
            try await Self.refused(h, try Self.weChatEncrypted(xml, url, at: Self.unixNow() - 600))
            try await Self.expectBadSignatures(h, scope: channel.id, 3)
            _ = try await Self.accepted(
                h, try Self.weChatEncrypted(xml, url), channel: channel, ids: ["6349323426230210995"])
        }
    }

    /// Nothing authenticates a plaintext body: a channel without an EncodingAESKey must opt in
    /// (`allow_plaintext`), or its pushes are refused as a configuration error.
    @Test func weChatPlaintextNeedsTheChannelsOptIn() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .wechat, account: Self.weChatAccount)
            let push = Self.weChatSigned(WeChatWebhookTests.text, h.url(channel.webhookPath))
            try await Self.refused(h, push, status: 500)
        }
    }

    // MARK: Handshakes through HTTP

    @Test(arguments: MetaApp.allCases)
    func metaVerifyTokenHandshake(app: MetaApp) async throws {
        try await GatewayHarness.with { h in
            let handshake = WebhookHandshake.meta(url: app.path, verifyToken: GatewayHarness.metaVerifyToken)
            let answer = try await h.get(handshake.url)
            #expect(answer.status == 200)
            #expect(answer.body == handshake.expectedBody)
            let wrong = try await h.get(WebhookHandshake.meta(url: app.path, verifyToken: "guess").url)
            #expect(wrong.status == 403)
            // The per-channel verify token is not the app's.
            let channelToken = try await h.get(
                WebhookHandshake.meta(url: app.path, verifyToken: Self.channelVerifyToken).url)
            #expect(channelToken.status == 403)
            try await Self.expectNothingStored(h)
            try await Self.expectBadSignatures(h, scope: "app:\(app.rawValue)", 2)
        }
    }

    @Test func xCRCHandshake() async throws {
        try await GatewayHarness.with { h in
            let token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
            let crc = WebhookHandshake.xCRC(url: "/webhooks/x", consumerSecret: GatewayHarness.xSecret, crcToken: token)
            let answer = try await h.get(crc.url)
            #expect(answer.status == 200)
            let body = try #require(WireJSON.parse(Array(answer.body.utf8)))
            #expect(body == WireJSON.parse(Array(crc.expectedBody.utf8)))
            let channelAnswer = WebhookHandshake.xCRC(
                url: "/webhooks/x", consumerSecret: Self.channelSecret, crcToken: token)
            #expect(body != WireJSON.parse(Array(channelAnswer.expectedBody.utf8)))
            let missing = try await h.get("/webhooks/x")
            #expect(missing.status == 403)
            try await Self.expectNothingStored(h)
        }
    }

    @Test func linkedInChallengeHandshake() async throws {
        try await GatewayHarness.with { h in
            let challenge = WebhookHandshake.linkedIn(
                url: "/webhooks/linkedin", clientSecret: GatewayHarness.linkedInSecret,
                challengeCode: "890e4fd7-3f6c-4a4b-9b3c-8a7c6e2a1f00")
            let answer = try await h.get(challenge.url)
            #expect(answer.status == 200)
            let body = try #require(WireJSON.parse(Array(answer.body.utf8)))
            #expect(body == WireJSON.parse(Array(challenge.expectedBody.utf8)))
            let missing = try await h.get("/webhooks/linkedin")
            #expect(missing.status == 403)
            try await Self.expectNothingStored(h)
        }
    }

    /// On the channel's own URL: the echo for the right token in the window, 403 otherwise.
    @Test func weChatEchostrHandshake() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h, .wechat, account: Self.weChatAccount, aes: true)
            let now = String(Self.unixNow())
            let handshake = WebhookHandshake.weChat(
                url: channel.webhookPath, token: Self.weChatToken, timestamp: now, nonce: "123456",
                echostr: "5837397520918711238")
            let answer = try await h.get(handshake.url)
            #expect(answer.status == 200)
            #expect(answer.body == "5837397520918711238")
            let wrongToken = WebhookHandshake.weChat(
                url: channel.webhookPath, token: "not-the-token", timestamp: now, nonce: "123456", echostr: "e1")
            let wrong = try await h.get(wrongToken.url)
            #expect(wrong.status == 403)
            let staleHandshake = WebhookHandshake.weChat(
                url: channel.webhookPath, token: Self.weChatToken, timestamp: String(Self.unixNow() - 600),
                nonce: "123456", echostr: "e2")
            let stale = try await h.get(staleHandshake.url)
            #expect(stale.status == 403)
            try await Self.expectNothingStored(h)
            try await Self.expectBadSignatures(h, scope: channel.id, 2)
        }
    }
}

// MARK: - Fixtures

extension WebhookEndpointPlatformTests {
    /// The three Meta platforms: one app (secret and verify token) behind three shared URLs.
    enum MetaApp: String, CaseIterable, Sendable {
        case facebook
        case instagram
        case whatsapp

        var platform: Inbox_V1_Platform {
            switch self {
            case .facebook: .facebook
            case .instagram: .instagram
            case .whatsapp: .whatsapp
            }
        }

        var path: String { "/webhooks/\(self.rawValue)" }

        var account: String {
            switch self {
            case .facebook: WebhookEndpointPlatformTests.page
            case .instagram: WebhookEndpointPlatformTests.igUser
            case .whatsapp: WebhookEndpointPlatformTests.waPhone
            }
        }

        /// A direct message for ``account`` (the webhook tests' fixtures), and its event id.
        var delivery: String {
            switch self {
            case .facebook: FacebookWebhookTests.messengerText
            case .instagram: InstagramWebhookTests().messaging(#"{"mid":"m5","text":"hello"}"#)
            case .whatsapp:
                WhatsAppWebhookTests().envelope(
                    messages: WhatsAppWebhookTests().message(type: "text", #""text":{"body":"hi"}"#))
            }
        }

        var eventID: String {
            switch self {
            case .facebook: "m_AbCdEf123"
            case .instagram: "m5"
            case .whatsapp: "wamid.Xtext"
            }
        }
    }

    /// The accounts the fixtures are for.
    static let page = "111000111"
    static let igUser = "17841400000000001"
    static let waPhone = "106540352242922"
    static let xUser = "835740314006511618"
    static let xBrand = "2244994945"
    static let linkedInOrg = "urn:li:organization:96072893"
    static let tiktokBusiness = "-000AbCdEfGh-business-open-id"
    static let twilioNumber = "+12345678901"
    static let weChatAccount = "gh_866835093fea"
    static let weChatOpenID = "ogdotwSc_MmEEsJs9-ABZ1QL_4r4"

    /// A channel's own secrets (never the operator's app ones).
    static let channelSecret = "channel-own-signing-secret"
    static let channelVerifyToken = "channel-own-verify-token"
    static let telegramToken = "tg_secret-123"
    static let twilioToken = "twilio-auth-token"
    static let twilioAccountSID = "AC0123456789abcdef0123456789abcdef"
    static let weChatToken = "wxtoken"

    static let emptyTwiML = #"<?xml version="1.0" encoding="UTF-8"?><Response/>"#

    static let liActivity = "urn:li:activity:7094637247890620418"
    static let liComment = "urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)"
    static let liCommentThread = "\(liActivity)/\(liComment)"

    /// FacebookWebhookTests.messengerEchoIsMarkedOwnAndThreadedOnCustomer.
    static let messengerEcho = #"""
        {"object":"page","entry":[{"id":"111000111","time":1790000000400,"messaging":[
        {"sender":{"id":"111000111"},"recipient":{"id":"7000000000000001"},"timestamp":1790000000300,
         "message":{"is_echo":true,"app_id":1517776481860111,"metadata":"outbox:42","mid":"m_Out001",
          "text":"Yes, shipped today."}}]}]}
        """#

    /// FacebookWebhookTests.messengerDeliveryAndRead.
    static let messengerReceipts = #"""
        {"object":"page","entry":[{"id":"111000111","time":1790000000500,"messaging":[
        {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000450,
         "delivery":{"mids":["m_Out001","m_Out002"],"watermark":1790000000440}},
        {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000460,
         "read":{"watermark":1790000000455}}]}]}
        """#

    /// FacebookWebhookTests.commentWithoutPostObjectAsksForVisibilityFetch.
    static let commentWithoutPost = #"""
        {"from":{"id":"7000000000000003","name":"Ad Viewer"},"item":"comment","verb":"add",
         "post_id":"111000111_444000444","comment_id":"444000444_555000556","parent_id":"111000111_444000444",
         "created_time":1790000210,"message":"Still there?"}
        """#

    /// FacebookWebhookTests.visitorWallPosts.
    static let visitorPost = #"""
        {"from":{"id":"7000000000000005","name":"Visitor"},"item":"status","verb":"add",
         "post_id":"111000111_777000777","published":1,"created_time":1790000400,
         "message":"Your store was closed today?"}
        """#

    /// FacebookWebhookTests.pageMentionWithSenderFieldsOrFrom.
    static let pageMention = #"""
        {"item":"post","verb":"add","post_id":"888000888_999000999","sender_id":"7000000000000006",
          "sender_name":"Mentioner","created_time":1790000490,"message":"Great service from @MyShop"}
        """#

    /// InstagramWebhookTests.directMessageWithAttachment.
    static let instagramMessage = #"""
        {"mid":"aWdfZAG1faXRlbToxOklHT","text":"Hi, is this in stock?",
         "attachments":[{"type":"image",
           "payload":{"url":"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2"}}]}
        """#

    /// InstagramWebhookTests.organicCommentReply.
    static let instagramComment = #"""
        {"from":{"id":"9100000000000002","username":"shopper_anna"},
          "media":{"id":"18000000000000501","media_product_type":"FEED"},
          "id":"17900000000000777","parent_id":"17900000000000700","text":"@myshop what sizes?"}
        """#

    /// InstagramWebhookTests.adCommentIsPaidAndFlatEnvelopeAccepted.
    static let instagramAdComment = #"""
        {"object":"instagram","entry":[{"id":"17841400000000001","time":1790001200,"field":"comments","value":
        {"from":{"id":"9100000000000003","username":"ad_viewer"},
         "media":{"id":"18000000000000900","media_product_type":"FEED","ad_id":"120200000000000001",
          "ad_title":"Autumn Sale","original_media_id":"18000000000000899"},
         "id":"17900000000000888","text":"Link please"}}]}
        """#

    /// InstagramWebhookTests.mentionAsksForContent.
    static let instagramMention = #"""
        {"object":"instagram","entry":[{"id":"17841400000000001","time":1520622968,"changes":[
         {"field":"mentions","value":{"comment_id":"17894227972186120","media_id":"17918195224117851"}}]}]}
        """#

    /// TikTokWebhookTests.topLevelCommentWithTextAndOtherActions' top-level comment with text.
    static let tiktokTopLevelComment =
        #"{"comment_id":7247303576418566999,"video_id":7203946942097902849,"comment_type":"comment","#
        + #""comment_action":"insert","unique_identifier":"user_7c2f","timestamp":1687394416200,"#
        + #""text":"Love it 😍"}"#
}

// MARK: - Helpers

extension WebhookEndpointPlatformTests {
    /// What the conversation stand-in (or the stored row) must hold; empty strings where the
    /// event has none. `at` is the platform time in milliseconds (nil: receipt time, Twilio);
    /// `account` the platform account id in the payload (nil: the channel's external id).
    struct Expected {
        var type: Inbox_V1_EventType = .message
        var kind: Inbox_V1_MessageKind
        var messageID: String
        var threadKey: String
        var parentPostID = ""
        var parentCommentID = ""
        var author = ""
        var text = ""
        var at: Int64? = nil
        var account: String? = nil
    }

    static func check(
        _ event: Inbox_V1_InboundEvent, _ channel: Inbox_V1_Channel, _ expected: Expected,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(!event.id.isEmpty, sourceLocation: sourceLocation)
        #expect(event.organizationID == GatewayHarness.organization, sourceLocation: sourceLocation)
        #expect(event.channelID == channel.id, sourceLocation: sourceLocation)
        #expect(event.platform == channel.platform, sourceLocation: sourceLocation)
        #expect(
            event.platformAccountID == (expected.account ?? channel.externalAccountID), sourceLocation: sourceLocation)
        #expect(event.type == expected.type, sourceLocation: sourceLocation)
        #expect(event.kind == expected.kind, sourceLocation: sourceLocation)
        #expect(event.platformMessageID == expected.messageID, sourceLocation: sourceLocation)
        #expect(event.threadKey == expected.threadKey, sourceLocation: sourceLocation)
        #expect(event.parentPostID == expected.parentPostID, sourceLocation: sourceLocation)
        #expect(event.parentCommentID == expected.parentCommentID, sourceLocation: sourceLocation)
        #expect(event.author.platformUserID == expected.author, sourceLocation: sourceLocation)
        #expect(event.text == expected.text, sourceLocation: sourceLocation)
        if let at = expected.at {
            #expect(Self.millis(event.occurredAt) == at, sourceLocation: sourceLocation)
        }
    }

    /// Posts `webhook` to the real endpoint, expects 200 (and `reply` as the body when given),
    /// then waits until the relay has settled every id in `ids` as `state`: the rows are exactly
    /// those, on `channel`, from one stored delivery, and the conversation stand-in received each
    /// exactly once under its row's id. Returns what it received, by platform event id.
    static func accepted(
        _ h: GatewayHarness, _ webhook: SignedWebhook, channel: Inbox_V1_Channel, ids: [String],
        state: String = "delivered", reply: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Inbox_V1_InboundEvent] {
        let answer = try await h.post(webhook)
        #expect(answer.status == 200, "\(answer.body)", sourceLocation: sourceLocation)
        if let reply {
            #expect(answer.body == reply, sourceLocation: sourceLocation)
        }
        let settled = try await h.eventually(timeout: .seconds(20)) {
            let rows = try await h.stored()
            return ids.allSatisfy { id in rows.contains { $0.eventID == id && $0.state == state } }
        }
        let rows = try await h.stored()
        #expect(settled, "\(rows)", sourceLocation: sourceLocation)
        #expect(rows.map(\.eventID).sorted() == ids.sorted(), "\(rows)", sourceLocation: sourceLocation)
        #expect(rows.allSatisfy { $0.channel == channel.id }, "\(rows)", sourceLocation: sourceLocation)
        let deliveries = try await h.count("SELECT count(*) FROM inbound_deliveries")
        #expect(deliveries == 1, sourceLocation: sourceLocation)
        let received = h.peers.received
        #expect(received.map(\.platformEventID).sorted() == ids.sorted(), sourceLocation: sourceLocation)
        var byID: [String: Inbox_V1_InboundEvent] = [:]
        for event in received {
            byID[event.platformEventID] = event
            let sameRow = try await h.count(
                """
                SELECT count(*) FROM inbound_events
                WHERE id = '\(Self.literal(event.id))'::uuid
                AND platform_event_id = '\(Self.literal(event.platformEventID))'
                """)
            #expect(sameRow == 1, "\(event.platformEventID)", sourceLocation: sourceLocation)
        }
        return byID
    }

    /// Posts `webhook`, expects 200 and the one row `id` AWAITING_CONTENT on `channel` with its
    /// fetch step, which the relay leaves alone; returns the event as stored.
    static func awaitingContent(
        _ h: GatewayHarness, _ webhook: SignedWebhook, channel: Inbox_V1_Channel, id: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Inbox_V1_InboundEvent? {
        let answer = try await h.post(webhook)
        #expect(answer.status == 200, "\(answer.body)", sourceLocation: sourceLocation)
        // Committed before the answer; then a few relay rounds pass (it polls every 50 ms).
        try await Task.sleep(for: .milliseconds(300))
        let rows = try await h.stored()
        #expect(rows.map(\.eventID) == [id], "\(rows)", sourceLocation: sourceLocation)
        #expect(rows.map(\.state) == ["awaiting_content"], "\(rows)", sourceLocation: sourceLocation)
        #expect(rows.map(\.channel) == [channel.id], sourceLocation: sourceLocation)
        let withFetch = try await h.count(
            """
            SELECT count(*) FROM inbound_events
            WHERE platform_event_id = '\(Self.literal(id))' AND content_fetch IS NOT NULL
            """)
        #expect(withFetch == 1, sourceLocation: sourceLocation)
        #expect(h.peers.received.isEmpty, sourceLocation: sourceLocation)
        return try await Self.storedEvent(h, id)
    }

    /// Posts `webhook`, expects `status`, and that nothing at all was stored or relayed.
    static func refused(
        _ h: GatewayHarness, _ webhook: SignedWebhook, status: Int = 401,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let answer = try await h.post(webhook)
        #expect(answer.status == status, "\(answer.body)", sourceLocation: sourceLocation)
        try await Self.expectNothingStored(h, sourceLocation: sourceLocation)
    }

    static func expectNothingStored(_ h: GatewayHarness, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let events = try await h.count("SELECT count(*) FROM inbound_events")
        let deliveries = try await h.count("SELECT count(*) FROM inbound_deliveries")
        #expect(events == 0, sourceLocation: sourceLocation)
        #expect(deliveries == 0, sourceLocation: sourceLocation)
        #expect(h.peers.received.isEmpty, sourceLocation: sourceLocation)
    }

    /// Waits until the `bad_signature` counter of `scope` (a channel id, or `app:<platform>`) is
    /// `expected` (the counters are flushed every 50 ms).
    static func expectBadSignatures(
        _ h: GatewayHarness, scope: String, _ expected: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let sql = """
            SELECT coalesce((SELECT value FROM inbound_counters
            WHERE scope = '\(Self.literal(scope))' AND name = 'bad_signature'), 0)
            """
        let reached = try await h.eventually { try await h.count(sql) == expected }
        let value = try await h.count(sql)
        #expect(reached, "bad_signature of \(scope) is \(value), expected \(expected)", sourceLocation: sourceLocation)
    }

    /// A refusal on a channel's own URL becomes its last error (health shows it).
    static func expectLastErrorIsBadSignature(
        _ h: GatewayHarness, _ channel: Inbox_V1_Channel, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let sql = """
            SELECT count(*) FROM channels WHERE id = '\(Self.literal(channel.id))'::uuid
            AND last_error_reason = 'bad_signature'
            """
        let recorded = try await h.eventually { try await h.count(sql) == 1 }
        #expect(recorded, sourceLocation: sourceLocation)
    }

    /// The stored event (the proto the relay sends) of platform event `eventID`.
    static func storedEvent(_ h: GatewayHarness, _ eventID: String) async throws -> Inbox_V1_InboundEvent? {
        let rows = try await h.database.query(
            "SELECT event FROM inbound_events WHERE platform_event_id = \(eventID)", logger: Logger(label: "test"))
        for try await bytes in rows.decode(ByteBuffer.self) {
            return try Inbox_V1_InboundEvent(serializedBytes: Array(bytes.readableBytesView))
        }
        return nil
    }

    /// Connects a channel of `platform` for `account` with its own secrets: the shared-endpoint
    /// platforms get ``channelSecret`` and ``channelVerifyToken``, never the operator's app ones.
    static func connect(
        _ h: GatewayHarness, _ platform: Inbox_V1_Platform, account: String, aes: Bool = false,
        settings: [String: String] = [:]
    ) async throws -> Inbox_V1_Channel {
        let credentials = Inbox_V1_ChannelCredentials.with {
            switch platform {
            case .telegram:
                $0.accessToken = "7000000001:bot-token"
                $0.verifyToken = Self.telegramToken
            case .twilioSms:
                $0.signingSecret = Self.twilioToken
                $0.appID = Self.twilioAccountSID
            case .wechat:
                $0.verifyToken = Self.weChatToken
                $0.appID = WeChatWebhookTests.appID
                $0.appSecret = "wechat-app-secret"
                if aes { $0.encodingAesKey = WeChatWebhookTests.aesKey }
            default:
                $0.accessToken = "access-token-\(account)"
                $0.signingSecret = Self.channelSecret
                $0.verifyToken = Self.channelVerifyToken
            }
        }
        return try await h.connect(platform, account: account, credentials: credentials, settings: settings)
    }

    // MARK: Signing raw fixtures as each platform does

    static func metaSigned(_ json: String, _ url: String, secret: String = GatewayHarness.metaSecret)
        -> SignedWebhook
    {
        let body = Array(TestSigning.metaEscaped(json).utf8)
        return SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/json",
                "x-hub-signature-256": MetaWebhookSigner.signature(body, appSecret: secret),
            ], body: body)
    }

    static func xSigned(_ json: String, _ url: String, secret: String = GatewayHarness.xSecret) -> SignedWebhook {
        let body = Array(json.utf8)
        return SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/json",
                "x-twitter-webhooks-signature": XWebhookSigner.signature(body, secret),
            ], body: body)
    }

    static func linkedInSigned(_ json: String, _ url: String, secret: String = GatewayHarness.linkedInSecret)
        -> SignedWebhook
    {
        let body = Array(json.utf8)
        return SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/json",
                "x-li-signature": LinkedInWebhookSigner.signature(body, clientSecret: secret),
            ], body: body)
    }

    /// Signed at `at` (Unix seconds; now when nil).
    static func tiktokSigned(
        _ json: String, _ url: String, secret: String = GatewayHarness.tiktokSecret, at: Int? = nil
    ) -> SignedWebhook {
        let body = Array(json.utf8)
        return SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/json",
                "tiktok-signature": TikTokWebhookSigner.header(body, secret: secret, timestamp: at ?? Self.unixNow()),
            ], body: body)
    }

    static func telegramSigned(
        _ json: String, _ url: String, token: String = WebhookEndpointPlatformTests.telegramToken
    ) -> SignedWebhook {
        SignedWebhook(
            url: url,
            headers: ["content-type": "application/json", "x-telegram-bot-api-secret-token": token],
            body: Array(json.utf8))
    }

    /// `form` is the raw `application/x-www-form-urlencoded` body; `url` the public URL signed.
    static func twilioSigned(
        _ form: String, _ url: String, token: String = WebhookEndpointPlatformTests.twilioToken
    ) -> SignedWebhook {
        SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/x-www-form-urlencoded",
                "x-twilio-signature": TwilioWebhookTests.sign(url: url, body: form, token: token),
            ], body: Array(form.utf8))
    }

    /// A plaintext push signed at `at` (Unix seconds; now when nil): the query carries the signature.
    static func weChatSigned(
        _ xml: String, _ url: String, token: String = WebhookEndpointPlatformTests.weChatToken, at: Int? = nil
    ) -> SignedWebhook {
        WeChatWebhookSigner.signed(
            xml: xml, url: url, token: token, timestamp: String(at ?? Self.unixNow()), nonce: "123456")
    }

    /// An AES push for ``weChatAccount`` with the channel's key and AppID, signed at `at`.
    static func weChatEncrypted(
        _ xml: String, _ url: String, token: String = WebhookEndpointPlatformTests.weChatToken, at: Int? = nil
    ) throws -> SignedWebhook {
        try WeChatWebhookSigner.signedEncrypted(
            xml: xml, toUserName: Self.weChatAccount, url: url, token: token,
            encodingAESKey: WeChatWebhookTests.aesKey, appID: WeChatWebhookTests.appID,
            timestamp: String(at ?? Self.unixNow()), nonce: "123456")
    }

    /// `webhook` without its signature header.
    static func without(_ header: String, _ webhook: SignedWebhook) -> SignedWebhook {
        var stripped = webhook
        stripped.headers[header] = nil
        return stripped
    }

    static func unixNow() -> Int { Int(Date().timeIntervalSince1970) }

    /// A protobuf time in whole milliseconds (the platforms' finest unit).
    static func millis(_ timestamp: Google_Protobuf_Timestamp) -> Int64 {
        timestamp.seconds * 1000 + (Int64(timestamp.nanos) + 500_000) / 1_000_000
    }

    /// `text` inside a single-quoted SQL literal.
    static func literal(_ text: String) -> String { text.replacingOccurrences(of: "'", with: "''") }
}
