import Foundation
import Testing

@testable import ChannelGateway

@Suite("LinkedIn webhooks")
struct LinkedInWebhookTests {
    let adapter = LinkedInWebhookAdapter()
    let secrets = LinkedInWebhookSecrets(clientSecret: "li-client-secret")

    func post(_ json: String, secret: String = "li-client-secret") -> WebhookRequest {
        let body = Array(json.utf8)
        let signature = TestSigning.hex(TestSigning.hmacSHA256(secret, Array("hmacsha256=".utf8) + body))
        return WebhookRequest(
            method: "POST", path: "/", headers: [.init(name: "X-LI-Signature", value: signature)], body: body)
    }

    func handle(_ json: String) throws(WebhookError) -> [InboundEvent] {
        try adapter.handle(post(json), secrets: secrets, now: TestSigning.now).events
    }

    static func notification(action: String, comment: String? = nil, id: String = "5603453321") -> String {
        let activity =
            comment
            ?? #"{"owner":"urn:li:person:zLqTygBP8S","text":"Do you ship to EU?","entity":"urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)","object":"urn:li:activity:7094637247890620418"}"#
        return #"""
            {"notificationId":\#(id),
              "organizationalEntity":"urn:li:organization:96072893",
              "action":"\#(action)",
              "sourcePost":"urn:li:activity:7094637247890620418",
              "decoratedSourcePost":{"owner":"urn:li:organization:96072893","mediaCategory":"NONE","text":"This is my post 0008","entity":"urn:li:share:7094637247487995904"},
              "generatedActivity":"urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)",
              "decoratedGeneratedActivity":{"comment":\#(activity)},
              "lastModifiedAt":1691574506310,
              "subscriber":"urn:li:person:zLqTygBP8S"}
            """#
    }

    func envelope(_ notifications: String...) -> String {
        #"{"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS","notifications":[\#(notifications.joined(separator: ","))]}"#
    }

    @Test func commentNotification() throws {
        let event = try #require(try handle(envelope(Self.notification(action: "COMMENT"))).first)
        #expect(event.platform == .linkedin)
        #expect(event.accountID == "urn:li:organization:96072893")
        #expect(event.kind == .comment)
        #expect(event.eventID == "5603453321")
        #expect(event.messageID == "urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)")
        #expect(event.parentPostID == "urn:li:activity:7094637247890620418")
        #expect(
            event.threadKey
                == "urn:li:activity:7094637247890620418/urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)"
        )
        #expect(event.author?.platformID == "urn:li:person:zLqTygBP8S")
        #expect(event.text == "Do you ship to EU?")
        #expect(event.occurredAt == unixDate(1_691_574_506.31))
        #expect(!event.isOwn)
    }

    @Test func actionsMapToKinds() throws {
        let messageText =
            #"{"owner":"urn:li:person:p2","message":{"text":"edited text"},"entity":"urn:li:comment:(urn:li:activity:1,2)"}"#
        let events = try handle(
            envelope(
                Self.notification(action: "ADMIN_COMMENT", id: "1"),
                Self.notification(action: "SHARE_MENTION", id: "2"),
                Self.notification(action: "COMMENT_EDIT", comment: messageText, id: "3"),
                Self.notification(action: "COMMENT_DELETE", id: "4"), Self.notification(action: "NEW_THING", id: "5")))
        #expect(events.map(\.kind) == [.comment, .mention, .edit, .deletion, .post])
        #expect(events[0].isOwn)
        #expect(events[1].threadKey == "urn:li:activity:7094637247890620418")
        #expect(events[2].text == "edited text")
        #expect(events[4].isUnsupported)
    }

    @Test func challengeHandshake() throws {
        let code = "890e4fd7-3f6c-4a4b-9b3c-8a7c6e2a1f00"
        let request = WebhookRequest(method: "GET", path: "/", query: TestSigning.query([("challengeCode", code)]))
        let outcome = try adapter.handle(request, secrets: secrets, now: TestSigning.now)
        #expect(outcome.isHandshake)
        #expect(outcome.reply.contentType == "application/json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outcome.reply.body)) as? [String: String])
        #expect(json["challengeCode"] == code)
        #expect(
            json["challengeResponse"] == TestSigning.hex(TestSigning.hmacSHA256("li-client-secret", Array(code.utf8))))
    }

    @Test func challengeWithoutCodeIsRejected() {
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(WebhookRequest(method: "GET", path: "/"), secrets: secrets, now: TestSigning.now)
        }
        #expect(error == .handshakeRejected("challengeCode is missing"))
        #expect(error?.httpStatus == 403)
    }

    @Test func challengeRefusesCodesThatAreNotUUIDs() throws {
        // The oracle: the response for "hmacsha256=" + body is that body's X-LI-Signature, and a
        // POST signed with it is accepted.
        let body = #"{"notifications":[]}"#
        let code = "hmacsha256=" + body
        let bodyMAC = TestSigning.hex(TestSigning.hmacSHA256("li-client-secret", Array(code.utf8)))
        var forged = post(body)
        forged.headers[0].value = bodyMAC
        #expect(try adapter.handle(forged, secrets: secrets, now: TestSigning.now).events.isEmpty)
        let refused = [
            code, "890e4fd7-3f6c-4a4b-9b3c-8a7c6e2a1f0", "890e4fd7-3f6c-4a4b-9b3c-8a7c6e2a1f000",
            "890e4fd7 3f6c-4a4b-9b3c-8a7c6e2a1f00", "890e4fd7-3f6c-4a4b-9b3c-8a7c6e2a1fzz",
            "890e4fd73f6c4a4b9b3c8a7c6e2a1f00",
        ]
        for refusedCode in refused {
            let request = WebhookRequest(
                method: "GET", path: "/", query: TestSigning.query([("challengeCode", refusedCode)]))
            let error = webhookError { () throws(WebhookError) in
                try adapter.handle(request, secrets: secrets, now: TestSigning.now)
            }
            #expect(error?.httpStatus == 400, "\(refusedCode)")
            #expect(!String(describing: error).contains(bodyMAC))
        }
        let upperCase = WebhookRequest(
            method: "GET", path: "/",
            query: TestSigning.query([("challengeCode", "890E4FD7-3F6C-4A4B-9B3C-8A7C6E2A1F00")]))
        #expect(try adapter.handle(upperCase, secrets: secrets, now: TestSigning.now).isHandshake)
    }

    @Test func signatureFailures() {
        let json = envelope(Self.notification(action: "COMMENT"))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post(json, secret: "nope"), secrets: secrets, now: TestSigning.now)
            } == .signatureMismatch("X-LI-Signature"))
        // Signing the body alone (without the "hmacsha256=" prefix) must not pass.
        var unprefixed = post(json)
        unprefixed.headers[0].value = TestSigning.hex(TestSigning.hmacSHA256("li-client-secret", Array(json.utf8)))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(unprefixed, secrets: secrets, now: TestSigning.now)
            }
                == .signatureMismatch("X-LI-Signature"))
        var missing = post(json)
        missing.headers = []
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(missing, secrets: secrets, now: TestSigning.now)
            }
                == .missingSignature("X-LI-Signature"))
        var malformed = post(json)
        malformed.headers[0].value = "xyz"
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(malformed, secrets: secrets, now: TestSigning.now)
            }
                == .malformedSignature("X-LI-Signature", reason: "expected 64 hex digits"))
    }

    @Test func pullFinderPage() throws {
        let page = #"""
            {"elements":[\#(Self.notification(action: "COMMENT")),\#(Self.notification(action: "SHARE_MENTION", id: "6"))],
             "paging":{"start":0,"count":2,"total":5,"links":[{"rel":"next","href":"/rest/organizationalEntityNotifications?q=criteria&start=2&count=2","type":"application/json"}]}}
            """#
        let result = try LinkedInWebhookAdapter.parseNotificationPage(Array(page.utf8))
        #expect(result.events.map(\.eventID) == ["5603453321", "6"])
        #expect(result.total == 5)
        #expect(result.nextPageHref == "/rest/organizationalEntityNotifications?q=criteria&start=2&count=2")
        let last = try LinkedInWebhookAdapter.parseNotificationPage(
            Array(#"{"elements":[],"paging":{"start":4,"count":2}}"#.utf8))
        #expect(last.nextPageHref == nil)
        #expect(last.events.isEmpty)
        #expect(throws: WebhookError.missingField("elements")) {
            try LinkedInWebhookAdapter.parseNotificationPage(Array(#"{"paging":{}}"#.utf8))
        }
    }

    /// One notification that does not parse is kept UNPARSED at its path; the others in the POST
    /// still become events.
    @Test func malformedNotificationIsKeptBesideTheValidOnes() throws {
        let noTime = Self.notification(action: "COMMENT", id: "2")
            .replacingOccurrences(of: #""lastModifiedAt":1691574506310,"#, with: "")
        let badID = Self.notification(action: "COMMENT", id: "1.5e3")
        let json = envelope(Self.notification(action: "COMMENT", id: "1"), noTime, badID)
        let outcome = try adapter.handle(post(json), secrets: secrets, now: TestSigning.now)
        #expect(outcome.events.map(\.eventID) == ["1"])
        #expect(outcome.unparsed.map(\.path) == ["notifications[1]", "notifications[2]"])
        #expect(
            outcome.unparsed.map(\.error) == [
                .missingField("notifications[1].lastModifiedAt"),
                .invalidValue("notifications[2].notificationId", reason: "id 1.5e3 is not an integer"),
            ])
        #expect(outcome.unparsed.allSatisfy { $0.accountID == "urn:li:organization:96072893" })
        // The raw text is the item itself, re-serialised: it parses to the same value.
        let raw = try #require(outcome.unparsed.first?.rawText)
        let reparsed = try RawJSON.parse(Array(raw.utf8))
        let original = try RawJSON.parse(Array(noTime.utf8))
        #expect(reparsed == original)
        #expect(outcome.reply.status == 200)
    }

    @Test func envelopeWithoutNotificationsIsKeptWhole() throws {
        let outcome = try adapter.handle(post(#"{"type":"OTHER"}"#), secrets: secrets, now: TestSigning.now)
        #expect(outcome.events.isEmpty)
        #expect(outcome.unparsed.map(\.path) == ["(root)"])
        #expect(outcome.unparsed.first?.error == .missingField("notifications"))
        #expect(outcome.unparsed.first?.rawText == #"{"type":"OTHER"}"#)
    }
}
