import Foundation
import InboxAPI
import PlatformJSON
import TestSupport

/// One thing the demo sends into the inbox as a platform would: a signed webhook, or a web-chat
/// visitor's message through the visitor API. What it should do there is written beside it, so
/// that the expected numbers are counted from what is sent rather than kept by hand.
struct PlannedDelivery: Sendable {
    enum Transport: Sendable {
        case webhook(SignedWebhook)
        /// `POST /chat/v1/<channel>/messages` of the demo's visitor.
        case webChatMessage(clientID: String, text: String)
    }

    var platform: DemoPlatform
    /// What it is, as the live view names it ("comment on an ad").
    var label: String
    var transport: Transport
    /// Rows it adds to the gateway's inbound log (0 for an exact re-delivery).
    var newEvents = 1
    /// Rows it repeats exactly: a re-delivery the gateway answers 200 and stores nothing for.
    var repeated = 0
    /// Events the platform's display rules hide (a video comment, several images).
    var hidden = 0
    /// The kind of conversation it starts, when it starts one.
    var opens: Inbox_V1_MessageKind?
    /// Customer messages it adds to the inbox (an edit or a deletion changes one instead).
    var customerMessages = 1
    var edits = 0
    var deletions = 0
}

/// A reply the demo sends after the inbox filled, and what follows it.
struct PlannedReply: Sendable {
    enum Follow: Sendable {
        /// Nothing follows the send (SENT is the last state the platform reports here).
        case nothing
        /// The fake WhatsApp posts the `delivered` status of the reply (DELIVERED).
        case whatsAppDelivered
        /// The fake Messenger posts the echo of the reply (reconciled, no new message).
        case messengerEcho
        /// The visitor's widget acknowledges it (`POST receipts`, DELIVERED).
        case webChatReceipt
    }

    var platform: DemoPlatform
    /// The customer's platform id (the conversation's thread key or contact); nil: the platform's
    /// only direct-message conversation.
    var customer: String?
    var text: String
    /// Policy must refuse it (its window closed).
    var refused = false
    var follow: Follow = .nothing
}

/// Everything the demo sends, built once the channels exist (their webhook paths).
struct DemoTraffic: Sendable {
    var deliveries: [PlannedDelivery]
    var replies: [PlannedReply]

    /// The conversations the deliveries start, by platform and kind.
    var expectedConversations: [ConversationShape: Int] {
        var shapes: [ConversationShape: Int] = [:]
        for delivery in self.deliveries {
            guard let kind = delivery.opens else { continue }
            shapes[ConversationShape(platform: delivery.platform, kind: kind), default: 0] += 1
        }
        return shapes
    }

    var expectedConversationCount: Int { self.deliveries.filter { $0.opens != nil }.count }

    func total(_ count: (PlannedDelivery) -> Int, on platform: DemoPlatform? = nil) -> Int {
        self.deliveries.filter { platform == nil || $0.platform == platform }.map(count).reduce(0, +)
    }
}

/// A conversation's platform and kind, the unit the expected conversations are counted in.
struct ConversationShape: Hashable, Sendable, Comparable {
    var platform: DemoPlatform
    var kind: Inbox_V1_MessageKind

    static func < (lhs: ConversationShape, rhs: ConversationShape) -> Bool {
        (lhs.platform, lhs.kind.rawValue) < (rhs.platform, rhs.kind.rawValue)
    }
}

