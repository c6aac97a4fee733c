import Crypto
import Foundation
import _CryptoExtras

/// WeChat Official Account pushes: the query `signature` (SHA-1 of the sorted token, timestamp,
/// nonce) in plaintext mode; in AES mode also `encrypt_type=aes` and `msg_signature` over the
/// sorted token, timestamp, nonce and `Encrypt` (CHANNELS.md §9.1–9.2).
///
/// `timestamp` is what WeChat puts in the query: the time of signing, in Unix seconds. The gateway
/// refuses one outside its replay window (five minutes by default) of the time it receives the
/// push, so pass the current time, or a time close to the `now` the receiving test uses.
public enum WeChatWebhookSigner {
    public static func signature(token: String, timestamp: String, nonce: String) -> String {
        sha1Hex([token, timestamp, nonce])
    }

    public static func msgSignature(token: String, timestamp: String, nonce: String, encrypt: String) -> String {
        sha1Hex([token, timestamp, nonce, encrypt])
    }

    /// A plaintext-mode push of `xml` to `url`; the gateway accepts these only for a channel with
    /// `allowPlaintext` set (`WeChatWebhookSecrets`).
    public static func signed(xml: String, url: String, token: String, timestamp: String, nonce: String)
        -> SignedWebhook
    {
        let query = FormEncoding.encode([
            ("signature", signature(token: token, timestamp: timestamp, nonce: nonce)), ("timestamp", timestamp),
            ("nonce", nonce),
        ])
        return SignedWebhook(url: url + "?" + query, headers: ["content-type": "text/xml"], body: Array(xml.utf8))
    }

    /// An AES-mode push: the body is `<xml><ToUserName/><Encrypt/></xml>`.
    public static func signedEncrypted(
        xml: String, toUserName: String, url: String, token: String, encodingAESKey: String, appID: String,
        timestamp: String, nonce: String, random: [UInt8] = Array("0123456789abcdef".utf8)
    ) throws -> SignedWebhook {
        let encrypt = try encrypt(xml: xml, encodingAESKey: encodingAESKey, appID: appID, random: random)
        let query = FormEncoding.encode([
            ("signature", signature(token: token, timestamp: timestamp, nonce: nonce)), ("timestamp", timestamp),
            ("nonce", nonce), ("encrypt_type", "aes"),
            ("msg_signature", msgSignature(token: token, timestamp: timestamp, nonce: nonce, encrypt: encrypt)),
        ])
        let body =
            "<xml><ToUserName><![CDATA[\(toUserName)]]></ToUserName><Encrypt><![CDATA[\(encrypt)]]></Encrypt></xml>"
        return SignedWebhook(url: url + "?" + query, headers: ["content-type": "text/xml"], body: Array(body.utf8))
    }

    /// AES-256-CBC, key = Base64(EncodingAESKey + "="), IV = first 16 key bytes; plaintext = 16
    /// random bytes ‖ 4-byte big-endian length ‖ xml ‖ AppID, PKCS#7-padded to a multiple of 32
    /// bytes as WeChat's own sample code does (so padding can exceed one AES block).
    public static func encrypt(xml: String, encodingAESKey: String, appID: String, random: [UInt8]) throws -> String {
        guard let keyBytes = Data(base64Encoded: encodingAESKey + "="), keyBytes.count == 32 else {
            throw WeChatCryptoError.badEncodingAESKey
        }
        let message = Array(xml.utf8)
        let length = UInt32(message.count)
        var plain = Array(random.prefix(16))
        plain += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        plain += message + Array(appID.utf8)
        let pad = 32 - plain.count % 32
        plain += Array(repeating: UInt8(pad), count: pad)
        let iv = try AES._CBC.IV(ivBytes: Array(keyBytes.prefix(16)))
        let cipher = try AES._CBC.encrypt(plain, using: SymmetricKey(data: keyBytes), iv: iv, noPadding: true)
        return cipher.base64EncodedString()
    }

    private static func sha1Hex(_ parts: [String]) -> String {
        WebhookCrypto.hex(Insecure.SHA1.hash(data: Array(parts.sorted().joined().utf8)))
    }
}

/// The EncodingAESKey is not 43 base64 characters of a 32-byte key.
public enum WeChatCryptoError: Error {
    case badEncodingAESKey
}
