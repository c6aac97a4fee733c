import Crypto
import Foundation
import Testing
import _CryptoExtras

@testable import ChannelGateway

@Suite("WeChat webhooks")
struct WeChatWebhookTests {
    let adapter = WeChatWebhookAdapter()
    static let aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    static let appID = "wx1234567890abcdef"
    let secrets = WeChatWebhookSecrets(token: "wxtoken", encodingAESKey: aesKey, appID: appID)
    /// Plaintext-mode channel: token only, plaintext explicitly allowed.
    let plainSecrets = WeChatWebhookSecrets(token: "wxtoken", allowPlaintext: true)
    /// The signed `timestamp` of the requests built here: 100 s before ``TestSigning/now``.
    static let timestamp = "1790002000"

    static func sha1Hex(_ parts: [String]) -> String {
        TestSigning.hex(Array(Insecure.SHA1.hash(data: Array(parts.sorted().joined().utf8))))
    }

    func query(
        timestamp: String = WeChatWebhookTests.timestamp, nonce: String = "123456", extra: [(String, String)] = []
    ) -> [WebhookRequest.QueryItem] {
        TestSigning.query(
            [("signature", Self.sha1Hex(["wxtoken", timestamp, nonce])), ("timestamp", timestamp), ("nonce", nonce)]
                + extra)
    }

    func post(_ xml: String, timestamp: String = WeChatWebhookTests.timestamp) -> WebhookRequest {
        WebhookRequest(method: "POST", path: "/", query: query(timestamp: timestamp), body: Array(xml.utf8))
    }

    /// Independent WeChat encryption: random16 ‖ BE length ‖ xml ‖ appID, PKCS#7 to 32 bytes, AES-256-CBC.
    static func encrypt(_ xml: String, appID: String = appID, key: String = aesKey) throws -> String {
        let keyBytes = try #require(Data(base64Encoded: key + "="))
        let message = Array(xml.utf8)
        var plain: [UInt8] = Array(0..<16)
        withUnsafeBytes(of: UInt32(message.count).bigEndian) { plain += $0 }
        plain += message + Array(appID.utf8)
        let pad = 32 - plain.count % 32
        plain += Array(repeating: UInt8(pad), count: pad)
        let sealed = try AES._CBC.encrypt(
            plain, using: SymmetricKey(data: keyBytes), iv: AES._CBC.IV(ivBytes: keyBytes.prefix(16)), noPadding: true)
        return sealed.base64EncodedString()
    }

    func aesPost(
        encrypted: String, msgSignature: String? = nil, timestamp: String = WeChatWebhookTests.timestamp
    ) -> WebhookRequest {
        let signature = msgSignature ?? Self.sha1Hex(["wxtoken", timestamp, "123456", encrypted])
        let body =
            "<xml><ToUserName><![CDATA[gh_866835093fea]]></ToUserName><Encrypt><![CDATA[\(encrypted)]]></Encrypt></xml>"
        return WebhookRequest(
            method: "POST", path: "/",
            query: query(timestamp: timestamp, extra: [("encrypt_type", "aes"), ("msg_signature", signature)]),
            body: Array(body.utf8))
    }

    static let text = """
        <xml>
          <ToUserName><![CDATA[gh_866835093fea]]></ToUserName>
          <FromUserName><![CDATA[ogdotwSc_MmEEsJs9-ABZ1QL_4r4]]></FromUserName>
          <CreateTime>1790004000</CreateTime>
          <MsgType><![CDATA[text]]></MsgType>
          <Content><![CDATA[我的订单到哪了？]]></Content>
          <MsgId>6349323426230210995</MsgId>
        </xml>
        """