extension DemoTraffic {
    /// The demo's traffic in the order it is posted: a message on every platform first, then
    /// comments on organic and dark posts, a wall post and mentions, content a platform rule hides,
    /// a WhatsApp message from yesterday, exact re-deliveries, and last a second message, the edit
    /// of the first and the deletion of the second. `run` keeps every platform id apart from an
    /// earlier demo's; `now` dates it all (the WhatsApp message from yesterday 26 h before).
    static func plan(
        channels: [DemoPlatform: Inbox_V1_Channel], settings: DemoSettings, telegramSecret: String, run: String,
        now: Date
    ) -> DemoTraffic {
        let seconds = Int64(now.timeIntervalSince1970)
        let millis = seconds * 1000
        let number = seconds % 1_000_000_000
        let fake = DemoAccounts.fake
        let apps = settings.apps
        func url(_ platform: DemoPlatform) -> String {
            settings.webhooksURL + (channels[platform]?.webhookPath ?? "/webhooks/\(platform.rawValue)")
        }
        func meta(_ platform: DemoPlatform, _ payload: WireJSON) -> PlannedDelivery.Transport {
            .webhook(MetaWebhookSigner.signed(payload, url: url(platform), appSecret: apps.secret(platform)))
        }

        // Facebook: Messenger, comments on an organic and a dark post, a visitor post, a mention, a video comment.
        let page = fake.pageID
        let customer = "7000000000000101"
        let firstMid = "m_demo\(run)_1"
        let secondMid = "m_demo\(run)_2"
        let messenger = meta(
            .facebook,
            WebhookPayloads.messengerText(
                pageID: page, senderPSID: customer, mid: firstMid, text: "Hi! Has my order #1042 shipped?",
                timestamp: millis))
        let organicPost = "\(page)_\(run)01"
        let adPost = "\(page)_\(run)02"

        // Instagram: a DM, comments on a post and on an ad, a comment with two images.
        let igAccount = fake.igUserID
        let igPost = "1790\(run)01"
        let igAd = "1790\(run)02"

        // WhatsApp: a customer now, another from yesterday (outside the 24-hour window).
        let whatsAppNow = "16505551234"
        let whatsAppYesterday = "16505559876"
        func whatsApp(from: String, name: String, id: String, text: String, at time: Int64) -> PlannedDelivery.Transport
        {
            meta(
                .whatsapp,
                WebhookPayloads.whatsAppText(
                    wabaID: "102290129340398", phoneNumberID: fake.phoneNumberID, displayPhoneNumber: "15550783881",
                    from: from, profileName: name, messageID: id, text: text, timestamp: time))
        }
        let whatsAppMessage = whatsApp(
            from: whatsAppNow, name: "Jo Bloggs", id: "wamid.DEMO\(run)A", text: "Do you have the raincoat in blue?",
            at: seconds)

        let telegramUpdate = PlannedDelivery.Transport.webhook(
            TelegramWebhookSigner.signed(
                WebhookPayloads.telegramMessage(
                    updateID: seconds, messageID: 1, chatID: 880_000_101, firstName: "Ana", username: "ana_li",
                    text: "Where is my parcel? Tracking says nothing.", date: seconds),
                url: url(.telegram), secretToken: telegramSecret))

        let tiktokComment = PlannedDelivery.Transport.webhook(
            TikTokWebhookSigner.signed(
                WebhookPayloads.tiktokCommentUpdate(
                    clientKey: "demo-client-key", businessOpenID: fake.tiktokBusinessID,
                    commentID: 7_247_303_576_000_000_000 + UInt64(number), videoID: 7_203_946_942_097_902_849,
                    parentCommentID: nil, action: "insert", uniqueIdentifier: "lena.makes",
                    text: "Is this dress true to size?", createTime: seconds, timestampMs: millis),
                url: url(.tiktok), secret: apps.secret(.tiktok), timestamp: Int(seconds)))

        // Twilio signs the URL it was given (the gateway's PUBLIC_BASE_URL), wherever it posts.
        let twilioPath = channels[.twilio]?.webhookPath ?? "/webhooks/twilio"
        var sms = TwilioWebhookSigner.signed(
            WebhookPayloads.twilioSMS(
                accountSID: fake.twilioAccountSID, messageSID: "SMdemo\(run)", from: "+15557654321",
                to: DemoAccounts.twilioNumber, body: "Can I pick up my order today instead?"),
            url: settings.publicBaseURL + twilioPath, authToken: fake.twilioAuthToken)
        sms.url = settings.webhooksURL + twilioPath

        let weChat = try? WeChatWebhookSigner.signedEncrypted(
            xml: WebhookPayloads.weChatText(
                toUserName: DemoAccounts.weChatAccount, fromOpenID: "oDemo\(run)", content: "你好，这件外套有蓝色的吗？",
                msgID: 6_349_323_426_000_000_000 + UInt64(number), createTime: seconds),
            toUserName: DemoAccounts.weChatAccount, url: url(.wechat), token: DemoAccounts.weChatToken,
            encodingAESKey: DemoAccounts.weChatAESKey, appID: fake.weChatAppID, timestamp: String(seconds),
            nonce: String(number))

        var deliveries: [PlannedDelivery] = [
            PlannedDelivery(
                platform: .facebook, label: "Messenger message", transport: messenger, opens: .directMessage),
            PlannedDelivery(
                platform: .instagram, label: "Instagram DM",
                transport: meta(
                    .instagram,
                    WebhookPayloads.instagramMessage(
                        igUserID: igAccount, senderIGSID: "9100000000000101", mid: "aWdfZAdemo\(run)",
                        text: "Is the linen shirt back in stock?", timestamp: millis)),
                opens: .directMessage),
            PlannedDelivery(
                platform: .whatsapp, label: "WhatsApp message", transport: whatsAppMessage, opens: .directMessage),
            PlannedDelivery(
                platform: .telegram, label: "Telegram message", transport: telegramUpdate, opens: .directMessage),
            PlannedDelivery(
                platform: .webChat, label: "web chat message from the widget",
                transport: .webChatMessage(
                    clientID: "inbox-demo-\(run)-1", text: "Hello! Do you deliver on Saturdays?"),
                opens: .directMessage),
            PlannedDelivery(
                platform: .x, label: "X direct message",
                transport: .webhook(
                    XWebhookSigner.signed(
                        WebhookPayloads.xDirectMessage(
                            forUserID: DemoAccounts.xUserID, eventID: "\(run)0001", senderID: "272953809",
                            senderScreenName: "nicpottier", text: "My discount code does not work 😕",
                            createdTimestamp: millis),
                        url: url(.x), consumerSecret: apps.secret(.x))),
                opens: .directMessage),
            PlannedDelivery(
                platform: .facebook, label: "comment on a post",
                transport: meta(
                    .facebook,
                    WebhookPayloads.feedComment(
                        pageID: page, postID: organicPost, commentID: "\(run)01_1001", fromID: "7000000000000102",
                        fromName: "Jane Doe", message: "Do you ship to Canada?", createdTime: seconds)),
                opens: .comment),
            PlannedDelivery(
                platform: .facebook, label: "comment on a dark (ad) post",
                transport: meta(
                    .facebook,
                    WebhookPayloads.feedComment(
                        pageID: page, postID: adPost, commentID: "\(run)02_2001", fromID: "7000000000000103",
                        fromName: "Sam Lee", message: "What does it cost with delivery?", createdTime: seconds,
                        isPublished: false)),
                opens: .darkPostComment),
            PlannedDelivery(
                platform: .instagram, label: "Instagram comment on a post",
                transport: meta(
                    .instagram,
                    WebhookPayloads.instagramComment(
                        igUserID: igAccount, mediaID: igPost, commentID: "1789\(run)01", fromID: "9100000000000102",
                        username: "jo.shops", text: "Love this colour! 😍", entryTime: seconds)),
                opens: .comment),
            PlannedDelivery(
                platform: .instagram, label: "Instagram comment on an ad",
                transport: meta(
                    .instagram,
                    WebhookPayloads.instagramComment(
                        igUserID: igAccount, mediaID: igAd, commentID: "1789\(run)02", fromID: "9100000000000103",
                        username: "ad.viewer", text: "Is the sale on in stores too?", entryTime: seconds,
                        adID: "2385\(run)01")),
                opens: .darkPostComment),
            PlannedDelivery(
                platform: .linkedin, label: "LinkedIn comment",
                transport: .webhook(
                    LinkedInWebhookSigner.signed(
                        WebhookPayloads.linkedInComment(
                            notificationID: seconds * 10 + 1, organizationURN: DemoAccounts.linkedInOrganization,
                            activityURN: "urn:li:activity:7\(run)00", commentID: "7\(run)01",
                            authorURN: "urn:li:person:demoPerson1", text: "Are you hiring in Lyon?",
                            lastModifiedAt: millis),
                        url: url(.linkedin), clientSecret: apps.secret(.linkedin))),
                opens: .comment),
            PlannedDelivery(
                platform: .tiktok, label: "TikTok comment on a video", transport: tiktokComment, opens: .comment),
            PlannedDelivery(
                platform: .facebook, label: "visitor post on the Page",
                transport: meta(
                    .facebook,
                    WebhookPayloads.facebookVisitorPost(
                        pageID: page, postID: "\(page)_\(run)03", fromID: "7000000000000104", fromName: "Maria Rossi",
                        message: "Your shop was closed at 3 pm today, is everything all right?", createdTime: seconds)),
                opens: .wallPost),
            PlannedDelivery(
                platform: .facebook, label: "mention of the Page",
                transport: meta(
                    .facebook,
                    WebhookPayloads.facebookMention(
                        pageID: page, postID: "555000555_\(run)04", senderID: "7000000000000105",
                        senderName: "Tom Baker", message: "Great service from Demo shop today!", createdTime: seconds)),
                opens: .mention),
            PlannedDelivery(
                platform: .x, label: "X mention",
                transport: .webhook(
                    XWebhookSigner.signed(
                        WebhookPayloads.xMention(
                            forUserID: DemoAccounts.xUserID, forScreenName: DemoAccounts.xScreenName,
                            tweetID: 1_800_000_000_000_000_000 + number, authorID: "3805104374",
                            authorScreenName: "jdoe", text: "@demoshop are you open on Sunday?", timestampMs: millis),
                        url: url(.x), consumerSecret: apps.secret(.x))),
                opens: .mention),
            PlannedDelivery(platform: .twilio, label: "SMS", transport: .webhook(sms), opens: .directMessage),
        ]
        if let weChat {
            deliveries.append(
                PlannedDelivery(
                    platform: .wechat, label: "WeChat message", transport: .webhook(weChat), opens: .directMessage))
        }
        deliveries += [
            PlannedDelivery(
                platform: .facebook, label: "comment with a video (hidden by platform rule)",
                transport: meta(
                    .facebook,
                    WebhookPayloads.feedComment(
                        pageID: page, postID: organicPost, commentID: "\(run)01_1002", fromID: "7000000000000106",
                        fromName: "Kai Müller", message: nil, createdTime: seconds,
                        video: "https://video.xx.fbcdn.net/v/t42.1790-2/demo\(run).mp4")),
                hidden: 1, opens: .comment),
            PlannedDelivery(
                platform: .instagram, label: "Instagram comment with two images (hidden by platform rule)",
                transport: meta(
                    .instagram,
                    WebhookPayloads.instagramComment(
                        igUserID: igAccount, mediaID: igPost, commentID: "1789\(run)03", fromID: "9100000000000104",
                        username: "two.pics", text: "Which one should I take?", entryTime: seconds,
                        imageURLs: ["https://cdn.example.com/\(run)-a.jpg", "https://cdn.example.com/\(run)-b.jpg"])),
                hidden: 1, opens: .comment),
            PlannedDelivery(
                platform: .whatsapp, label: "WhatsApp message from yesterday (26 h ago)",
                transport: whatsApp(
                    from: whatsAppYesterday, name: "Sam Park", id: "wamid.DEMO\(run)B",
                    text: "Is the shop open on Sunday?", at: seconds - 26 * 3600),
                opens: .directMessage),
            // Exact re-deliveries, as platforms retry: the same bytes, the same signature.
            PlannedDelivery(
                platform: .facebook, label: "Messenger message again (a re-delivery)", transport: messenger,
                newEvents: 0,
                repeated: 1, customerMessages: 0),
            PlannedDelivery(
                platform: .whatsapp, label: "WhatsApp message again (a re-delivery)", transport: whatsAppMessage,
                newEvents: 0, repeated: 1, customerMessages: 0),
            PlannedDelivery(
                platform: .telegram, label: "Telegram update again (a re-delivery)", transport: telegramUpdate,
                newEvents: 0, repeated: 1, customerMessages: 0),
            PlannedDelivery(
                platform: .tiktok, label: "TikTok comment again (a re-delivery)", transport: tiktokComment,
                newEvents: 0,
                repeated: 1, customerMessages: 0),
            // The Messenger customer writes again, corrects the first message and unsends the second.
            PlannedDelivery(
                platform: .facebook, label: "second Messenger message",
                transport: meta(
                    .facebook,
                    WebhookPayloads.messengerText(
                        pageID: page, senderPSID: customer, mid: secondMid, text: "Also, can I add a scarf?",
                        timestamp: millis + 2000))),
            PlannedDelivery(
                platform: .facebook, label: "edit of the first Messenger message",
                transport: meta(
                    .facebook,
                    WebhookPayloads.messengerEdit(
                        pageID: page, senderPSID: customer, mid: firstMid,
                        text: "Hi! Has my order #1042 shipped? (ordered on Monday)", editNumber: 1,
                        timestamp: millis + 4000)),
                customerMessages: 0, edits: 1),
            PlannedDelivery(
                platform: .facebook, label: "unsend of the second Messenger message",
                transport: meta(
                    .facebook,
                    WebhookPayloads.messengerDeletion(
                        pageID: page, senderPSID: customer, mid: secondMid, timestamp: millis + 6000)),
                customerMessages: 0, deletions: 1),
        ]

        let replies = [
            PlannedReply(
                platform: .whatsapp, customer: whatsAppNow,
                text: "Yes, the raincoat is in stock in blue, sizes S to XL.",
                follow: .whatsAppDelivered),
            PlannedReply(
                platform: .facebook, text: "It shipped this morning; the tracking link is on its way.",
                follow: .messengerEcho),
            PlannedReply(platform: .telegram, text: "Sorry about that! The carrier has it; it arrives tomorrow."),
            PlannedReply(
                platform: .webChat, text: "We do, between 9 am and 1 pm on Saturdays.", follow: .webChatReceipt),
            PlannedReply(
                platform: .whatsapp, customer: whatsAppYesterday, text: "Yes, from 10 am to 4 pm.", refused: true),
        ]
        return DemoTraffic(deliveries: deliveries, replies: replies)
    }
}
