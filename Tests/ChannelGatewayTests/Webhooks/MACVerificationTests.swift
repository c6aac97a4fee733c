import Foundation
import Testing

@testable import ChannelGateway

/// Every signature scheme refuses a MAC (or digest, or shared secret) that differs from the right
/// one only in its last byte: the check compares the whole value, not a prefix.
@Suite("MAC verification")
struct MACVerificationTests {
    /// The same hex value with its last byte changed.
    static func lastByteFlipped(hex: String) throws -> String {
        var bytes = try #require(SignatureSupport.decodeHex(hex))
        bytes[bytes.count - 1] ^= 0x01
        return TestSigning.hex(bytes)
    }

    /// The same base64 value with its last byte changed.
    static func lastByteFlipped(base64: String) throws -> String {
        var bytes = try #require(Data(base64Encoded: base64))
        bytes[bytes.count - 1] ^= 0x01
        return bytes.base64EncodedString()
    }

    /// `request` passes, and the copy made by `tamper` is refused with `expected`.
    func expectOnlyExactMAC<Adapter: WebhookAdapter>(
        _ adapter: Adapter, _ request: WebhookRequest, secrets: Adapter.Secrets,
        tamper: (inout WebhookRequest) throws -> Void, expected: WebhookError
    ) throws {
        #expect((try? adapter.handle(request, secrets: secrets, now: TestSigning.now)) != nil)
        var tampered = request
        try tamper(&tampered)
        #expect(tampered != request)
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(tampered, secrets: secrets, now: TestSigning.now)
            } == expected)
    }

    @Test func metaHubSignature() throws {
        try expectOnlyExactMAC(
            FacebookWebhookAdapter(), TestSigning.metaPost(FacebookWebhookTests.messengerText),
            secrets: TestSigning.metaSecrets,
            tamper: { request in
                let hex = String(request.headers[0].value.dropFirst("sha256=".count))
                request.headers[0].value = try "sha256=" + Self.lastByteFlipped(hex: hex)
            }, expected: .signatureMismatch("X-Hub-Signature-256"))
    }

    @Test func xSignature() throws {
        let tests = XWebhookTests()
        try expectOnlyExactMAC(
            XWebhookAdapter(), tests.post(XWebhookTests.directMessage), secrets: tests.secrets,
            tamper: { request in
                let base64 = String(request.headers[0].value.dropFirst("sha256=".count))
                request.headers[0].value = try "sha256=" + Self.lastByteFlipped(base64: base64)
            }, expected: .signatureMismatch("x-twitter-webhooks-signature"))
    }

    @Test func linkedInSignature() throws {
        let tests = LinkedInWebhookTests()
        let json = tests.envelope(LinkedInWebhookTests.notification(action: "COMMENT"))
        try expectOnlyExactMAC(
            LinkedInWebhookAdapter(), tests.post(json), secrets: tests.secrets,
            tamper: { request in
                request.headers[0].value = try Self.lastByteFlipped(hex: request.headers[0].value)
            }, expected: .signatureMismatch("X-LI-Signature"))
    }

    @Test func tiktokSignature() throws {
        let tests = TikTokWebhookTests()
        try expectOnlyExactMAC(
            TikTokWebhookAdapter(), tests.post(TikTokWebhookTests.envelope(content: TikTokWebhookTests.reply)),
            secrets: tests.secrets,
            tamper: { request in
                let parts = request.headers[0].value.split(separator: ",", maxSplits: 1).map(String.init)
                let signature = try #require(parts.last)
                let hex = String(signature.dropFirst("s=".count))
                request.headers[0].value = try parts[0] + ",s=" + Self.lastByteFlipped(hex: hex)
            }, expected: .signatureMismatch("TikTok-Signature"))
    }

    @Test func twilioSignature() throws {
        let tests = TwilioWebhookTests()
        try expectOnlyExactMAC(
            TwilioWebhookAdapter(), tests.post(TwilioWebhookTests.incoming), secrets: tests.secrets,
            tamper: { request in
                request.headers[1].value = try Self.lastByteFlipped(base64: request.headers[1].value)
            }, expected: .signatureMismatch("X-Twilio-Signature"))
    }

    @Test func weChatQuerySignature() throws {
        let tests = WeChatWebhookTests()
        try expectOnlyExactMAC(
            WeChatWebhookAdapter(), tests.post(WeChatWebhookTests.text), secrets: tests.plainSecrets,
            tamper: { request in
                request.query[0].value = try Self.lastByteFlipped(hex: request.query[0].value)
            }, expected: .signatureMismatch("signature"))
    }

    @Test func weChatMsgSignature() throws {
        let tests = WeChatWebhookTests()
        let request = tests.aesPost(encrypted: try WeChatWebhookTests.encrypt(WeChatWebhookTests.text))
        try expectOnlyExactMAC(
            WeChatWebhookAdapter(), request, secrets: tests.secrets,
            tamper: { request in
                let last = request.query.count - 1
                request.query[last].value = try Self.lastByteFlipped(hex: request.query[last].value)
            }, expected: .signatureMismatch("msg_signature"))
    }

    @Test func telegramSecretToken() throws {
        let tests = TelegramWebhookTests()
        try expectOnlyExactMAC(
            TelegramWebhookAdapter(), tests.post(TelegramWebhookTests.message), secrets: tests.secrets,
            tamper: { request in
                request.headers[0].value = String(request.headers[0].value.dropLast()) + "4"
            }, expected: .signatureMismatch("X-Telegram-Bot-Api-Secret-Token"))
    }
}
