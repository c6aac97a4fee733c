import Foundation
import Testing

@testable import ChannelGateway

@Suite("X webhooks")
struct XWebhookTests {
    let adapter = XWebhookAdapter()
    let secrets = XWebhookSecrets(consumerSecret: "consumer-secret")

    func post(_ json: String, secret: String = "consumer-secret") -> WebhookRequest {
        let body = Array(json.utf8)
        let signature = "sha256=" + Data(TestSigning.hmacSHA256(secret, body)).base64EncodedString()
        return WebhookRequest(
            method: "POST", path: "/", headers: [.init(name: "X-Twitter-Webhooks-Signature", value: signature)],
            body: body)
    }

    func handle(_ json: String) throws(WebhookError) -> [InboundEvent] {
        try adapter.handle(post(json), secrets: secrets, now: TestSigning.now).events
    }

    static let directMessage = #"""
        {"for_user_id":"835740314006511618",
         "direct_message_events":[{"type":"message_create","id":"958501034212564996","created_timestamp":"1517359429301",
           "message_create":{"target":{"recipient_id":"835740314006511618"},"sender_id":"272953809","source_app_id":"268278",
             "message_data":{"text":"Hello World &amp; good wishes.",
               "entities":{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]},
               "attachment":{"type":"media","media":{"id_str":"1","media_url_https":"https://ton.twitter.com/1.1/ton/data/dm/...","type":"photo"}}}}}],
         "users":{"272953809":{"id":"272953809","created_timestamp":"1301236201000","name":"Nicolas Pottier","screen_name":"nicpottier"},
                  "835740314006511618":{"id":"835740314006511618","name":"Resistbot","screen_name":"resistbot"}}}
        """#

    static let mention = #"""
        {"for_user_id":"2244994945","user_has_blocked":false,
         "tweet_create_events":[{"created_at":"Mon Mar 17 12:00:00 +0000 2026","id":1770000000000000001,"id_str":"1770000000000000001",
           "text":"@brandaccount What is your pricing?","truncated":false,
           "in_reply_to_status_id_str":"1769999999999999999","in_reply_to_user_id_str":"2244994945","in_reply_to_screen_name":"brandaccount",
           "user":{"id_str":"3805104374","screen_name":"jdoe","name":"J Doe"},
           "entities":{"hashtags":[],"urls":[],"user_mentions":[{"screen_name":"brandaccount","id_str":"2244994945","indices":[0,13]}]},
           "timestamp_ms":"1773748800000"}]}
        """#

    @Test func crcHandshakeMatchesAppendixVector() throws {
        let request = WebhookRequest(
            method: "GET", path: "/", query: TestSigning.query([("crc_token", "9b4507b3-9040-4669-9ca3-6b94edb50553")]))
        let outcome = try adapter.handle(
            request, secrets: XWebhookSecrets(consumerSecret: "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"),
            now: TestSigning.now)
        #expect(outcome.isHandshake)
        #expect(outcome.reply.contentType == "application/json")
        #expect(outcome.reply.bodyText == #"{"response_token":"sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="}"#)
        let missing = webhookError { () throws(WebhookError) in
            try adapter.handle(WebhookRequest(method: "GET", path: "/"), secrets: secrets, now: TestSigning.now)
        }
        #expect(missing?.httpStatus == 403)
    }

    @Test func crcRefusesTokensThatCouldBeWebhookBodies() throws {
        // The oracle: a CRC answer for this token is the signature of a POST with it as the body,
        // and such a POST is accepted.
        let body = #"{"for_user_id":"1"}"#
        #expect(try adapter.handle(post(body), secrets: secrets, now: TestSigning.now).events.isEmpty)
        let bodyMAC = Data(TestSigning.hmacSHA256("consumer-secret", Array(body.utf8))).base64EncodedString()
        let refused = [body, "[1]", "a b", " 9b45", "9b45\n", "tok%7B", String(repeating: "a", count: 257)]
        for token in refused {
            let request = WebhookRequest(method: "GET", path: "/", query: TestSigning.query([("crc_token", token)]))
            let error = webhookError { () throws(WebhookError) in
                try adapter.handle(request, secrets: secrets, now: TestSigning.now)
            }
            #expect(error?.httpStatus == 400, "\(token)")
            #expect(!String(describing: error).contains(bodyMAC))
        }
        let lastAllowed = String(repeating: "a", count: 255) + "="
        for token in ["aZ09-_=+/", lastAllowed, "9b4507b3-9040-4669-9ca3-6b94edb50553"] {
            let request = WebhookRequest(method: "GET", path: "/", query: TestSigning.query([("crc_token", token)]))
            #expect(try adapter.handle(request, secrets: secrets, now: TestSigning.now).isHandshake)
        }
    }

    @Test func directMessageIsUnescapedAndNamed() throws {
        let event = try #require(try handle(Self.directMessage).first)
        #expect(event.kind == .directMessage)
        #expect(event.accountID == "835740314006511618")
        #expect(event.eventID == "958501034212564996")
        #expect(event.threadKey == "272953809")
        #expect(event.text == "Hello World & good wishes.")
        #expect(
            event.author == InboundAuthor(platformID: "272953809", handle: "nicpottier", displayName: "Nicolas Pottier")
        )
        #expect(event.occurredAt == unixDate(1_517_359_429.301))
        #expect(event.attachments.first?.kind == .image)
        #expect(!event.isOwn)
    }

    @Test func selfSentDirectMessageIsOwnOnCustomerThread() throws {
        let json = Self.directMessage
            .replacingOccurrences(of: #""recipient_id":"835740314006511618""#, with: #""recipient_id":"272953809""#)
            .replacingOccurrences(of: #""sender_id":"272953809""#, with: #""sender_id":"835740314006511618""#)
        let event = try #require(try handle(json).first)
        #expect(event.isOwn)
        #expect(event.threadKey == "272953809")
    }

    @Test func replyToOurPostIsAComment() throws {
        let event = try #require(try handle(Self.mention).first)
        #expect(event.kind == .comment)
        #expect(event.eventID == "1770000000000000001")
        #expect(event.parentPostID == "1769999999999999999")
        #expect(event.threadKey == "1769999999999999999/1770000000000000001")
        #expect(event.author == InboundAuthor(platformID: "3805104374", handle: "jdoe", displayName: "J Doe"))
        #expect(event.occurredAt == unixDate(1_773_748_800))
    }

    @Test func plainMentionLongTextOwnAndRetweet() throws {
        let mention = Self.mention
            .replacingOccurrences(
                of: #""in_reply_to_status_id_str":"1769999999999999999","in_reply_to_user_id_str":"2244994945","#,
                with: ""
            )
            .replacingOccurrences(
                of: #""truncated":false"#,
                with:
                    #""truncated":true,"extended_tweet":{"full_text":"@brandaccount What is your pricing for &lt;teams&gt; of 50?"}"#
            )
        let event = try #require(try handle(mention).first)
        #expect(event.kind == .mention)
        #expect(event.threadKey == "1770000000000000001")
        #expect(event.text == "@brandaccount What is your pricing for <teams> of 50?")
        let own = Self.mention.replacingOccurrences(of: #""id_str":"3805104374""#, with: #""id_str":"2244994945""#)
        let ownEvent = try #require(try handle(own).first)
        #expect(ownEvent.isOwn)
        #expect(ownEvent.kind == .post)
        let retweet = mention.replacingOccurrences(
            of: #""truncated":true"#, with: #""retweeted_status":{"id_str":"1"},"truncated":true"#)
        let retweetEvent = try #require(try handle(retweet).first)
        #expect(retweetEvent.kind == .post)
        #expect(!retweetEvent.isOwn)
    }

    @Test func createdAtFallbackAndNumericID() throws {
        let json = Self.mention.replacingOccurrences(of: #","timestamp_ms":"1773748800000""#, with: "")
            .replacingOccurrences(of: #""id_str":"1770000000000000001","#, with: "")
        let event = try #require(try handle(json).first)
        #expect(event.occurredAt == unixDate(1_773_748_800))
        #expect(event.eventID == "1770000000000000001")  // exact, not rounded through Double
    }

    @Test func deletedTweetAndIgnoredActivities() throws {
        let json = #"""
            {"for_user_id":"2244994945","tweet_delete_events":[{"status":{"id":"1770000000000000001","user_id":"3805104374"},"timestamp_ms":"1773748900000"}],
             "favorite_events":[{"id":"a","favorited_status":{}}],"direct_message_indicate_typing_events":[{"created_timestamp":"1"}]}
            """#
        let events = try handle(json)
        #expect(events.count == 1)
        #expect(events.first?.kind == .deletion)
        #expect(events.first?.messageID == "1770000000000000001")
        #expect(events.first?.occurredAt == unixDate(1_773_748_900))
    }

    @Test func signatureFailures() {
        var tampered = post(Self.directMessage)
        tampered.body[10] ^= 0x20
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(tampered, secrets: secrets, now: TestSigning.now)
            }
                == .signatureMismatch("x-twitter-webhooks-signature"))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post(Self.directMessage, secret: "wrong"), secrets: secrets, now: TestSigning.now)
            } == .signatureMismatch("x-twitter-webhooks-signature"))
        var missing = post(Self.directMessage)
        missing.headers = []
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(missing, secrets: secrets, now: TestSigning.now)
            }
                == .missingSignature("x-twitter-webhooks-signature"))
        var malformed = post(Self.directMessage)
        malformed.headers[0].value = "sha256=!!!notbase64"
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(malformed, secrets: secrets, now: TestSigning.now)
            }?
            .httpStatus == 401)
    }

    /// A JSON body whose envelope is not an activity envelope is kept whole at `(root)`; an
    /// activity array item that does not parse is kept at its path beside the items that do.
    @Test func malformedBodiesAreKeptUnparsed() throws {
        let noUser = try adapter.handle(post(#"{"direct_message_events":[]}"#), secrets: secrets, now: TestSigning.now)
        #expect(noUser.unparsed.map(\.error) == [.missingField("for_user_id")])
        #expect(noUser.unparsed.first?.path == "(root)")
        let notArray = try adapter.handle(
            post(#"{"for_user_id":"1","tweet_create_events":{}}"#), secrets: secrets, now: TestSigning.now)
        #expect(notArray.unparsed.map(\.error) == [.wrongType("tweet_create_events", expected: "array, found object")])
        #expect(notArray.unparsed.first?.accountID == "1")
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post("not json"), secrets: secrets, now: TestSigning.now)
            }?.httpStatus == 400)
    }

    @Test func malformedTweetIsKeptBesideTheValidOnes() throws {
        let json = #"""
            {"for_user_id":"2244994945",
             "tweet_create_events":[
               {"id_str":"1770000000000000002","text":"no user here","timestamp_ms":"1773748800000"},
               {"id_str":"1770000000000000003","text":"@brandaccount hi","user":{"id_str":"3805104374","screen_name":"jdoe"},
                "entities":{"user_mentions":[{"id_str":"2244994945"}]},"timestamp_ms":"1773748801000"}],
             "tweet_delete_events":[{"status":{"id":"1770000000000000001"},"timestamp_ms":"1773748900000"}]}
            """#
        let outcome = try adapter.handle(post(json), secrets: secrets, now: TestSigning.now)
        #expect(outcome.events.map(\.eventID) == ["1770000000000000003"])
        #expect(outcome.events.first?.kind == .mention)
        #expect(outcome.unparsed.map(\.path) == ["tweet_create_events[0]", "tweet_delete_events[0]"])
        #expect(
            outcome.unparsed.map(\.error) == [
                .missingField("tweet_create_events[0].user"), .missingField("tweet_delete_events[0].status.user_id"),
            ])
        #expect(outcome.unparsed.allSatisfy { $0.accountID == "2244994945" && $0.platform == .x })
    }

    @Test func deletionOfOurOwnTweetIsOwn() throws {
        let json = #"""
            {"for_user_id":"2244994945","tweet_delete_events":[
              {"status":{"id":"1770000000000000001","user_id":"2244994945"},"timestamp_ms":"1773748900000"},
              {"status":{"id":"1770000000000000002","user_id":"3805104374"},"timestamp_ms":"1773748901000"}]}
            """#
        let events = try handle(json)
        #expect(events.map(\.kind) == [.deletion, .deletion])
        #expect(events.map(\.isOwn) == [true, false])
        #expect(events.map(\.eventID) == ["delete:1770000000000000001", "delete:1770000000000000002"])
    }

    static let revoke = #"""
        {"user_event":{"revoke":{"date_time":"2018-05-24T09:48:12+00:00","target":{"app_id":"13090192"},"source":{"user_id":"63046977"}}}}
        """#

    @Test func revokedAccessIsAChannelSignal() throws {
        let outcome = try adapter.handle(post(Self.revoke), secrets: secrets, now: TestSigning.now)
        #expect(outcome.unparsed.isEmpty)
        let event = try #require(outcome.events.first)
        #expect(outcome.events.count == 1)
        #expect(event.kind == .subscriptionRevoked)
        #expect(event.accountID == "63046977")
        #expect(event.eventID == "revoke:63046977:13090192:2018-05-24T09:48:12+00:00")
        #expect(event.occurredAt == unixDate(1_527_155_292))
        #expect(event.text == nil)
        // A re-delivery repeats the id; a later revocation (after access was granted again) does not.
        #expect(try handle(Self.revoke).map(\.eventID) == [event.eventID])
        let later = Self.revoke.replacingOccurrences(of: "2018-05-24T09:48:12", with: "2018-06-01T10:00:00")
        #expect(try handle(later).first?.eventID != event.eventID)
        // Without date_time: the receipt time (no platform time encloses it).
        let undated = Self.revoke.replacingOccurrences(of: #""date_time":"2018-05-24T09:48:12+00:00","#, with: "")
        #expect(try handle(undated).first?.occurredAt == TestSigning.now)
    }
}
