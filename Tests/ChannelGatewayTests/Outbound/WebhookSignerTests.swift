import Crypto
import Foundation
import PlatformJSON
import TestSupport
import Testing
import _CryptoExtras

/// The fakes' webhook signers against CHANNELS.md's appendix vectors and values computed with
/// Python's `hmac`/`hashlib` and `openssl enc` (independent implementations).
@Suite("Webhook signers")
struct WebhookSignerTests {
    @Test("Twilio §8.2 vector")
    func twilio() {
        let signature = TwilioWebhookSigner.signature(
            url: "https://mycompany.com/myapp.php?foo=1&bar=2",
            params: [
                ("To", "+18005551212"), ("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"),
                ("Digits", "1234"),
                ("From", "+12349013030"),
            ], authToken: "12345")
        #expect(signature == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    }

    @Test("X CRC appendix vector and body signature")
    func x() {
        #expect(
            XWebhookSigner.crcResponseToken(
                crcToken: "9b4507b3-9040-4669-9ca3-6b94edb50553",
                consumerSecret: "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu")
                == "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=")
        let signed = XWebhookSigner.signed(["a": 1], url: "http://h/x", consumerSecret: "consumersecret")
        #expect(signed.headers["x-twitter-webhooks-signature"] == "sha256=mGU/UYmxvyeWLCay416PO4ApMZkfF29UbLA2YnywTts=")
    }

    @Test("WeChat §9.1 vector")
    func weChat() {
        #expect(
            WeChatWebhookSigner.signature(token: "wxtoken", timestamp: "1790000000", nonce: "123456")
                == "8021d29e28697796341cfecb73ffe341a24d07f0")
    }

    @Test("WeChat AES mode: ciphertext and msg_signature match openssl; layout decrypts back")
    func weChatAES() throws {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        let xml = "<xml><Content><![CDATA[hi]]></Content></xml>"
        let signed = try WeChatWebhookSigner.signedEncrypted(
            xml: xml, toUserName: "gh_866835093fea", url: "http://h/wechat", token: "wxtoken", encodingAESKey: key,
            appID: "wx1234567890abcdef", timestamp: "1790000000", nonce: "123456")
        let expected =
            "Q3stYC6hdFzMh9T8HCvyDMnsu8c340VXOKAu7L4L/b1P2o/5A49YbJ2j9ii79bXaOrdISKwixZyWnwUN43wSo5tkRn7w+juueyWa26YiV7asB+0fMLsnEb+alk7/LEr4"
        #expect(String(decoding: signed.body, as: UTF8.self).contains("<Encrypt><![CDATA[\(expected)]]></Encrypt>"))
        #expect(signed.url.contains("msg_signature=6cf10766320822555df48f75c9d95d71fe6fcf20"))
        #expect(signed.url.contains("encrypt_type=aes"))
        let keyBytes = try #require(Data(base64Encoded: key + "="))
        let plain = try AES._CBC.decrypt(
            try #require(Data(base64Encoded: expected)), using: SymmetricKey(data: keyBytes),
            iv: try AES._CBC.IV(ivBytes: keyBytes.prefix(16)), noPadding: true)
        let length = Int(plain[16]) << 24 | Int(plain[17]) << 16 | Int(plain[18]) << 8 | Int(plain[19])
        #expect(String(decoding: plain[20..<(20 + length)], as: UTF8.self) == xml)
    }

    @Test("Meta: non-ASCII escaped as lowercase \\uXXXX (surrogate pairs), signature over those bytes")
    func meta() {
        let payload: WireJSON = ["object": "page", "entry": [["id": "1", "text": "äöå 😀"]]]
        let signed = MetaWebhookSigner.signed(payload, url: "http://h/fb", appSecret: "appsecret")
        #expect(
            String(decoding: signed.body, as: UTF8.self)
                == #"{"entry":[{"id":"1","text":"\u00e4\u00f6\u00e5 \ud83d\ude00"}],"object":"page"}"#)
        #expect(
            signed.headers["x-hub-signature-256"]
                == "sha256=e1ebaf898a9d0e6a9f1e6d4063dc188943b1228147493cca1d13668052268c9e")
    }

    @Test("LinkedIn signature over \"hmacsha256=\" + body, and the challenge response")
    func linkedIn() {
        let signed = LinkedInWebhookSigner.signed(["a": 1], url: "http://h/li", clientSecret: "clientsecret")
        #expect(signed.headers["x-li-signature"] == "5fedf7264f6d213c8271113482eb33a824d73bb1d6f16425c5814b46f4cf6a82")
        #expect(
            LinkedInWebhookSigner.challengeResponse(
                challengeCode: "f6e8a2f4-0c9e-4b8a-9c39-0f0e3c7d1a55", clientSecret: "clientsecret")
                == "fc01566786f0a6960a7f5a1774c7278152301d8bf3ac2092212017aa4f8acf88")
    }

    @Test("TikTok t=,s= header over t + \".\" + body")
    func tiktok() {
        let signed = TikTokWebhookSigner.signed(
            ["a": 1], url: "http://h/tt", secret: "ttsecret", timestamp: 1_633_174_587)
        #expect(
            signed.headers["tiktok-signature"]
                == "t=1633174587,s=edc855b4e9e819cadeed6be26cf3e0263c0d263b975e251c6ce8df4496082cb4")
    }

    @Test("TikTok payload keeps 64-bit ids as bare numbers inside the content string")
    func tiktokBigIntegers() throws {
        let payload = WebhookPayloads.tiktokCommentUpdate(
            clientKey: "aw1", businessOpenID: "biz", commentID: 7_247_303_576_418_566_913,
            videoID: 7_203_946_942_097_902_849,
            parentCommentID: nil, action: "insert", uniqueIdentifier: "user_7c2f", text: nil, createTime: 1_790_002_000,
            timestampMs: 1_687_394_416_109)
        let content = try #require(payload["content"]?.text)
        #expect(content.contains("\"comment_id\":7247303576418566913,\"video_id\":7203946942097902849"))
    }

    @Test("Twilio webhooks are form-encoded with the signature over URL + sorted params")
    func twilioForm() {
        let params = WebhookPayloads.twilioSMS(
            accountSID: "AC1", messageSID: "SM1", from: "+11234567890", to: "+12345678901", body: "Is the store open?")
        let signed = TwilioWebhookSigner.signed(
            params, url: "https://gw.example.com/webhooks/twilio/ch1", authToken: "tok")
        #expect(String(decoding: signed.body, as: UTF8.self).contains("Body=Is%20the%20store%20open%3F"))
        #expect(signed.headers["content-type"] == "application/x-www-form-urlencoded")
    }
}