    @Test func appendixSignatureVector() {
        #expect(
            WeChatWebhookAdapter.signature(["wxtoken", "1790000000", "123456"])
                == "8021d29e28697796341cfecb73ffe341a24d07f0")
    }

    @Test func handshakeEchoesVerbatim() throws {
        // The §9.1 vector, received a minute after its timestamp.
        let now = unixDate(1_790_000_060)
        let request = WebhookRequest(
            method: "GET", path: "/",
            query: query(timestamp: "1790000000", extra: [("echostr", "5837397520918711238")]))
        let outcome = try adapter.handle(request, secrets: secrets, now: now)
        #expect(outcome.isHandshake)
        #expect(outcome.reply.bodyText == "5837397520918711238")
        #expect(request.queryValue("signature") == "8021d29e28697796341cfecb73ffe341a24d07f0")
        var wrong = request
        wrong.query[0].value = String(repeating: "0", count: 40)
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(wrong, secrets: secrets, now: now)
        }
        #expect(error == .handshakeRejected("signature does not match the token"))
        #expect(error?.httpStatus == 403)
    }

    @Test func replaysOutsideTheWindowAreRefused() throws {
        // A push signed 2100 s before it arrives: the signature is right, the time is not.
        let old = "1790000000"
        let stale = WebhookError.staleTimestamp(signedAt: 1_790_000_000, now: 1_790_002_100, window: 300)
        let plain = post(Self.text, timestamp: old)
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(plain, secrets: plainSecrets, now: TestSigning.now)
            } == stale)
        #expect(stale.httpStatus == 401)
        let encrypted = try Self.encrypt(Self.text)
        let aes = aesPost(encrypted: encrypted, timestamp: old)
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(aes, secrets: secrets, now: TestSigning.now)
            } == stale)
        // Signed in the future beyond the window (either direction counts).
        let ahead = post(Self.text, timestamp: "1790002401")
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(ahead, secrets: plainSecrets, now: TestSigning.now)
            } == .staleTimestamp(signedAt: 1_790_002_401, now: 1_790_002_100, window: 300))
        // The same requests pass when they arrive in time, or with a wider configured window.
        #expect(try adapter.handle(plain, secrets: plainSecrets, now: unixDate(1_790_000_100)).events.count == 1)
        #expect(try adapter.handle(aes, secrets: secrets, now: unixDate(1_790_000_100)).events.count == 1)
        let edge = post(Self.text, timestamp: "1790001800")
        #expect(try adapter.handle(edge, secrets: plainSecrets, now: TestSigning.now).events.count == 1)
        var wider = plainSecrets
        wider.replayWindow = ReplayWindow(seconds: 3600)
        #expect(try adapter.handle(plain, secrets: wider, now: TestSigning.now).events.count == 1)
        // The echostr handshake too.
        let handshake = WebhookRequest(
            method: "GET", path: "/", query: query(timestamp: old, extra: [("echostr", "e1")]))
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(handshake, secrets: secrets, now: TestSigning.now)
        }
        #expect(error == .handshakeRejected("timestamp 1790000000 is outside the replay window"))
        #expect(error?.httpStatus == 403)
        var unixless = post(Self.text, timestamp: "soon")
        unixless.query[0].value = Self.sha1Hex(["wxtoken", "soon", "123456"])
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(unixless, secrets: plainSecrets, now: TestSigning.now)
            } == .malformedSignature("timestamp", reason: "not Unix seconds"))
    }

    @Test func plaintextNeedsAnExplicitOptIn() throws {
        // Why: the plaintext signature does not cover the body, so a signed URL carries any body.
        let forged = post(Self.text.replacingOccurrences(of: "我的订单到哪了？", with: "forged"))
        #expect(try adapter.handle(forged, secrets: plainSecrets, now: TestSigning.now).events.first?.text == "forged")
        let tokenOnly = WeChatWebhookSecrets(token: "wxtoken")
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(forged, secrets: tokenOnly, now: TestSigning.now)
        }
        #expect(error == .notConfigured("WeChat EncodingAESKey (plaintext mode needs allowPlaintext)"))
        #expect(WeChatWebhookSecrets().allowPlaintext == false)
        // The handshake carries no message and works either way.
        let handshake = WebhookRequest(method: "GET", path: "/", query: query(extra: [("echostr", "e1")]))
        #expect(try adapter.handle(handshake, secrets: tokenOnly, now: TestSigning.now).reply.bodyText == "e1")
    }

    @Test func tamperedCiphertextIsRefusedBeforeDecrypting() throws {
        let encrypted = try Self.encrypt(Self.text)
        let captured = aesPost(encrypted: encrypted)
        var ciphertext = try #require(Data(base64Encoded: encrypted))
        ciphertext[0] ^= 0x80
        let tamperedEncrypt = ciphertext.base64EncodedString()
        // The query (valid `signature`, the original `msg_signature`) stays; only Encrypt changes.
        var tampered = captured
        tampered.body = Array(
            String(decoding: captured.body, as: UTF8.self).replacingOccurrences(of: encrypted, with: tamperedEncrypt)
                .utf8)
        #expect(tampered.body != captured.body)
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(tampered, secrets: secrets, now: TestSigning.now)
            } == .signatureMismatch("msg_signature"))
        // Not even a cipher is built: an unusable EncodingAESKey would fail first if it were.
        let unusableKey = WeChatWebhookSecrets(token: "wxtoken", encodingAESKey: "short", appID: Self.appID)
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(tampered, secrets: unusableKey, now: TestSigning.now)
            } == .signatureMismatch("msg_signature"))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(captured, secrets: unusableKey, now: TestSigning.now)
            } == .notConfigured("WeChat EncodingAESKey (43 base64 characters decoding to 32 bytes)"))
        let garbage = aesPost(encrypted: "not base64!", msgSignature: captured.queryValue("msg_signature"))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(garbage, secrets: secrets, now: TestSigning.now)
            } == .signatureMismatch("msg_signature"))
    }

    @Test func plaintextTextMessage() throws {
        let outcome = try adapter.handle(post(Self.text), secrets: plainSecrets, now: TestSigning.now)
        let event = try #require(outcome.events.first)
        #expect(event.platform == .wechat)
        #expect(event.accountID == "gh_866835093fea")
        #expect(event.kind == .directMessage)
        #expect(event.eventID == "6349323426230210995")
        #expect(event.threadKey == "ogdotwSc_MmEEsJs9-ABZ1QL_4r4")
        #expect(event.author?.platformID == "ogdotwSc_MmEEsJs9-ABZ1QL_4r4")
        #expect(event.text == "我的订单到哪了？")
        #expect(event.occurredAt == unixDate(1_790_004_000))
        #expect(outcome.reply.bodyText == "success")
    }

    func message(_ type: String, _ fields: String, msgID: String? = "6349323426230210996") -> String {
        "<xml><ToUserName><![CDATA[gh_866835093fea]]></ToUserName><FromUserName><![CDATA[ogdotwSc_MmEEsJs9-ABZ1QL_4r4]]></FromUserName>"
            + "<CreateTime>1790004010</CreateTime><MsgType><![CDATA[\(type)]]></MsgType>\(fields)"
            + (msgID.map { "<MsgId>\($0)</MsgId>" } ?? "") + "</xml>"
    }

    func event(_ xml: String) throws -> InboundEvent {
        try #require(try adapter.handle(post(xml), secrets: plainSecrets, now: TestSigning.now).events.first)
    }

    @Test func messageTypes() throws {
        let image = try event(
            message(
                "image",
                "<PicUrl><![CDATA[http://mmbiz.qpic.cn/xxx]]></PicUrl><MediaId><![CDATA[media_id_123]]></MediaId>"))
        #expect(
            image.attachments == [
                InboundAttachment(kind: .image, url: "http://mmbiz.qpic.cn/xxx", platformMediaID: "media_id_123")
            ])
        let voice = try event(
            message(
                "voice",
                "<MediaId><![CDATA[v1]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[你好]]></Recognition>"
            ))
        #expect(voice.attachments.first?.kind == .audio)
        #expect(voice.text == "你好")
        let video = try event(
            message("video", "<MediaId><![CDATA[vid]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId>"))
        #expect(video.attachments.first?.platformMediaID == "vid")
        let location = try event(
            message(
                "location",
                "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[Guangzhou]]></Label>"
            ))
        #expect(
            location.attachments == [
                InboundAttachment(kind: .location, url: "geo:23.134521,113.358803", title: "Guangzhou")
            ])
        let link = try event(
            message(
                "link",
                "<Title><![CDATA[Order]]></Title><Description><![CDATA[see &amp; this]]></Description><Url><![CDATA[https://x.cn]]></Url>"
            ))
        #expect(link.attachments == [InboundAttachment(kind: .link, url: "https://x.cn", title: "Order")])
        let unknown = try event(message("miniprogrampage", "<Title>t</Title>"))
        #expect(unknown.isUnsupported)
    }

    @Test func eventsDedupOnSenderAndTime() throws {
        let subscribe = try event(message("event", "<Event><![CDATA[subscribe]]></Event>", msgID: nil))
        #expect(subscribe.kind == .accountEvent)
        #expect(subscribe.eventID == "ogdotwSc_MmEEsJs9-ABZ1QL_4r4:1790004010:subscribe")
        #expect(subscribe.text == "subscribe")
        let click = try event(
            message("event", "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_HELP]]></EventKey>", msgID: nil))
        #expect(click.text == "CLICK MENU_HELP")
    }

    @Test func aesModeDecryptsAndChecksAppID() throws {
        let encrypted = try Self.encrypt(Self.text)
        let outcome = try adapter.handle(aesPost(encrypted: encrypted), secrets: secrets, now: TestSigning.now)
        let event = try #require(outcome.events.first)
        #expect(event.text == "我的订单到哪了？")
        #expect(event.eventID == "6349323426230210995")

        let otherApp = try Self.encrypt(Self.text, appID: "wxOTHER")
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(aesPost(encrypted: otherApp), secrets: secrets, now: TestSigning.now)
            } == .signatureMismatch("AppID"))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(
                    aesPost(encrypted: encrypted, msgSignature: String(repeating: "a", count: 40)), secrets: secrets,
                    now: TestSigning.now)
            } == .signatureMismatch("msg_signature"))
        var noMsgSignature = aesPost(encrypted: encrypted)
        noMsgSignature.query.removeLast()
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(noMsgSignature, secrets: secrets, now: TestSigning.now)
            }
                == .missingSignature("msg_signature"))
        let noKey = WeChatWebhookSecrets(token: "wxtoken")
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(aesPost(encrypted: encrypted), secrets: noKey, now: TestSigning.now)
            }
                == .notConfigured("WeChat EncodingAESKey"))
    }

    @Test func garbledCiphertexts() throws {
        let encrypted = try Self.encrypt(Self.text)
        var bytes = try #require(Data(base64Encoded: encrypted))
        bytes[bytes.count - 1] ^= 0x55  // corrupts the padding block
        let cases: [(String, String)] = [
            ("not base64!", "Encrypt is not valid base64"),
            (
                Data(bytes.prefix(bytes.count - 3)).base64EncodedString(),
                "ciphertext length \(bytes.count - 3) is not a positive multiple of 16"
            ),
            (bytes.base64EncodedString(), "bad padding"),
        ]
        for (cipher, reason) in cases {
            #expect(
                webhookError { () throws(WebhookError) in
                    try adapter.handle(aesPost(encrypted: cipher), secrets: secrets, now: TestSigning.now)
                } == .decryptionFailed(reason))
        }
    }

    @Test func plaintextIsRejectedOnceAESIsConfigured() {
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(post(Self.text), secrets: secrets, now: TestSigning.now)
        }
        #expect(error == .missingSignature("Encrypt (the channel is configured for AES mode)"))
        #expect(error?.httpStatus == 401)
    }

    @Test func querySignatureRequiredOnPost() {
        var unsigned = post(Self.text)
        unsigned.query = []
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(unsigned, secrets: secrets, now: TestSigning.now)
            }
                == .missingSignature("signature"))
        var wrong = post(Self.text)
        wrong.query[1].value = "1790000001"
        #expect(
            webhookError { () throws(WebhookError) in try adapter.handle(wrong, secrets: secrets, now: TestSigning.now)
            }
                == .signatureMismatch("signature"))
    }

    @Test func bodiesThatAreNotXMLAreRefused() {
        let cases: [(String, WebhookError)] = [
            ("<xml><ToUserName>a</ToUserName>", .malformedBody("invalid XML at byte 31: unterminated element <xml>")),
            ("<xml><a></b></xml>", .malformedBody("invalid XML at byte 11: </b> closes <a>")),
        ]
        for (xml, expected) in cases {
            #expect(
                webhookError { () throws(WebhookError) in
                    try adapter.handle(post(xml), secrets: plainSecrets, now: TestSigning.now)
                } == expected)
        }
    }

    /// Well-formed XML that is not a message we can read is accepted ("success") and kept whole
    /// as UNPARSED — in AES mode the decrypted XML — routed by `ToUserName`.
    @Test func unreadableMessagesAreKeptUnparsed() throws {
        let cases: [(String, WebhookError)] = [
            (message("text", ""), .missingField("xml.Content")),
            (
                message("text", "<Content>x</Content>").replacingOccurrences(of: "1790004010", with: "soon"),
                .invalidValue("xml.CreateTime", reason: "soon is not Unix seconds")
            ),
        ]
        for (xml, expected) in cases {
            let plain = try adapter.handle(post(xml), secrets: plainSecrets, now: TestSigning.now)
            let encrypted = try Self.encrypt(xml)
            let aes = try adapter.handle(aesPost(encrypted: encrypted), secrets: secrets, now: TestSigning.now)
            for outcome in [plain, aes] {
                #expect(outcome.events.isEmpty)
                let entry = try #require(outcome.unparsed.first)
                #expect(entry.error == expected)
                #expect(entry.path == "(root)")
                #expect(entry.rawText == xml)
                #expect(entry.accountID == "gh_866835093fea")
                #expect(outcome.reply.bodyText == "success")
            }
        }
    }
}
