import Foundation
import PlatformJSON

/// A subscription handshake as each platform sends it (a GET to the webhook URL) and what a
/// correct answer contains, so end-to-end tests can check the gateway's side of it.
public struct WebhookHandshake: Sendable, Hashable {
    /// The GET URL, query included.
    public var url: String
    /// The body a correct endpoint answers with (exact bytes for Meta and WeChat; for X and
    /// LinkedIn the JSON, compare structurally).
    public var expectedBody: String

    /// Meta (Facebook, Instagram, WhatsApp): `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`;
    /// the answer is the challenge as plain text (§1.1).
    public static func meta(url: String, verifyToken: String, challenge: String = "1158201444") -> WebhookHandshake {
        let query = FormEncoding.encode([
            ("hub.mode", "subscribe"), ("hub.verify_token", verifyToken), ("hub.challenge", challenge),
        ])
        return WebhookHandshake(url: url + "?" + query, expectedBody: challenge)
    }

    /// X CRC: `crc_token`; the answer is `{"response_token":"sha256=<base64>"}` (§4.1).
    public static func xCRC(url: String, consumerSecret: String, crcToken: String) -> WebhookHandshake {
        let token = XWebhookSigner.crcResponseToken(crcToken: crcToken, consumerSecret: consumerSecret)
        return WebhookHandshake(
            url: url + "?" + FormEncoding.encode([("crc_token", crcToken)]),
            expectedBody: String(decoding: WireJSON.object(["response_token": .string(token)]).encoded, as: UTF8.self))
    }

    /// LinkedIn validation: `challengeCode`; the answer is `{"challengeCode","challengeResponse"}` (§5.1).
    public static func linkedIn(url: String, clientSecret: String, challengeCode: String) -> WebhookHandshake {
        let response = LinkedInWebhookSigner.challengeResponse(challengeCode: challengeCode, clientSecret: clientSecret)
        let body: WireJSON = ["challengeCode": .string(challengeCode), "challengeResponse": .string(response)]
        return WebhookHandshake(
            url: url + "?" + FormEncoding.encode([("challengeCode", challengeCode)]),
            expectedBody: String(decoding: body.encoded, as: UTF8.self))
    }

    /// WeChat server verification: `signature`, `timestamp`, `nonce`, `echostr`; the answer is
    /// `echostr` verbatim (§9.1).
    public static func weChat(url: String, token: String, timestamp: String, nonce: String, echostr: String)
        -> WebhookHandshake
    {
        let signature = WeChatWebhookSigner.signature(token: token, timestamp: timestamp, nonce: nonce)
        let query = FormEncoding.encode([
            ("signature", signature), ("timestamp", timestamp), ("nonce", nonce), ("echostr", echostr),
        ])
        return WebhookHandshake(url: url + "?" + query, expectedBody: echostr)
    }
}
