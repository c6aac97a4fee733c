import Foundation
import Testing

@testable import ChannelGateway

@Suite("Instagram webhooks")
struct InstagramWebhookTests {
    let adapter = InstagramWebhookAdapter()

    func handle(_ json: String) throws(WebhookError) -> [InboundEvent] {
        try adapter.handle(TestSigning.metaPost(json), secrets: TestSigning.metaSecrets, now: TestSigning.now).events
    }

    func messaging(_ message: String, sender: String = "9100000000000001", recipient: String = "17841400000000001")
        -> String
    {
        #"""
        {"object":"instagram","entry":[{"id":"17841400000000001","time":1790001000456,"messaging":[{
          "sender":{"id":"\#(sender)"},"recipient":{"id":"\#(recipient)"},"timestamp":1790001000400,
          "message":\#(message)}]}]}
        """#
    }

    func comment(_ value: String) -> String {
        #"{"object":"instagram","entry":[{"id":"17841400000000001","time":1790001100,"changes":[{"field":"comments","value":\#(value)}]}]}"#
    }

    @Test func directMessageWithAttachment() throws {
        let json = messaging(
            #"""
            {"mid":"aWdfZAG1faXRlbToxOklHT","text":"Hi, is this in stock?",
             "attachments":[{"type":"image","payload":{"url":"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2"}}]}
            """#)
        let event = try #require(try handle(json).first)
        #expect(event.platform == .instagram)
        #expect(event.accountID == "17841400000000001")
        #expect(event.kind == .directMessage)
        #expect(event.eventID == "aWdfZAG1faXRlbToxOklHT")
        #expect(event.threadKey == "9100000000000001")
        #expect(event.text == "Hi, is this in stock?")
        #expect(event.attachments.first?.url == "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2")
        #expect(event.occurredAt == unixDate(1_790_001_000.4))
    }

    @Test func echoSelfDeletedAndUnsupportedFlags() throws {
        let echo = try #require(
            try handle(
                messaging(
                    #"{"mid":"m1","text":"our reply","is_echo":true}"#, sender: "17841400000000001",
                    recipient: "9100000000000001")
            ).first)
        #expect(echo.isOwn)
        #expect(echo.threadKey == "9100000000000001")
        #expect(try handle(messaging(#"{"mid":"m2","text":"test","is_self":true}"#)).first?.isOwn == true)
        let deleted = try #require(try handle(messaging(#"{"mid":"m3","is_deleted":true}"#)).first)
        #expect(deleted.kind == .deletion)
        #expect(deleted.messageID == "m3")
        #expect(deleted.eventID == "delete:m3")
        let unsupported = try #require(try handle(messaging(#"{"mid":"m4","is_unsupported":true}"#)).first)
        #expect(unsupported.isUnsupported)
        #expect(unsupported.kind == .directMessage)
        #expect(try handle(messaging(#"{"mid":"m5","text":"hello"}"#)).first?.isOwn == false)
    }

    @Test func reactionsEditsAndReads() throws {
        let json = #"""
            {"object":"instagram","entry":[{"id":"17841400000000001","time":1790001000456,"messaging":[
             {"sender":{"id":"9100000000000001"},"recipient":{"id":"17841400000000001"},"timestamp":1790001000401,
              "reaction":{"mid":"m_out","action":"react","reaction":"love","emoji":"❤️"}},
             {"sender":{"id":"9100000000000001"},"recipient":{"id":"17841400000000001"},"timestamp":1790001000402,
              "message_edit":{"mid":"m_in","text":"fixed typo","num_edit":1}},
             {"sender":{"id":"9100000000000001"},"recipient":{"id":"17841400000000001"},"timestamp":1790001000403,
              "read":{"mid":"m_out"}}]}]}
            """#
        let events = try handle(json)
        #expect(events.map(\.kind) == [.reaction, .edit, .deliveryStatus])
        #expect(events[0].text == "❤️")
        #expect(events[0].repliesToMessageID == "m_out")
        #expect(events[1].messageID == "m_in")
        #expect(events[1].text == "fixed typo")
        #expect(events[2].deliveryStatus?.messageID == "m_out")
        #expect(events[2].deliveryStatus?.state == .read)
    }

    @Test func organicCommentReply() throws {
        let json = comment(
            #"""
            {"from":{"id":"9100000000000002","username":"shopper_anna"},
              "media":{"id":"18000000000000501","media_product_type":"FEED"},
              "id":"17900000000000777","parent_id":"17900000000000700","text":"@myshop what sizes?"}
            """#)
        let event = try #require(try handle(json).first)
        #expect(event.kind == .comment)
        #expect(event.eventID == "17900000000000777")
        #expect(event.threadKey == "18000000000000501/17900000000000700")
        #expect(event.parentPostID == "18000000000000501")
        #expect(event.parentCommentID == "17900000000000700")
        #expect(event.author == InboundAuthor(platformID: "9100000000000002", handle: "shopper_anna"))
        #expect(event.text == "@myshop what sizes?")
        // Decision: the value has no time of its own; entry.time (seconds) is used.
        #expect(event.occurredAt == unixDate(1_790_001_100))
        #expect(!event.isPaid)
    }

    @Test func adCommentIsPaidAndFlatEnvelopeAccepted() throws {
        let json = #"""
            {"object":"instagram","entry":[{"id":"17841400000000001","time":1790001200,"field":"comments","value":
            {"from":{"id":"9100000000000003","username":"ad_viewer"},
             "media":{"id":"18000000000000900","media_product_type":"FEED","ad_id":"120200000000000001","ad_title":"Autumn Sale","original_media_id":"18000000000000899"},
             "id":"17900000000000888","text":"Link please"}}]}
            """#
        let event = try #require(try handle(json).first)
        #expect(event.kind == .darkPostComment)
        #expect(event.isPaid)
        #expect(event.threadKey == "18000000000000900/17900000000000888")
    }

    @Test func commentIDSpelledCommentID() throws {
        let json = comment(
            #"{"from":{"id":"9100000000000002","username":"a"},"media":{"id":"18"},"comment_id":"179","text":"hi"}"#)
        #expect(try handle(json).first?.eventID == "179")
    }

    @Test func videoAndSeveralImagesAreHidden() throws {
        let video = comment(
            #"""
            {"from":{"id":"9100000000000002","username":"a"},"media":{"id":"18"},"id":"1","text":"look",
             "attachments":[{"type":"video","payload":{"url":"https://cdn/v.mp4"}}]}
            """#)
        #expect(try handle(video).first?.hiddenByPlatformRule == .videoAttachment)
        let images = comment(
            #"""
            {"from":{"id":"9100000000000002","username":"a"},"media":{"id":"18"},"id":"2",
             "attachments":[{"type":"image","url":"https://cdn/1.jpg"},{"type":"image","url":"https://cdn/2.jpg"}]}
            """#)
        let event = try #require(try handle(images).first)
        #expect(event.hiddenByPlatformRule == .severalImages)
        #expect(event.hiddenByPlatformRule?.rawValue == "several images")
        #expect(event.attachments.count == 2)
        let one = comment(
            #"{"from":{"id":"9","username":"a"},"media":{"id":"18"},"id":"3","attachments":[{"type":"image","url":"u"}]}"#
        )
        #expect(try handle(one).first?.hiddenByPlatformRule == nil)
        let unknown = comment(#"{"from":{"id":"9","username":"a"},"media":{"id":"18"},"id":"4","sticker":{"x":1}}"#)
        #expect(try handle(unknown).first?.isUnsupported == true)
    }

    @Test func ownCommentIsMarked() throws {
        let json = comment(
            #"{"from":{"id":"17841400000000001","username":"myshop"},"media":{"id":"18"},"id":"5","text":"Thanks!"}"#)
        #expect(try handle(json).first?.isOwn == true)
    }

    @Test func mentionAsksForContent() throws {
        let json = #"""
            {"object":"instagram","entry":[{"id":"17841400000000001","time":1520622968,"changes":[{"field":"mentions","value":{"comment_id":"17894227972186120","media_id":"17918195224117851"}}]}]}
            """#
        let event = try #require(try handle(json).first)
        #expect(event.kind == .mention)
        #expect(
            event.contentFetch
                == .instagramMention(
                    igUserID: "17841400000000001", mediaID: "17918195224117851", commentID: "17894227972186120"))
        #expect(event.occurredAt == unixDate(1_520_622_968))
        let caption = json.replacingOccurrences(of: #""comment_id":"17894227972186120","#, with: "")
        let captionEvent = try #require(try handle(caption).first)
        #expect(
            captionEvent.contentFetch
                == .instagramMention(igUserID: "17841400000000001", mediaID: "17918195224117851", commentID: nil))
    }

    /// A change or DM that does not parse is kept UNPARSED at its path; a field we ignore needs no
    /// `value`; the rest of the batch still becomes events.
    @Test func malformedItemsAreKeptBesideTheValidOnes() throws {
        let json = #"""
            {"object":"instagram","entry":[{"id":"17841400000000001","time":1790001100,
              "messaging":[{"sender":{"id":"9100000000000001"},"recipient":{"id":"17841400000000001"},
                "message":{"mid":"m_untimed","attachments":[{"type":"share","payload":"legacy"}]}}],
              "changes":[
               {"field":"comments","value":{"from":{"id":"9100000000000002","username":"a"},"media":{"id":"18"},"id":"179","text":"hi"}},
               {"field":"comments","value":{"from":{"id":"9100000000000003"},"id":"180","text":"no media"}},
               {"field":"message_reactions"},
               {"field":"mentions","value":{"media_id":"1791"}}]}]}
            """#
        let outcome = try adapter.handle(
            TestSigning.metaPost(json), secrets: TestSigning.metaSecrets, now: TestSigning.now)
        #expect(outcome.events.map(\.eventID) == ["m_untimed", "179", "mention:1791"])
        // The DM without `timestamp` takes the entry's time (seconds here).
        #expect(outcome.events.first?.occurredAt == unixDate(1_790_001_100))
        #expect(outcome.events.first?.attachments == [InboundAttachment(kind: .share)])
        #expect(outcome.unparsed.map(\.path) == ["entry[0].changes[1]"])
        #expect(outcome.unparsed.first?.error == .missingField("entry[0].changes[1].value.media"))
        #expect(outcome.unparsed.first?.accountID == "17841400000000001")
    }

    @Test func signatureFailures() {
        let json = messaging(#"{"mid":"m5","text":"hello"}"#)
        var tampered = TestSigning.metaPost(json)
        tampered.body[tampered.body.count - 5] ^= 0x01
        let mismatch = webhookError { () throws(WebhookError) in
            try adapter.handle(tampered, secrets: TestSigning.metaSecrets, now: TestSigning.now)
        }
        #expect(mismatch == .signatureMismatch("X-Hub-Signature-256"))
        #expect(mismatch?.httpStatus == 401)
        let wrongSecret = TestSigning.metaPost(json, secret: "other")
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(wrongSecret, secrets: TestSigning.metaSecrets, now: TestSigning.now)
            } == .signatureMismatch("X-Hub-Signature-256"))
        var missing = TestSigning.metaPost(json)
        missing.headers = []
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(missing, secrets: TestSigning.metaSecrets, now: TestSigning.now)
            } == .missingSignature("X-Hub-Signature-256"))
        for bad in ["sha1=abcd", "sha256=zz", "sha256=" + String(repeating: "a", count: 63)] {
            var malformed = TestSigning.metaPost(json)
            malformed.headers = [.init(name: "x-hub-signature-256", value: bad)]
            #expect(
                webhookError { () throws(WebhookError) in
                    try adapter.handle(malformed, secrets: TestSigning.metaSecrets, now: TestSigning.now)
                } == .malformedSignature("X-Hub-Signature-256", reason: "expected sha256=<64 hex digits>"))
        }
    }

    @Test func methodNotAllowed() {
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(
                WebhookRequest(method: "put", path: "/"), secrets: TestSigning.metaSecrets, now: TestSigning.now)
        }
        #expect(error == .methodNotAllowed("PUT"))
        #expect(error?.httpStatus == 405)
    }
}
