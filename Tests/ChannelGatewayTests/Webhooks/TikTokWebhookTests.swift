import Foundation
import Testing

@testable import ChannelGateway

@Suite("TikTok webhooks")
struct TikTokWebhookTests {
    let adapter = TikTokWebhookAdapter()
    let secrets = TikTokWebhookSecrets(clientSecret: "tt-client-secret")

    func post(_ json: String, t: Int = 1_790_002_050, secret: String = "tt-client-secret") -> WebhookRequest {
        let body = Array(json.utf8)
        let signature = TestSigning.hex(TestSigning.hmacSHA256(secret, Array("\(t).".utf8) + body))
        return WebhookRequest(
            method: "POST", path: "/", headers: [.init(name: "TikTok-Signature", value: "t=\(t),s=\(signature)")],
            body: body)
    }

    func handle(_ json: String) throws(WebhookError) -> [InboundEvent] {
        try adapter.handle(post(json), secrets: secrets, now: TestSigning.now).events
    }

    static func envelope(content: String) -> String {
        let escaped = content.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"""
            {"client_key":"aw1234567890abcd","event":"comment.update","create_time":1790002000,
             "user_openid":"-000AbCdEfGh-business-open-id",
             "content":"\#(escaped)"}
            """#
    }

    static let reply =
        #"{"comment_id":7247303576418566913,"video_id":7203946942097902849,"parent_comment_id":7235861947622916866,"comment_type":"reply","comment_action":"insert","unique_identifier":"user_7c2f","timestamp":1687394416109}"#

