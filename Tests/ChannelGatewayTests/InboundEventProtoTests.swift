import Foundation
import InboxAPI
import SwiftProtobuf
import Testing

@testable import ChannelGateway

/// The events the relay hands to conversation-service: the real adapters run on real-format
/// payloads (the fixtures of the webhook tests), and the mapping's output is checked field by field
/// against what ConversationRPC+Ingest.swift requires of each event type.
@Suite("InboundEvent to inbox.v1")
struct InboundEventProtoTests {
    static let receivedAt = Date(timeIntervalSince1970: 1_790_002_101)
    static let organizationID = "org-1"

    func proto(_ event: InboundEvent) throws -> Inbox_V1_InboundEvent {
        let id = try #require(UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF"))
        let channelID = try #require(UUID(uuidString: "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"))
        return event.proto(
            id: id, organizationID: Self.organizationID, channelID: channelID, receivedAt: Self.receivedAt)
    }

    func protos(_ events: [InboundEvent]) throws -> [Inbox_V1_InboundEvent] {
        try events.map { try proto($0) }
    }

    /// The one event `events` must hold, mapped.
    func only(_ events: [InboundEvent]) throws -> Inbox_V1_InboundEvent {
        #expect(events.count == 1)
        return try proto(try #require(events.first))
    }

    /// Timestamps hold nanoseconds; a millisecond is the platforms' finest unit.
    func isClose(_ timestamp: Google_Protobuf_Timestamp, to date: Date) -> Bool {
        abs(timestamp.date.timeIntervalSince(date)) < 0.0005
    }

    let facebook = FacebookWebhookTests()

    // MARK: Messages

    @Test func messengerMessageCarriesEveryField() throws {
        let event = try only(facebook.handle(FacebookWebhookTests.messengerText))
        #expect(event.id == "6f9619ff-8b86-d011-b42d-00c04fc964ff")
        #expect(event.organizationID == "org-1")
        #expect(event.channelID == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        #expect(event.platform == .facebook)
        #expect(event.type == .message)
        #expect(event.kind == .directMessage)
        #expect(event.platformEventID == "m_AbCdEf123")
        #expect(event.platformMessageID == "m_AbCdEf123")
        #expect(event.threadKey == "7000000000000001")
        #expect(event.replyToPlatformMessageID == "m_prev456")
        #expect(event.platformAccountID == "111000111")
        #expect(event.author.platformUserID == "7000000000000001")
        #expect(event.text == "Is my order shipped? Café äöå")
        #expect(isClose(event.occurredAt, to: unixDate(1_790_000_000.1)))
        #expect(isClose(event.receivedAt, to: Self.receivedAt))
        #expect(event.hasFlags && !event.flags.isEcho && !event.flags.hiddenByPlatformRule)
        #expect(!event.flags.contentIncomplete)
        #expect(!event.hasDeliveryStatus && !event.hasOptOut && !event.hasReaction && !event.hasVisibilityChange)
    }

    @Test func echoIsMarkedAsOurs() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000400,"messaging":[
            {"sender":{"id":"111000111"},"recipient":{"id":"7000000000000001"},"timestamp":1790000000300,
             "message":{"is_echo":true,"app_id":1517776481860111,"metadata":"outbox:42","mid":"m_Out001","text":"Yes, shipped today."}}]}]}
            """#
        let event = try only(facebook.handle(json))
        #expect(event.type == .message)
        #expect(event.flags.isEcho)
        #expect(event.threadKey == "7000000000000001")
        #expect(event.author.platformUserID == "111000111")
    }

    /// Each content kind is a MESSAGE of that kind, with the parent ids and the paid flag.
    @Test func contentKindsAreMessagesOfTheirKind() throws {
        let comment = try only(facebook.handle(facebook.feed(FacebookWebhookTests.organicComment)))
        #expect(comment.type == .message)
        #expect(comment.kind == .comment)
        #expect(comment.platformMessageID == "222000222_333000333")
        #expect(comment.parentPostID == "111000111_222000222")
        #expect(comment.parentCommentID == "")
        #expect(comment.threadKey == "111000111_222000222/222000222_333000333")
        #expect(comment.author.displayName == "Jane Doe")
        #expect(!comment.flags.isPaid)

        let unpublished = FacebookWebhookTests.organicComment.replacingOccurrences(
            of: #""is_published":true"#, with: #""is_published":false"#)
        let dark = try only(facebook.handle(facebook.feed(unpublished)))
        #expect(dark.type == .message)
        #expect(dark.kind == .darkPostComment)
        #expect(dark.flags.isPaid)

        let wallPost = #"""
            {"from":{"id":"7000000000000005","name":"Visitor"},"item":"status","verb":"add",
             "post_id":"111000111_777000777","published":1,"created_time":1790000400,"message":"Your store was closed today?"}
            """#
        let wall = try only(facebook.handle(facebook.feed(wallPost)))
        #expect(wall.type == .message)
        #expect(wall.kind == .wallPost)

        let ownPost = #"""
            {"from":{"id":"111000111","name":"My Shop"},"item":"status","verb":"add","post_id":"111000111_888","published":1,
             "created_time":1790000601,"message":"Sale!"}
            """#
        let post = try only(facebook.handle(facebook.feed(ownPost)))
        #expect(post.kind == .post)
        #expect(post.flags.isEcho)

        let mentionValue = #"""
            {"item":"post","verb":"add","post_id":"888000888_999000999","sender_id":"7000000000000006",
              "sender_name":"Mentioner","created_time":1790000490,"message":"Great service from @MyShop"}
            """#
        let mention = try only(facebook.handle(facebook.feed(mentionValue, field: "mention")))
        #expect(mention.type == .message)
        #expect(mention.kind == .mention)
        #expect(mention.author.platformUserID == "7000000000000006")
    }

    @Test func telegramAuthorAndMissingAccount() throws {
        let event = try only(TelegramWebhookTests().handle(TelegramWebhookTests.message))
        #expect(event.platform == .telegram)
        #expect(event.platformAccountID == "")
        #expect(event.author.platformUserID == "123456789")
        #expect(event.author.handle == "ana_li")
        #expect(event.author.displayName == "Ana Li")
        #expect(event.platformMessageID == "123456789:4711")
        #expect(event.replyToPlatformMessageID == "123456789:4702")
    }

    // MARK: Attachments

    @Test func attachmentsKeepTypeURLMediaAndTitle() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000300,"messaging":[
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000200,
              "message":{"mid":"m_share","attachments":[{"type":"share","payload":{"url":"https://www.instagram.com/p/1"}},
                {"type":"fallback","payload":"legacy share","title":"Our shop","url":"https://www.example.com/shop"},
                {"type":"sticker","payload":{"url":"https://scontent.xx.fbcdn.net/sticker.png"}}]}}]}]}
            """#
        let shared = try only(facebook.handle(json))
        #expect(shared.attachments.map(\.type) == [.link, .link, .sticker])
        #expect(
            shared.attachments.map(\.url) == [
                "https://www.instagram.com/p/1", "https://www.example.com/shop",
                "https://scontent.xx.fbcdn.net/sticker.png",
            ])
        #expect(shared.attachments.map(\.title) == ["", "Our shop", ""])

        let whatsApp = WhatsAppWebhookTests()
        let image = try only(
            whatsApp.handle(
                whatsApp.envelope(
                    messages: whatsApp.message(
                        type: "image",
                        #""image":{"caption":"This one","mime_type":"image/jpeg","id":"1908647269898587"}"#))
            ))
        #expect(image.text == "This one")
        #expect(image.attachments.map(\.type) == [.image])
        #expect(image.attachments.first?.mimeType == "image/jpeg")
        #expect(image.attachments.first?.platformMediaID == "1908647269898587")
        #expect(image.attachments.first?.url == "")
        let document = try only(
            whatsApp.handle(
                whatsApp.envelope(
                    messages: whatsApp.message(
                        type: "document", #""document":{"mime_type":"application/pdf","id":"77","filename":"a.pdf"}"#))
            ))
        #expect(document.attachments.map(\.type) == [.file])
        #expect(document.attachments.first?.title == "a.pdf")
        let location = try only(
            whatsApp.handle(
                whatsApp.envelope(
                    messages: whatsApp.message(
                        type: "location", #""location":{"latitude":37.483307,"longitude":122.148981,"name":"Pablo"}"#))
            ))
        #expect(location.attachments.map(\.type) == [.location])
        #expect(location.attachments.first?.url == "geo:37.483307,122.148981")
        #expect(location.attachments.first?.title == "Pablo")
    }

    // MARK: Content hidden by a platform rule

    @Test func videoCommentIsHiddenWithItsReason() throws {
        let value = #"""
            {"from":{"id":"7000000000000004","name":"Vid Person"},"item":"comment","verb":"add",
             "post_id":"111000111_222000222","comment_id":"222000222_666000666","parent_id":"111000111_222000222",
             "created_time":1790000300,"video":"https://video.xx.fbcdn.net/v/t42.1790-2/abc.mp4",
             "post":{"id":"111000111_222000222","status_type":"added_photos","is_published":true,"updated_time":"2026-09-01T12:00:00+0000","permalink_url":"https://www.facebook.com/111000111/posts/222000222","promotion_status":"inactive"}}
            """#
        let event = try only(facebook.handle(facebook.feed(value)))
        #expect(event.type == .message)
        #expect(event.kind == .comment)
        #expect(event.flags.hiddenByPlatformRule)
        #expect(event.flags.hiddenReason == .videoAttachment)
        #expect(event.attachments.map(\.type) == [.video])
        #expect(event.attachments.first?.url == "https://video.xx.fbcdn.net/v/t42.1790-2/abc.mp4")
        #expect(event.author.platformUserID == "7000000000000004")
    }

    @Test func instagramCommentWithSeveralImagesIsHidden() throws {
        let instagram = InstagramWebhookTests()
        let json = instagram.comment(
            #"""
            {"from":{"id":"9100000000000002","username":"shopper_anna"},
              "media":{"id":"18000000000000501","media_product_type":"FEED"},"id":"17900000000000778",
              "attachments":[{"type":"image","payload":{"url":"https://x/1.jpg"}},{"type":"image","payload":{"url":"https://x/2.jpg"}}]}
            """#)
        let event = try only(instagram.handle(json))
        #expect(event.platform == .instagram)
        #expect(event.flags.hiddenByPlatformRule)
        #expect(event.flags.hiddenReason == .multipleImages)
        #expect(event.attachments.map(\.type) == [.image, .image])
    }

    // MARK: Reactions

    @Test func messengerReactionAndUnreact() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000999,"messaging":[
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000100,
              "reaction":{"mid":"m_out","action":"react","reaction":"like","emoji":"👍"}},
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000200,
              "reaction":{"mid":"m_out","action":"unreact"}}]}]}
            """#
        let domain = try facebook.handle(json)
        #expect(domain.map(\.reactionRemoved) == [false, true])
        let events = try protos(domain)
        #expect(events.map(\.type) == [.reaction, .reaction])
        // The message reacted to, which Messenger names in `reaction.mid`.
        #expect(events.map(\.platformMessageID) == ["m_out", "m_out"])
        #expect(events.map(\.replyToPlatformMessageID) == ["", ""])
        #expect(events.allSatisfy { $0.hasReaction })
        #expect(events.map(\.reaction.reaction) == ["👍", ""])
        #expect(events.map(\.reaction.removed) == [false, true])
        #expect(events.map(\.author.platformUserID) == ["7000000000000001", "7000000000000001"])
        #expect(events.map(\.kind) == [.directMessage, .directMessage])
        #expect(
            events.map(\.platformEventID) == [
                "reaction:m_out:react:👍:1790000000100", "reaction:m_out:unreact::1790000000200",
            ])
    }

    @Test func facebookFeedReactionAddedAndRemoved() throws {
        func reaction(_ verb: String, at time: Int) throws -> Inbox_V1_InboundEvent {
            try only(
                facebook.handle(
                    facebook.feed(
                        #"{"from":{"id":"7000000000000002"},"item":"reaction","verb":"\#(verb)","post_id":"111000111_222000222","reaction_type":"love","created_time":\#(time)}"#
                    )))
        }
        let added = try reaction("add", at: 1_790_000_100)
        #expect(added.type == .reaction)
        #expect(added.platformMessageID == "111000111_222000222")
        #expect(added.reaction.reaction == "love")
        #expect(!added.reaction.removed)
        #expect(!added.flags.unsupported)
        let removed = try reaction("remove", at: 1_790_000_200)
        #expect(removed.type == .reaction)
        #expect(removed.reaction.removed)
        #expect(removed.author.platformUserID == "7000000000000002")
    }

    @Test func whatsAppReactionWithoutEmojiIsRemoved() throws {
        let whatsApp = WhatsAppWebhookTests()
        func reaction(_ body: String) throws -> Inbox_V1_InboundEvent {
            try only(whatsApp.handle(whatsApp.envelope(messages: whatsApp.message(type: "reaction", body))))
        }
        let added = try reaction(#""reaction":{"message_id":"wamid.OUT1","emoji":"👍"}"#)
        #expect(added.type == .reaction)
        #expect(added.platformMessageID == "wamid.OUT1")
        #expect(added.platformEventID == "wamid.Xreaction")
        #expect(added.reaction.reaction == "👍")
        #expect(!added.reaction.removed)
        let withoutEmoji = [
            #""reaction":{"message_id":"wamid.OUT1","emoji":""}"#, #""reaction":{"message_id":"wamid.OUT1"}"#,
        ]
        for body in withoutEmoji {
            let removed = try reaction(body)
            #expect(removed.type == .reaction, "\(body)")
            #expect(removed.platformMessageID == "wamid.OUT1", "\(body)")
            #expect(removed.reaction.removed, "\(body)")
            #expect(removed.reaction.reaction == "", "\(body)")
        }
    }

    // MARK: Visibility

    @Test func tiktokHiddenFriendsOnlyAndPublicComments() throws {
        let tiktok = TikTokWebhookTests()
        let cases: [(String, Inbox_V1_Visibility)] = [
            ("set_to_hidden", .hidden), ("set_to_friends_only", .hidden), ("set_to_public", .public),
        ]
        for (action, visibility) in cases {
            let content = TikTokWebhookTests.reply.replacingOccurrences(of: "\"insert\"", with: "\"\(action)\"")
            let event = try only(tiktok.handle(TikTokWebhookTests.envelope(content: content)))
            #expect(event.platform == .tiktok, "\(action)")
            #expect(event.type == .visibilityChanged, "\(action)")
            #expect(event.hasVisibilityChange, "\(action)")
            #expect(event.visibilityChange.visibility == visibility, "\(action)")
            #expect(event.platformMessageID == "7247303576418566913", "\(action)")
            #expect(event.kind == .comment, "\(action)")
            #expect(!event.flags.unsupported, "\(action)")
        }
        // An action we do not know names no visibility: conversation-service refuses it, nothing is guessed.
        let unknown = TikTokWebhookTests.reply.replacingOccurrences(of: "\"insert\"", with: "\"set_to_secret\"")
        let event = try only(tiktok.handle(TikTokWebhookTests.envelope(content: unknown)))
        #expect(event.type == .visibilityChanged)
        #expect(!event.hasVisibilityChange)
        #expect(event.flags.unsupported)
    }

    @Test func facebookHideAndUnhide() throws {
        let cases: [(String, Inbox_V1_Visibility)] = [("hide", .hidden), ("unhide", .public)]
        for (verb, visibility) in cases {
            let value = FacebookWebhookTests.organicComment.replacingOccurrences(
                of: #""verb":"add""#, with: #""verb":"\#(verb)""#)
            let event = try only(facebook.handle(facebook.feed(value)))
            #expect(event.type == .visibilityChanged, "\(verb)")
            #expect(event.visibilityChange.visibility == visibility, "\(verb)")
            #expect(event.platformMessageID == "222000222_333000333", "\(verb)")
            #expect(event.kind == .comment, "\(verb)")
        }
    }

    // MARK: Edits and deletions carry their conversation's kind

    @Test func editsAndDeletionsTakeTheirConversationKind() throws {
        let edit = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000999,"messaging":[
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000402,
              "message_edit":{"mid":"m_in","text":"fixed typo","num_edit":1}}]}]}
            """#
        let messengerEdit = try only(facebook.handle(edit))
        #expect(messengerEdit.type == .messageEdited)
        #expect(messengerEdit.kind == .directMessage)
        #expect(messengerEdit.platformMessageID == "m_in")
        #expect(messengerEdit.text == "fixed typo")

        let removed = FacebookWebhookTests.organicComment.replacingOccurrences(
            of: #""verb":"add""#, with: #""verb":"remove""#)
        let commentDeletion = try only(facebook.handle(facebook.feed(removed)))
        #expect(commentDeletion.type == .messageDeleted)
        #expect(commentDeletion.kind == .comment)
        #expect(commentDeletion.threadKey == "111000111_222000222/222000222_333000333")

        let darkEdit = FacebookWebhookTests.organicComment
            .replacingOccurrences(of: #""verb":"add""#, with: #""verb":"edited""#)
            .replacingOccurrences(of: #""is_published":true"#, with: #""is_published":false"#)
        let darkCommentEdit = try only(facebook.handle(facebook.feed(darkEdit)))
        #expect(darkCommentEdit.type == .messageEdited)
        #expect(darkCommentEdit.kind == .darkPostComment)

        let visitorEdit = #"""
            {"from":{"id":"7000000000000005","name":"Visitor"},"item":"status","verb":"edited",
             "post_id":"111000111_777000777","created_time":1790000450,"message":"Open tomorrow?"}
            """#
        let wallPostEdit = try only(facebook.handle(facebook.feed(visitorEdit)))
        #expect(wallPostEdit.type == .messageEdited)
        #expect(wallPostEdit.kind == .wallPost)
        let ownEdit = visitorEdit.replacingOccurrences(of: #""id":"7000000000000005""#, with: #""id":"111000111""#)
        #expect(try only(facebook.handle(facebook.feed(ownEdit))).kind == .post)

        let tweetDeletion = #"""
            {"for_user_id":"2244994945","tweet_delete_events":[{"status":{"id":"1770000000000000001","user_id":"3805104374"},"timestamp_ms":"1773748900000"}]}
            """#
        let xDeletion = try only(XWebhookTests().handle(tweetDeletion))
        #expect(xDeletion.type == .messageDeleted)
        #expect(xDeletion.kind == .post)
        #expect(xDeletion.platformMessageID == "1770000000000000001")

        let tiktokDelete = TikTokWebhookTests.reply.replacingOccurrences(of: "\"insert\"", with: "\"delete\"")
        let tiktokDeletion = try only(TikTokWebhookTests().handle(TikTokWebhookTests.envelope(content: tiktokDelete)))
        #expect(tiktokDeletion.type == .messageDeleted)
        #expect(tiktokDeletion.kind == .comment)

        let whatsApp = WhatsAppWebhookTests()
        let revoke = try only(
            whatsApp.handle(
                whatsApp.envelope(
                    messages: whatsApp.message(type: "revoke", #""revoke":{"original_message_id":"wamid.ORIGINAL"}"#))))
        #expect(revoke.type == .messageDeleted)
        #expect(revoke.kind == .directMessage)
        #expect(revoke.platformMessageID == "wamid.ORIGINAL")
    }

    // MARK: Delivery statuses

    @Test func messengerDeliveryByMessageAndReadByWatermark() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000500,"messaging":[
            {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000450,
             "delivery":{"mids":["m_Out001","m_Out002"],"watermark":1790000000440}},
            {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000460,
             "read":{"watermark":1790000000455}}]}]}
            """#
        let events = try protos(facebook.handle(json))
        #expect(events.map(\.type) == [.deliveryStatus, .deliveryStatus, .deliveryStatus])
        #expect(events.allSatisfy { $0.hasDeliveryStatus && !$0.hasAuthor })
        #expect(events.allSatisfy { $0.deliveryStatus.organizationID == "org-1" })
        #expect(events.allSatisfy { $0.deliveryStatus.channelID == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" })
        #expect(events.allSatisfy { $0.deliveryStatus.messageID == "" })
        // A delivery that lists its messages names each; conversation-service refuses a watermark beside it.
        let delivered = events[0].deliveryStatus
        #expect(delivered.state == .delivered)
        #expect(delivered.platformMessageID == "m_Out001")
        #expect(events[1].deliveryStatus.platformMessageID == "m_Out002")
        #expect(!delivered.hasWatermark)
        #expect(isClose(delivered.occurredAt, to: unixDate(1_790_000_000.45)))
        // A read names no message: every message of the thread up to the watermark.
        let read = events[2].deliveryStatus
        #expect(read.state == .read)
        #expect(read.hasWatermark)
        #expect(isClose(read.watermark, to: unixDate(1_790_000_000.455)))
        #expect(read.threadKey == "7000000000000001")
        #expect(read.platformMessageID == "")
        #expect(events[2].platformMessageID == "")
        #expect(events[2].threadKey == "7000000000000001")
        #expect(isClose(read.occurredAt, to: unixDate(1_790_000_000.46)))
        #expect(read.failureReason == .unspecified && read.failureDetail == "")
    }

    @Test func failedStatusesCarryReasonAndDetail() throws {
        let twilio = TwilioWebhookTests()
        func twilioStatus(_ fields: String) throws -> Inbox_V1_InboundEvent {
            let form = "MessageSid=SM9f0e&AccountSid=AC1&From=%2B12345678901&To=%2B11234567890&" + fields
            return try only(twilio.handle(form).events)
        }
        let unreachable = try twilioStatus("MessageStatus=undelivered&ErrorCode=30003")
        #expect(unreachable.platform == .twilioSms)
        #expect(unreachable.type == .deliveryStatus)
        #expect(unreachable.platformMessageID == "SM9f0e")
        #expect(unreachable.platformAccountID == "+12345678901")
        #expect(unreachable.deliveryStatus.platformMessageID == "SM9f0e")
        #expect(unreachable.deliveryStatus.state == .failed)
        #expect(unreachable.deliveryStatus.failureReason == .recipientUnavailable)
        #expect(unreachable.deliveryStatus.failureDetail == "30003")
        let optedOut = try twilioStatus("MessageStatus=failed&ErrorCode=21610&ErrorMessage=Unsubscribed+recipient")
        #expect(optedOut.deliveryStatus.failureReason == .optedOut)
        #expect(optedOut.deliveryStatus.failureDetail == "21610: Unsubscribed recipient")
        let unknown = try twilioStatus("MessageStatus=failed&ErrorCode=30008")
        #expect(unknown.deliveryStatus.failureReason == .unspecified)
        #expect(unknown.deliveryStatus.failureDetail == "30008")
        let withoutCode = try twilioStatus("MessageStatus=canceled")
        #expect(withoutCode.deliveryStatus.state == .failed)
        #expect(withoutCode.deliveryStatus.failureDetail == "canceled")
        let delivered = try twilioStatus("MessageStatus=delivered")
        #expect(delivered.deliveryStatus.state == .delivered)
        #expect(delivered.deliveryStatus.failureReason == .unspecified && delivered.deliveryStatus.failureDetail == "")

        let json = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
              "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
              "statuses":[{"id":"wamid.OUT1","status":"failed","timestamp":"1750030073","recipient_id":"16505551234",
                "errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message",
                           "error_data":{"details":"Message failed to send because more than 24 hours have passed."}}]}]}}]}]}
            """#
        let window = try only(WhatsAppWebhookTests().handle(json))
        #expect(window.platform == .whatsapp)
        #expect(window.deliveryStatus.platformMessageID == "wamid.OUT1")
        #expect(window.deliveryStatus.state == .failed)
        #expect(window.deliveryStatus.failureReason == .outsideWindow)
        #expect(
            window.deliveryStatus.failureDetail
                == "131047: Message failed to send because more than 24 hours have passed.")
        #expect(isClose(window.deliveryStatus.occurredAt, to: unixDate(1_750_030_073)))
    }

    // MARK: Opt-outs and contact actions

    @Test func twilioStopAndStartAreOptOutEvents() throws {
        let twilio = TwilioWebhookTests()
        func sms(_ body: String) throws -> Inbox_V1_InboundEvent {
            let form = "MessageSid=SM1&From=%2B11234567890&To=%2B12345678901&NumMedia=0&Body=" + body
            return try only(twilio.handle(form).events)
        }
        let stop = try sms("STOP")
        #expect(stop.platform == .twilioSms)
        #expect(stop.type == .optOut)
        #expect(stop.hasOptOut)
        #expect(stop.optOut.optedOut)
        #expect(stop.optOut.keyword == "STOP")
        #expect(stop.author.platformUserID == "+11234567890")
        #expect(stop.threadKey == "+11234567890")
        #expect(stop.kind == .directMessage)
        #expect(stop.platformAccountID == "+12345678901")
        let start = try sms("start")
        #expect(start.type == .optOut)
        #expect(!start.optOut.optedOut)
        #expect(start.optOut.keyword == "START")
        let message = try sms("please+stop+calling")
        #expect(message.type == .message)
        #expect(!message.hasOptOut)

        let mms = try only(twilio.handle(TwilioWebhookTests.incoming).events)
        #expect(mms.type == .message)
        #expect(mms.attachments.map(\.type) == [.image])
        #expect(mms.attachments.first?.mimeType == "image/jpeg")
    }

    @Test func weChatSubscribeIsAContactAction() throws {
        let weChat = WeChatWebhookTests()
        let event = try proto(weChat.event(weChat.message("event", "<Event><![CDATA[subscribe]]></Event>", msgID: nil)))
        #expect(event.platform == .wechat)
        #expect(event.type == .contactAction)
        #expect(event.kind == .directMessage)
        #expect(event.threadKey == "ogdotwSc_MmEEsJs9-ABZ1QL_4r4")
        #expect(event.author.platformUserID == "ogdotwSc_MmEEsJs9-ABZ1QL_4r4")
        #expect(event.platformAccountID == "gh_866835093fea")
        #expect(event.text == "subscribe")
    }

    /// Mapped only so that every event has a proto; the pipeline never relays it.
    @Test func revokedSubscriptionIsAContactAction() throws {
        let event = try only(XWebhookTests().handle(XWebhookTests.revoke))
        #expect(event.platform == .x)
        #expect(event.type == .contactAction)
        #expect(event.platformEventID == "revoke:63046977:13090192:2018-05-24T09:48:12+00:00")
    }

    // MARK: Every kind

    /// The type of every kind, so that a new kind cannot go unmapped unnoticed.
    @Test(arguments: InboundEventKind.allCases)
    func everyKindHasItsType(kind: InboundEventKind) throws {
        let expected: [InboundEventKind: Inbox_V1_EventType] = [
            .directMessage: .message, .comment: .message, .darkPostComment: .message, .wallPost: .message,
            .mention: .message, .post: .message, .edit: .messageEdited, .deletion: .messageDeleted,
            .deliveryStatus: .deliveryStatus, .visibilityChange: .visibilityChanged, .reaction: .reaction,
            .accountEvent: .contactAction, .subscriptionRevoked: .contactAction,
        ]
        let event = InboundEvent(
            platform: .facebook, accountID: "111000111", kind: kind, eventID: "e1", messageID: "m1",
            threadKey: "7000000000000001", occurredAt: unixDate(1_790_000_000))
        #expect(try proto(event).type == expected[kind])
    }
}
