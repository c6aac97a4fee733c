import Foundation
import Testing

@testable import ChannelGateway

@Suite("Facebook webhooks")
struct FacebookWebhookTests {
    let adapter = FacebookWebhookAdapter()

    func handle(_ json: String) throws(WebhookError) -> [InboundEvent] {
        try adapter.handle(TestSigning.metaPost(json), secrets: TestSigning.metaSecrets, now: TestSigning.now).events
    }

    func feed(_ value: String, field: String = "feed") -> String {
        #"{"object":"page","entry":[{"id":"111000111","time":1790000100,"changes":[{"field":"\#(field)","value":\#(value)}]}]}"#
    }

    static let messengerText = #"""
        {"object":"page","entry":[{"id":"111000111","time":1790000000123,"messaging":[{
          "sender":{"id":"7000000000000001"},
          "recipient":{"id":"111000111"},
          "timestamp":1790000000100,
          "message":{"mid":"m_AbCdEf123","text":"Is my order shipped? Café äöå",
                     "reply_to":{"mid":"m_prev456"},
                     "quick_reply":{"payload":"ORDER_STATUS"}}}]}]}
        """#

    @Test func messengerTextMessage() throws {
        let events = try handle(Self.messengerText)
        let event = try #require(events.first)
        #expect(events.count == 1)
        #expect(event.platform == .facebook)
        #expect(event.accountID == "111000111")
        #expect(event.kind == .directMessage)
        #expect(event.eventID == "m_AbCdEf123")
        #expect(event.threadKey == "7000000000000001")
        #expect(event.author?.platformID == "7000000000000001")
        #expect(event.text == "Is my order shipped? Café äöå")
        #expect(event.repliesToMessageID == "m_prev456")
        #expect(event.occurredAt == unixDate(1_790_000_000.1))
        #expect(!event.isOwn)
    }

    @Test func messengerAttachmentsAndUnsupportedFallback() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000300,"messaging":[
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000200,
              "message":{"mid":"m_Img789","attachments":[{"type":"image","payload":{"url":"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}}]}},
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000250,
              "message":{"mid":"m_Fb1","attachments":[{"type":"fallback","title":"shared link"}]}}]}]}
            """#
        let events = try handle(json)
        #expect(events.count == 2)
        #expect(
            events[0].attachments == [
                InboundAttachment(kind: .image, url: "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1")
            ])
        #expect(events[0].text == nil)
        #expect(!events[0].isUnsupported)
        #expect(events[1].isUnsupported)
    }

    @Test func messengerEchoIsMarkedOwnAndThreadedOnCustomer() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000400,"messaging":[
            {"sender":{"id":"111000111"},"recipient":{"id":"7000000000000001"},"timestamp":1790000000300,
             "message":{"is_echo":true,"app_id":1517776481860111,"metadata":"outbox:42","mid":"m_Out001","text":"Yes, shipped today."}}]}]}
            """#
        let event = try #require(try handle(json).first)
        #expect(event.isOwn)
        #expect(event.threadKey == "7000000000000001")
        #expect(event.eventID == "m_Out001")
    }

    @Test func messengerDeliveryAndRead() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000500,"messaging":[
            {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000450,
             "delivery":{"mids":["m_Out001","m_Out002"],"watermark":1790000000440}},
            {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000460,
             "read":{"watermark":1790000000455}}]}]}
            """#
        let events = try handle(json)
        #expect(events.count == 3)
        #expect(events.map(\.kind) == [.deliveryStatus, .deliveryStatus, .deliveryStatus])
        #expect(events[0].deliveryStatus?.messageID == "m_Out001")
        #expect(events[1].deliveryStatus?.state == .delivered)
        #expect(events[2].deliveryStatus?.state == .read)
        #expect(events[2].deliveryStatus?.watermark == unixDate(1_790_000_000.455))
        #expect(Set(events.map(\.eventID)).count == 3)
    }

    static let organicComment = #"""
        {"from":{"id":"7000000000000002","name":"Jane Doe"},
          "item":"comment","verb":"add",
          "post_id":"111000111_222000222",
          "comment_id":"222000222_333000333",
          "parent_id":"111000111_222000222",
          "created_time":1790000095,
          "message":"Do you ship to Canada?",
          "post":{"id":"111000111_222000222","status_type":"added_photos","is_published":true,
                  "updated_time":"2026-09-01T10:00:00+0000","permalink_url":"https://www.facebook.com/111000111/posts/222000222",
                  "promotion_status":"inactive"}}
        """#

    @Test func organicComment() throws {
        let event = try #require(try handle(feed(Self.organicComment)).first)
        #expect(event.kind == .comment)
        #expect(event.eventID == "222000222_333000333:add:1790000095")
        #expect(event.messageID == "222000222_333000333")
        #expect(event.threadKey == "111000111_222000222/222000222_333000333")
        #expect(event.parentPostID == "111000111_222000222")
        #expect(event.parentCommentID == nil)
        #expect(event.author == InboundAuthor(platformID: "7000000000000002", displayName: "Jane Doe"))
        #expect(event.text == "Do you ship to Canada?")
        #expect(event.occurredAt == unixDate(1_790_000_095))
        #expect(!event.isPaid && !event.isOwn && event.contentFetch == nil)
    }

    @Test func replyToCommentThreadsUnderTopLevelComment() throws {
        let reply = Self.organicComment
            .replacingOccurrences(
                of: #""comment_id":"222000222_333000333""#, with: #""comment_id":"222000222_333000999""#
            )
            .replacingOccurrences(
                of: #""parent_id":"111000111_222000222""#, with: #""parent_id":"222000222_333000333""#)
        let event = try #require(try handle(feed(reply)).first)
        #expect(event.parentCommentID == "222000222_333000333")
        #expect(event.threadKey == "111000111_222000222/222000222_333000333")
        #expect(event.messageID == "222000222_333000999")
    }

    @Test func darkPostCommentIsPaid() throws {
        let value = #"""
            {"from":{"id":"7000000000000003","name":"Ad Viewer"},"item":"comment","verb":"add",
             "post_id":"111000111_444000444","comment_id":"444000444_555000555","parent_id":"111000111_444000444",
             "created_time":1790000200,"message":"Price?",
             "post":{"id":"111000111_444000444","status_type":"added_video","is_published":false,
                     "updated_time":"2026-09-01T11:00:00+0000","permalink_url":"https://www.facebook.com/111000111/posts/444000444",
                     "promotion_status":"ineligible"}}
            """#
        let event = try #require(try handle(feed(value)).first)
        #expect(event.kind == .darkPostComment)
        #expect(event.isPaid)
    }

    /// CHANNELS.md §1.3e: only `is_published: false` marks a dark post; a published post is
    /// organic whatever its `promotion_status` (organic reels report "ineligible" too).
    @Test func publishedPostIsOrganicWhateverItsPromotionStatus() throws {
        for status in ["ineligible", "active", "inactive"] {
            let value = Self.organicComment.replacingOccurrences(
                of: #""promotion_status":"inactive""#, with: #""promotion_status":"\#(status)""#)
            let event = try #require(try handle(feed(value)).first)
            #expect(event.kind == .comment, "\(status)")
            #expect(!event.isPaid, "\(status)")
        }
        let unpublished = Self.organicComment.replacingOccurrences(
            of: #""is_published":true"#, with: #""is_published":false"#)
        #expect(try handle(feed(unpublished)).first?.kind == .darkPostComment)
    }

    @Test func commentWithoutPostObjectAsksForVisibilityFetch() throws {
        let value = #"""
            {"from":{"id":"7000000000000003","name":"Ad Viewer"},"item":"comment","verb":"add",
             "post_id":"111000111_444000444","comment_id":"444000444_555000556","parent_id":"111000111_444000444",
             "created_time":1790000210,"message":"Still there?"}
            """#
        let event = try #require(try handle(feed(value)).first)
        #expect(event.contentFetch == .facebookPostVisibility(postID: "111000111_444000444"))
        #expect(event.kind == .comment)
    }

    @Test func videoCommentIsHiddenButReturned() throws {
        let value = #"""
            {"from":{"id":"7000000000000004","name":"Vid Person"},"item":"comment","verb":"add",
             "post_id":"111000111_222000222","comment_id":"222000222_666000666","parent_id":"111000111_222000222",
             "created_time":1790000300,"video":"https://video.xx.fbcdn.net/v/t42.1790-2/abc.mp4",
             "post":{"id":"111000111_222000222","status_type":"added_photos","is_published":true,"updated_time":"2026-09-01T12:00:00+0000","permalink_url":"https://www.facebook.com/111000111/posts/222000222","promotion_status":"inactive"}}
            """#
        let event = try #require(try handle(feed(value)).first)
        #expect(event.hiddenByPlatformRule == .videoAttachment)
        #expect(event.hiddenByPlatformRule?.rawValue == "video attachment")
        #expect(event.attachments.first?.kind == .video)
        #expect(event.text == nil)
    }

    @Test func photoCommentIsShown() throws {
        let value = Self.organicComment.replacingOccurrences(
            of: #""message":"Do you ship to Canada?","#, with: #""photo":"https://scontent.xx.fbcdn.net/p.jpg","#)
        let event = try #require(try handle(feed(value)).first)
        #expect(event.attachments == [InboundAttachment(kind: .image, url: "https://scontent.xx.fbcdn.net/p.jpg")])
        #expect(event.hiddenByPlatformRule == nil)
    }

    @Test func removedCommentIsADeletion() throws {
        let value = #"""
            {"from":{"id":"7000000000000002","name":"Jane Doe"},"item":"comment","verb":"remove",
             "post_id":"111000111_222000222","comment_id":"222000222_333000333","parent_id":"111000111_222000222",
             "created_time":1790000500}
            """#
        let event = try #require(try handle(feed(value)).first)
        #expect(event.kind == .deletion)
        #expect(event.eventID == "222000222_333000333:remove:1790000500")
    }

    @Test func visitorWallPosts() throws {
        let status = #"""
            {"from":{"id":"7000000000000005","name":"Visitor"},"item":"status","verb":"add",
             "post_id":"111000111_777000777","published":1,"created_time":1790000400,"message":"Your store was closed today?"}
            """#
        let event = try #require(try handle(feed(status)).first)
        #expect(event.kind == .wallPost)
        #expect(event.threadKey == "111000111_777000777")
        #expect(event.text == "Your store was closed today?")
        #expect(event.occurredAt == unixDate(1_790_000_400))
        let photo = #"""
            {"from":{"id":"7000000000000005","name":"Visitor"},"item":"photo","verb":"add","post_id":"111000111_777000778",
             "photo_id":"777000778","link":"https://scontent.xx.fbcdn.net/v/photo.jpg","published":1,"created_time":1790000401}
            """#
        let photoEvent = try #require(try handle(feed(photo)).first)
        #expect(
            photoEvent.attachments == [
                InboundAttachment(
                    kind: .image, url: "https://scontent.xx.fbcdn.net/v/photo.jpg", platformMediaID: "777000778")
            ])
        let video = #"""
            {"from":{"id":"7000000000000005","name":"Visitor"},"item":"video","verb":"add","post_id":"111000111_777000779",
             "video_id":"777000779","link":"https://video.xx.fbcdn.net/v.mp4","published":1,"created_time":1790000402}
            """#
        let videoEvent = try #require(try handle(feed(video)).first)
        #expect(videoEvent.kind == .wallPost)
        #expect(videoEvent.attachments.first?.kind == .video)
        #expect(videoEvent.hiddenByPlatformRule == nil)  // the rule is for comments only
    }

    @Test func pageAuthoredContentIsOwn() throws {
        let reply = #"""
            {"from":{"id":"111000111","name":"My Shop"},"item":"comment","verb":"add","post_id":"111000111_222000222",
             "comment_id":"222000222_333000444","parent_id":"222000222_333000333","created_time":1790000600,"message":"Yes we do!",
             "post":{"id":"111000111_222000222","is_published":true,"promotion_status":"inactive"}}
            """#
        #expect(try handle(feed(reply)).first?.isOwn == true)
        let post = #"""
            {"from":{"id":"111000111","name":"My Shop"},"item":"status","verb":"add","post_id":"111000111_888","published":1,
             "created_time":1790000601,"message":"Sale!"}
            """#
        let event = try #require(try handle(feed(post)).first)
        #expect(event.isOwn)
        #expect(event.kind == .post)
    }

    @Test func pageMentionWithSenderFieldsOrFrom() throws {
        let sender = #"""
            {"item":"post","verb":"add","post_id":"888000888_999000999","sender_id":"7000000000000006",
              "sender_name":"Mentioner","created_time":1790000490,"message":"Great service from @MyShop"}
            """#
        let event = try #require(try handle(feed(sender, field: "mention")).first)
        #expect(event.kind == .mention)
        #expect(event.author == InboundAuthor(platformID: "7000000000000006", displayName: "Mentioner"))
        #expect(event.threadKey == "888000888_999000999")
        #expect(event.occurredAt == unixDate(1_790_000_490))
        let from = #"""
            {"item":"comment","verb":"add","post_id":"888000888_999000999","comment_id":"999000999_1","from":{"id":"7000000000000007","name":"Other"},
             "created_time":1790000491,"message":"@MyShop help"}
            """#
        let commentMention = try #require(try handle(feed(from, field: "mention")).first)
        #expect(commentMention.author?.platformID == "7000000000000007")
        #expect(commentMention.threadKey == "888000888_999000999/999000999_1")
    }

    @Test func batchedEntriesAndStandbyAreAllReturned() throws {
        let json = #"""
            {"object":"page","entry":[
             {"id":"111000111","time":1790000000999,"standby":[{"sender":{"id":"7000000000000009"},"recipient":{"id":"111000111"},
               "timestamp":1790000000900,"message":{"mid":"m_standby","text":"handover"}}]},
             {"id":"222000222","time":1790000100,"changes":[{"field":"feed","value":\#(Self.organicComment)},
               {"field":"ratings","value":{"review_text":"ok"}}]}]}
            """#
        let events = try handle(json)
        #expect(events.map(\.eventID) == ["m_standby", "222000222_333000333:add:1790000095"])
        #expect(events.map(\.accountID) == ["111000111", "222000222"])
    }

    @Test func handshake() throws {
        let request = WebhookRequest(
            method: "GET", path: "/",
            query: TestSigning.query([
                ("hub.mode", "subscribe"), ("hub.verify_token", "verify-me"), ("hub.challenge", "1158201444"),
            ]))
        let outcome = try adapter.handle(request, secrets: TestSigning.metaSecrets, now: TestSigning.now)
        #expect(outcome.isHandshake)
        #expect(outcome.reply.status == 200)
        #expect(outcome.reply.bodyText == "1158201444")
        #expect(outcome.reply.contentType?.hasPrefix("text/plain") == true)

        var wrong = request
        wrong.query[1].value = "guess"
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(wrong, secrets: TestSigning.metaSecrets, now: TestSigning.now)
        }
        #expect(error == .handshakeRejected("hub.verify_token does not match"))
        #expect(error?.httpStatus == 403)
        var wrongMode = request
        wrongMode.query[0].value = "unsubscribe"
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(wrongMode, secrets: TestSigning.metaSecrets, now: TestSigning.now)
            }?.httpStatus == 403)
    }

    func outcome(_ json: String) throws(WebhookError) -> WebhookOutcome {
        try adapter.handle(TestSigning.metaPost(json), secrets: TestSigning.metaSecrets, now: TestSigning.now)
    }

    @Test func malformedFeedValuesAreKeptUnparsedNamingTheField() throws {
        let missingPost =
            #"{"from":{"id":"1","name":"x"},"item":"comment","verb":"add","comment_id":"1_2","created_time":1}"#
        let missing = try outcome(feed(missingPost))
        #expect(missing.events.isEmpty)
        #expect(missing.unparsed.map(\.error) == [.missingField("entry[0].changes[0].value.post_id")])
        #expect(missing.unparsed.first?.path == "entry[0].changes[0]")
        #expect(missing.unparsed.first?.accountID == "111000111")
        let badTime =
            #"{"from":{"id":"1"},"item":"comment","verb":"add","post_id":"1_1","comment_id":"1_2","created_time":true}"#
        #expect(
            try outcome(feed(badTime)).unparsed.first?.error
                == .wrongType("entry[0].changes[0].value.created_time", expected: "integer, found boolean"))
    }

    /// A signed JSON body with another envelope is Meta's all the same: kept whole at `(root)`.
    @Test func otherEnvelopeIsKeptWhole() throws {
        let wrongObject = try outcome(#"{"object":"instagram","entry":[]}"#)
        #expect(wrongObject.events.isEmpty)
        #expect(wrongObject.unparsed.first?.path == "(root)")
        #expect(wrongObject.unparsed.first?.rawText == #"{"entry":[],"object":"instagram"}"#)
        #expect(
            wrongObject.unparsed.first?.error
                == .invalidValue("object", reason: #"expected "page", found "instagram""#))
        #expect(try outcome("[1,2]").unparsed.first?.error == .wrongType("(root)", expected: "object, found array"))
        // Not JSON at all: refused.
        #expect(
            webhookError { () throws(WebhookError) in try outcome(#"{"object":"page","#) }?.httpStatus == 400)
    }

    /// One batch, two entries: in each, the items that parse become events and the one that does
    /// not is kept UNPARSED at its path; an entry whose id is unreadable is kept whole.
    @Test func malformedItemsAreKeptBesideTheValidOnes() throws {
        let json = #"""
            {"object":"page","entry":[
             {"id":"111000111","time":1790000000999,"messaging":[
               {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000100,
                "message":{"mid":"m_ok","text":"Hi"}},
               {"recipient":{"id":"111000111"},"timestamp":1790000000200,"message":{"mid":"m_bad","text":"?"}}]},
             {"id":"111000111","time":1790000100,"changes":[
               {"field":"feed","value":\#(Self.organicComment)},
               {"field":"feed","value":{"item":"comment","verb":"add","post_id":"111000111_2"}}]},
             {"time":1790000100,"changes":[]}]}
            """#
        let result = try outcome(json)
        #expect(result.events.map(\.eventID) == ["m_ok", "222000222_333000333:add:1790000095"])
        #expect(result.unparsed.map(\.path) == ["entry[0].messaging[1]", "entry[1].changes[1]", "entry[2]"])
        #expect(
            result.unparsed.map(\.error) == [
                .missingField("entry[0].messaging[1].sender"), .missingField("entry[1].changes[1].value.comment_id"),
                .missingField("entry[2].id"),
            ])
        #expect(result.unparsed.map(\.accountID) == ["111000111", "111000111", nil])
        #expect(result.unparsed.allSatisfy { $0.platform == .facebook && $0.receivedAt == TestSigning.now })
        #expect(
            result.unparsed[0].rawText
                == #"{"message":{"mid":"m_bad","text":"?"},"recipient":{"id":"111000111"},"timestamp":1790000000200}"#)
        #expect(result.reply == .emptyOK)
    }

    @Test func ignoredFieldWithoutValueYieldsNothing() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000100,"changes":[
              {"field":"ratings"},{"field":"feed","value":\#(Self.organicComment)}]}]}
            """#
        let result = try outcome(json)
        #expect(result.events.count == 1)
        #expect(result.unparsed.isEmpty)
    }

    /// Legacy `fallback` attachments send `payload` as a string or null with `url`/`title` beside
    /// it; a string payload on any attachment must not fail the message.
    @Test func fallbackAndStringPayloadAttachments() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000300,"messaging":[
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000200,
              "message":{"mid":"m_fb","attachments":[{"type":"fallback","payload":"legacy share","title":"Our shop",
                "url":"https://www.example.com/shop"}]}},
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000210,
              "message":{"mid":"m_null","attachments":[{"type":"fallback","payload":null,"title":"Shared"}]}},
             {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000220,
              "message":{"mid":"m_str","attachments":[{"type":"image","payload":"not an object"}]}}]}]}
            """#
        let result = try outcome(json)
        #expect(result.unparsed.isEmpty)
        #expect(result.events.map(\.eventID) == ["m_fb", "m_null", "m_str"])
        #expect(
            result.events[0].attachments == [
                InboundAttachment(kind: .link, url: "https://www.example.com/shop", title: "Our shop")
            ])
        #expect(!result.events[0].isUnsupported)
        #expect(result.events[1].attachments == [InboundAttachment(kind: .other, title: "Shared")])
        #expect(result.events[1].isUnsupported)
        #expect(result.events[2].attachments == [InboundAttachment(kind: .image)])
    }

    /// Meta leaves `timestamp` out of some receipts: the time is then the receipt's watermark.
    @Test func receiptsWithoutTimestampTakeTheWatermark() throws {
        let json = #"""
            {"object":"page","entry":[{"id":"111000111","time":1790000000999,"messaging":[
            {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},
             "delivery":{"mids":["m_Out001"],"watermark":1790000000440}},
            {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"read":{"watermark":1790000000455}},
            {"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},
             "message":{"mid":"m_untimed","text":"hi"}}]}]}
            """#
        let result = try outcome(json)
        #expect(result.unparsed.isEmpty)
        #expect(
            result.events.map(\.eventID) == ["delivery:m_Out001", "read:7000000000000001:1790000000455", "m_untimed"])
        #expect(
            result.events.map(\.occurredAt) == [
                unixDate(1_790_000_000.44), unixDate(1_790_000_000.455),
                // Anything else without a timestamp: the entry's time, the nearest platform time.
                unixDate(1_790_000_000.999),
            ])
    }

    /// Real visitor posts arrive without `created_time`: dated `entry.time`, with an id that a
    /// re-delivery in a re-stamped batch repeats.
    @Test func visitorPostWithoutCreatedTimeTakesTheEntryTime() throws {
        let post = #"""
            {"from":{"id":"7000000000000005","name":"Visitor"},"item":"status","verb":"add",
             "post_id":"111000111_777000777","published":1,"message":"Open today?"}
            """#
        let result = try outcome(feed(post))
        #expect(result.unparsed.isEmpty)
        let event = try #require(result.events.first)
        #expect(event.kind == .wallPost)
        #expect(event.occurredAt == unixDate(1_790_000_100))
        #expect(event.eventID == "111000111_777000777:add:untimed")
        let restamped = feed(post).replacingOccurrences(of: #""time":1790000100"#, with: #""time":1790000160"#)
        #expect(try handle(restamped).first?.eventID == event.eventID)
        // Two edits without a time differ by their text.
        let edit1 = post.replacingOccurrences(of: #""verb":"add""#, with: #""verb":"edited""#)
        let edit2 = edit1.replacingOccurrences(of: "Open today?", with: "Open tomorrow?")
        let id1 = try #require(try handle(feed(edit1)).first?.eventID)
        let id2 = try #require(try handle(feed(edit2)).first?.eventID)
        #expect(id1.hasPrefix("111000111_777000777:edited:untimed:"))
        #expect(id1 != id2)
        // A comment without created_time, too.
        let comment = Self.organicComment.replacingOccurrences(of: #""created_time":1790000095,"#, with: "")
        #expect(try handle(feed(comment)).first?.occurredAt == unixDate(1_790_000_100))
    }
}
