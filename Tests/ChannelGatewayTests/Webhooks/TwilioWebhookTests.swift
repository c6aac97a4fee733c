import Crypto
import Foundation
import Testing

@testable import ChannelGateway

@Suite("Twilio webhooks")
struct TwilioWebhookTests {
    let adapter = TwilioWebhookAdapter()
    let secrets = TwilioWebhookSecrets(authToken: "twilio-auth-token")
    static let url = "https://gw.example.com/webhooks/twilio/chan-1"

    /// Independent signer: URL + params sorted by name, name+value, HMAC-SHA1, base64.
    static func sign(url: String, body: String, token: String) -> String {
        var pairs: [(String, String)] = []
        for part in body.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            pairs.append((kv[0], kv.count > 1 ? kv[1] : ""))
        }
        let signed = pairs.sorted { $0.0 < $1.0 }.reduce(url) { $0 + $1.0 + $1.1 }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Array(signed.utf8), using: SymmetricKey(data: Array(token.utf8)))
        return Data(mac).base64EncodedString()
    }

    func post(_ body: String, token: String = "twilio-auth-token") -> WebhookRequest {
        WebhookRequest(
            method: "POST", path: "/webhooks/twilio/chan-1",
            headers: [
                .init(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                .init(name: "X-Twilio-Signature", value: Self.sign(url: Self.url, body: body, token: token)),
            ], body: Array(body.utf8), publicURL: Self.url)
    }

    func handle(_ body: String) throws(WebhookError) -> WebhookOutcome {
        try adapter.handle(post(body), secrets: secrets, now: TestSigning.now)
    }

    static let incoming = [
        "ToCountry=US&ToState=FL&SmsMessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=1&ToCity=FORT+MEADE",
        "&FromZip=03049&SmsSid=SM0123456789abcdef0123456789abcdef&FromState=NH&SmsStatus=received&FromCity=NASHUA",
        "&Body=Is+the+store+open%3F&FromCountry=US&To=%2B12345678901&MessagingServiceSid=MG0123456789abcdef0123456789abcdef",
        "&ToZip=33841&NumSegments=1&MessageSid=SM0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef",
        "&From=%2B11234567890&ApiVersion=2010-04-01",
        "&MediaContentType0=image%2Fjpeg&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC...%2FMessages%2FMM...%2FMedia%2FME...",
    ].joined()

    @Test func appendixSignatureVector() {
        let params = [
            ("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"), ("From", "+12349013030"),
            ("To", "+18005551212"),
        ].map { (name: $0.0, value: $0.1) }
        let signature = TwilioWebhookAdapter.signature(
            url: "https://mycompany.com/myapp.php?foo=1&bar=2", params: params.reversed(), authToken: "12345")
        #expect(signature == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    }

    @Test func incomingMMS() throws {
        let outcome = try handle(Self.incoming)
        let event = try #require(outcome.events.first)
        #expect(event.platform == .twilio)
        #expect(event.accountID == "+12345678901")
        #expect(event.kind == .directMessage)
        #expect(event.eventID == "SM0123456789abcdef0123456789abcdef")
        #expect(event.threadKey == "+11234567890")
        #expect(event.author?.platformID == "+11234567890")
        #expect(event.text == "Is the store open?")
        #expect(event.occurredAt == TestSigning.now)
        #expect(event.attachments.count == 1)
        #expect(event.attachments.first?.mimeType == "image/jpeg")
        #expect(event.attachments.first?.url?.hasPrefix("https://api.twilio.com/2010-04-01/Accounts/") == true)
        #expect(event.optOut == nil)
        #expect(outcome.reply.contentType == "text/xml")
        #expect(outcome.reply.bodyText == #"<?xml version="1.0" encoding="UTF-8"?><Response/>"#)
    }

    @Test(arguments: [
        ("STOP", true), ("  stop \n", true), ("Unsubscribe", true), ("end", true), ("QUIT", true), ("stopall", true),
        ("revoke", true), ("OptOut", true), ("cancel", true), ("start", false), (" Yes ", false), ("UNSTOP", false),
    ])
    func optOutKeywords(body: String, optedOut: Bool) throws {
        let form =
            "MessageSid=SM1&From=%2B11234567890&To=%2B12345678901&NumMedia=0&Body="
            + (body.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        let event = try #require(try handle(form).events.first)
        #expect(
            event.optOut
                == OptOutChange(
                    optedOut: optedOut, keyword: body.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()))
    }

    @Test func keywordInsideSentenceIsNotOptOut() throws {
        let event = try #require(try handle("MessageSid=SM2&From=%2B1&To=%2B2&Body=please+stop+calling").events.first)
        #expect(event.optOut == nil)
    }

    @Test func statusCallback() throws {
        let body =
            "MessageSid=SM9f0e&MessageStatus=undelivered&SmsSid=SM9f0e&SmsStatus=undelivered&AccountSid=AC1&From=%2B12345678901&To=%2B11234567890&ApiVersion=2010-04-01&ErrorCode=30003"
        let event = try #require(try handle(body).events.first)
        #expect(event.kind == .deliveryStatus)
        #expect(event.eventID == "SM9f0e:undelivered")
        #expect(event.accountID == "+12345678901")
        #expect(event.threadKey == "+11234567890")
        #expect(
            event.deliveryStatus
                == DeliveryStatusUpdate(
                    messageID: "SM9f0e", state: .failed, platformStatus: "undelivered", errorCode: "30003"))
        let delivered = try #require(
            try handle("MessageSid=SM9f0e&MessageStatus=delivered&From=%2B1&To=%2B2").events.first)
        #expect(delivered.deliveryStatus?.state == .delivered)
        #expect(delivered.deliveryStatus?.errorCode == nil)
        let queued = try #require(try handle("MessageSid=SM9f0e&MessageStatus=queued&From=%2B1&To=%2B2").events.first)
        #expect(queued.deliveryStatus?.state == .pending)
        #expect(queued.deliveryStatus?.platformStatus == "queued")
    }

    @Test func signatureFailures() {
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post(Self.incoming, token: "other"), secrets: secrets, now: TestSigning.now)
            } == .signatureMismatch("X-Twilio-Signature"))
        var tampered = post(Self.incoming)
        tampered.body = Array(Self.incoming.replacingOccurrences(of: "open", with: "shut").utf8)
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(tampered, secrets: secrets, now: TestSigning.now)
            }
                == .signatureMismatch("X-Twilio-Signature"))
        var otherURL = post(Self.incoming)
        otherURL.publicURL = "http://gw.example.com/webhooks/twilio/chan-1"
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(otherURL, secrets: secrets, now: TestSigning.now)
            }
                == .signatureMismatch("X-Twilio-Signature"))
        var missing = post(Self.incoming)
        missing.headers.removeLast()
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(missing, secrets: secrets, now: TestSigning.now)
            }
                == .missingSignature("X-Twilio-Signature"))
        var malformed = post(Self.incoming)
        malformed.headers[1].value = "abc"
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(malformed, secrets: secrets, now: TestSigning.now)
            }
                == .malformedSignature("X-Twilio-Signature", reason: "expected base64 of a 20-byte HMAC-SHA1"))
    }

    @Test func malformedForms() {
        #expect(
            webhookError { () throws(WebhookError) in try handle("MessageSid=SM1&From=%2B1&To=%2B2&Body=%E2%28") }
                == .malformedBody("form field 3: invalid UTF-8"))
        #expect(
            webhookError { () throws(WebhookError) in try handle("MessageSid=SM1&From=%2B1&To=%2B2&Body=100%") }
                == .malformedBody("form field 3: bad percent escape"))
    }

    /// Well-formed form data that is not a message we can read is accepted and kept whole as
    /// UNPARSED (the body's text, routed by `To`), never refused: Twilio would retry once and drop it.
    @Test func unreadableMessagesAreKeptUnparsed() throws {
        let cases: [(String, WebhookError)] = [
            ("From=%2B1&To=%2B2&Body=hi", .missingField("MessageSid")),
            ("MessageSid=SM1&From=%2B1&To=%2B2&NumMedia=2&MediaUrl0=u", .missingField("MediaUrl1")),
            (
                "MessageSid=SM1&From=%2B1&To=%2B2&NumMedia=99999999999999999999",
                .invalidValue("NumMedia", reason: "99999999999999999999 is not a count from 0 to 10")
            ),
        ]
        for (body, error) in cases {
            let outcome = try handle(body)
            #expect(outcome.events.isEmpty)
            let entry = try #require(outcome.unparsed.first)
            #expect(outcome.unparsed.count == 1)
            #expect(entry.error == error)
            #expect(entry.path == "(root)")
            #expect(entry.rawText == body)
            #expect(entry.accountID == "+2")
            #expect(entry.platform == .twilio)
            #expect(entry.receivedAt == TestSigning.now)
            #expect(outcome.reply.bodyText == #"<?xml version="1.0" encoding="UTF-8"?><Response/>"#)
        }
    }
}
