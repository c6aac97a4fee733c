import Crypto
import Foundation
import PlatformJSON

/// Meta (Facebook, Instagram, WhatsApp): JSON with every non-ASCII character escaped as a
/// lowercase `\uXXXX` (as Meta serialises), signed `X-Hub-Signature-256: sha256=<hex>` with the App Secret.
public enum MetaWebhookSigner {
    public static func signed(_ payload: WireJSON, url: String, appSecret: String) -> SignedWebhook {
        let body = escapedJSON(payload)
        return SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/json", "x-hub-signature-256": signature(body, appSecret: appSecret),
            ],
            body: body)
    }

    public static func signature(_ body: [UInt8], appSecret: String) -> String {
        "sha256=" + WebhookCrypto.hex(HMAC<SHA256>.authenticationCode(for: body, using: key(appSecret)))
    }

    /// Compact JSON with non-ASCII as `\uXXXX` (UTF-16 units, lowercase hex, surrogate pairs).
    public static func escapedJSON(_ value: WireJSON) -> [UInt8] {
        var result: [UInt8] = []
        for unit in String(decoding: value.encoded, as: UTF8.self).utf16 {
            if unit < 0x80 {
                result.append(UInt8(unit))
            } else {
                let hex = String(unit, radix: 16)
                result += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            }
        }
        return result
    }
}

/// X Account Activity: `x-twitter-webhooks-signature: sha256=<base64>` over the body, and the CRC answer.
public enum XWebhookSigner {
    public static func signed(_ payload: WireJSON, url: String, consumerSecret: String) -> SignedWebhook {
        let body = payload.encoded
        return SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/json", "x-twitter-webhooks-signature": signature(body, consumerSecret),
            ],
            body: body)
    }

    public static func signature(_ bytes: [UInt8], _ consumerSecret: String) -> String {
        "sha256=" + Data(HMAC<SHA256>.authenticationCode(for: bytes, using: key(consumerSecret))).base64EncodedString()
    }

    /// The `response_token` for a CRC GET.
    public static func crcResponseToken(crcToken: String, consumerSecret: String) -> String {
        signature(Array(crcToken.utf8), consumerSecret)
    }
}

/// LinkedIn: `X-LI-Signature` = hex HMAC-SHA256(clientSecret, "hmacsha256=" + body) (CHANNELS.md
/// §5.2, from a third-party summary), and the `challengeResponse` for validation GETs.
public enum LinkedInWebhookSigner {
    public static func signed(_ payload: WireJSON, url: String, clientSecret: String) -> SignedWebhook {
        let body = payload.encoded
        return SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/json", "x-li-signature": signature(body, clientSecret: clientSecret),
            ],
            body: body)
    }

    public static func signature(_ body: [UInt8], clientSecret: String) -> String {
        WebhookCrypto.hex(
            HMAC<SHA256>.authenticationCode(for: Array("hmacsha256=".utf8) + body, using: key(clientSecret)))
    }

    public static func challengeResponse(challengeCode: String, clientSecret: String) -> String {
        WebhookCrypto.hex(HMAC<SHA256>.authenticationCode(for: Array(challengeCode.utf8), using: key(clientSecret)))
    }
}

/// TikTok: `TikTok-Signature: t=<unix>,s=<hex HMAC-SHA256(secret, t + "." + body)>`.
public enum TikTokWebhookSigner {
    public static func signed(_ payload: WireJSON, url: String, secret: String, timestamp: Int) -> SignedWebhook {
        let body = payload.encoded
        return SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/json",
                "tiktok-signature": header(body, secret: secret, timestamp: timestamp),
            ],
            body: body)
    }

    public static func header(_ body: [UInt8], secret: String, timestamp: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: key(secret))
        return "t=\(timestamp),s=\(WebhookCrypto.hex(mac))"
    }
}

/// Telegram: no signature; the `secret_token` given to `setWebhook` comes back in a header.
public enum TelegramWebhookSigner {
    public static func signed(_ update: WireJSON, url: String, secretToken: String) -> SignedWebhook {
        SignedWebhook(
            url: url,
            headers: ["content-type": "application/json", "x-telegram-bot-api-secret-token": secretToken],
            body: update.encoded)
    }
}

/// Twilio: form body; `X-Twilio-Signature` = base64 HMAC-SHA1(auth token, URL + params sorted by
/// name, each as name + value).
public enum TwilioWebhookSigner {
    public static func signed(_ params: [(String, String)], url: String, authToken: String) -> SignedWebhook {
        SignedWebhook(
            url: url,
            headers: [
                "content-type": "application/x-www-form-urlencoded",
                "x-twilio-signature": signature(url: url, params: params, authToken: authToken),
            ],
            body: Array(FormEncoding.encode(params).utf8))
    }

    public static func signature(url: String, params: [(String, String)], authToken: String) -> String {
        let sorted = params.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        let signed = url + sorted.map { $0.0 + $0.1 }.joined()
        return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Array(signed.utf8), using: key(authToken)))
            .base64EncodedString()
    }
}

private func key(_ secret: String) -> SymmetricKey {
    SymmetricKey(data: Array(secret.utf8))
}

enum WebhookCrypto {
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