    @Test func replyWithoutTextKeepsBigIDsExactAndAsksForFetch() throws {
        let event = try #require(try handle(Self.envelope(content: Self.reply)).first)
        #expect(event.platform == .tiktok)
        #expect(event.accountID == "-000AbCdEfGh-business-open-id")
        #expect(event.kind == .comment)
        #expect(event.messageID == "7247303576418566913")
        #expect(event.parentPostID == "7203946942097902849")
        #expect(event.parentCommentID == "7235861947622916866")
        #expect(event.threadKey == "7203946942097902849/7235861947622916866")
        #expect(event.eventID == "7247303576418566913:insert:1687394416109")
        #expect(event.author?.platformID == "user_7c2f")
        #expect(event.occurredAt == unixDate(1_687_394_416.109))
        #expect(
            event.contentFetch
                == .tiktokComment(
                    businessID: "-000AbCdEfGh-business-open-id", videoID: "7203946942097902849",
                    commentID: "7247303576418566913"))
    }

    @Test func topLevelCommentWithTextAndOtherActions() throws {
        let withText =
            #"{"comment_id":7247303576418566999,"video_id":7203946942097902849,"comment_type":"comment","comment_action":"insert","unique_identifier":"u","timestamp":1687394416200,"text":"Love it 😍"}"#
        let event = try #require(try handle(Self.envelope(content: withText)).first)
        #expect(event.text == "Love it 😍")
        #expect(event.contentFetch == nil)
        #expect(event.threadKey == "7203946942097902849/7247303576418566999")
        #expect(event.parentCommentID == nil)
        let actions: [(String, InboundEventKind)] = [
            ("delete", .deletion), ("set_to_hidden", .visibilityChange), ("set_to_friends_only", .visibilityChange),
            ("set_to_public", .visibilityChange),
        ]
        for (action, kind) in actions {
            let content = Self.reply.replacingOccurrences(of: "\"insert\"", with: "\"\(action)\"")
            let changed = try #require(try handle(Self.envelope(content: content)).first)
            #expect(changed.kind == kind)
            #expect(changed.contentFetch == nil)
            #expect(changed.eventID == "7247303576418566913:\(action):1687394416109")
        }
    }

    @Test func otherEventsYieldNothing() throws {
        let json =
            #"{"client_key":"k","event":"authorization.removed","create_time":1790002000,"user_openid":"o","content":"{\"reason\":1}"}"#
        #expect(try handle(json).isEmpty)
    }

    @Test func signatureAndReplayWindow() {
        let json = Self.envelope(content: Self.reply)
        let stale = webhookError { () throws(WebhookError) in
            try adapter.handle(post(json, t: 1_790_001_000), secrets: secrets, now: TestSigning.now)
        }
        #expect(stale == .staleTimestamp(signedAt: 1_790_001_000, now: 1_790_002_100, window: 300))
        #expect(stale?.httpStatus == 401)
        let wider = TikTokWebhookSecrets(clientSecret: "tt-client-secret", replayWindow: ReplayWindow(seconds: 3600))
        #expect((try? adapter.handle(post(json, t: 1_790_001_000), secrets: wider, now: TestSigning.now)) != nil)
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post(json, secret: "nope"), secrets: secrets, now: TestSigning.now)
            } == .signatureMismatch("TikTok-Signature"))
        var tampered = post(json)
        tampered.body[tampered.body.count - 3] ^= 0x01
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(tampered, secrets: secrets, now: TestSigning.now)
            }
                == .signatureMismatch("TikTok-Signature"))
        // The timestamp is part of the signed string: changing it breaks the signature.
        var shifted = post(json)
        shifted.headers[0].value = shifted.headers[0].value.replacingOccurrences(
            of: "t=1790002050", with: "t=1790002051")
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(shifted, secrets: secrets, now: TestSigning.now)
            }
                == .signatureMismatch("TikTok-Signature"))
        var missing = post(json)
        missing.headers = []
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(missing, secrets: secrets, now: TestSigning.now)
            }
                == .missingSignature("TikTok-Signature"))
        for bad in ["s=abcd", "t=abc,s=00", "t=1790002050", "t=1790002050,s=xyz"] {
            var malformed = post(json)
            malformed.headers[0].value = bad
            let error = webhookError { () throws(WebhookError) in
                try adapter.handle(malformed, secrets: secrets, now: TestSigning.now)
            }
            guard case .malformedSignature("TikTok-Signature", _) = error else {
                Issue.record("\(bad): \(String(describing: error))")
                continue
            }
        }
    }

    /// A JSON envelope whose `content` does not parse — not JSON itself, not a string, missing a
    /// field — is accepted and kept whole as UNPARSED, routed by `user_openid`.
    @Test func malformedContentIsKeptUnparsed() throws {
        let notJSON =
            #"{"client_key":"k","event":"comment.update","create_time":1,"user_openid":"o","content":"{not json"}"#
        let notJSONEntry = try #require(
            try adapter.handle(post(notJSON), secrets: secrets, now: TestSigning.now).unparsed.first)
        guard case .malformedBody = notJSONEntry.error else {
            Issue.record("expected malformedBody, got \(notJSONEntry.error)")
            return
        }
        #expect(notJSONEntry.accountID == "o")
        #expect(notJSONEntry.path == "(root)")
        let object =
            #"{"client_key":"k","event":"comment.update","create_time":1,"user_openid":"o","content":{"comment_id":1}}"#
        #expect(
            try adapter.handle(post(object), secrets: secrets, now: TestSigning.now).unparsed.first?.error
                == .wrongType("content", expected: "string, found object"))
        let noVideo = Self.envelope(content: #"{"comment_id":1,"comment_action":"insert","timestamp":1}"#)
        let outcome = try adapter.handle(post(noVideo), secrets: secrets, now: TestSigning.now)
        #expect(outcome.events.isEmpty)
        #expect(outcome.unparsed.map(\.error) == [.missingField("content.video_id")])
        #expect(outcome.unparsed.first?.accountID == "-000AbCdEfGh-business-open-id")
    }

    @Test func bodyThatIsNotJSONIsRefused() {
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post(#"{"event":"#), secrets: secrets, now: TestSigning.now)
            }?.httpStatus == 400)
    }
}
