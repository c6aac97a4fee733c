import Foundation
import Testing

@testable import ChannelGateway

/// Thousands of deterministic mutations of valid payloads per platform, each re-signed so that
/// the parser is what gets exercised. The rule (DESIGN §2): a signed delivery whose body is still
/// well-formed JSON, XML or form data is always accepted — its items become events or UNPARSED
/// records, never a thrown WebhookError; only a mutation that breaks the body's syntax may be
/// refused, and then with a 400. Nothing may crash.
@Suite("Webhook fuzzing")
struct WebhookFuzzTests {
    static let iterations = 3000

    /// A platform, its valid bodies, and how to sign an arbitrary body for it.
    struct Target: Sendable, CustomStringConvertible {
        let platform: Platform
        let seeds: [String]
        let secrets: any WebhookSecrets
        let sign: @Sendable ([UInt8]) -> WebhookRequest

        var description: String { platform.rawValue }

        /// Whether `body` is well-formed in the platform's format (what the adapter must accept).
        func isWellFormed(_ body: [UInt8]) -> Bool {
            switch platform {
            case .twilio: (try? FormDecoding.decode(body)) != nil
            case .wechat: (try? SimpleXMLElement.parse(body)) != nil
            default: (try? RawJSON.parse(body)) != nil
            }
        }
    }

    static func meta(_ platform: Platform, _ seeds: [String]) -> Target {
        Target(platform: platform, seeds: seeds, secrets: TestSigning.metaSecrets) { body in
            let signature = "sha256=" + TestSigning.hex(TestSigning.hmacSHA256("app-secret", body))
            return WebhookRequest(
                method: "POST", path: "/", headers: [.init(name: "X-Hub-Signature-256", value: signature)], body: body)
        }
    }

    static let targets: [Target] = [
        meta(
            .facebook,
            [
                FacebookWebhookTests.messengerText,
                #"{"object":"page","entry":[{"id":"111000111","time":1,"changes":[{"field":"feed","value":\#(FacebookWebhookTests.organicComment)}]}]}"#,
                #"{"object":"page","entry":[{"id":"111000111","time":1,"messaging":[{"sender":{"id":"7"},"recipient":{"id":"111000111"},"timestamp":1790000000450,"delivery":{"mids":["m_1"],"watermark":1790000000440}}]}]}"#,
            ]),
        meta(
            .instagram,
            [
                #"{"object":"instagram","entry":[{"id":"178","time":1790001100,"changes":[{"field":"comments","value":{"from":{"id":"91","username":"a"},"media":{"id":"18","ad_id":"12"},"id":"179","parent_id":"170","text":"hi","attachments":[{"type":"image","payload":{"url":"u"}}]}}]}]}"#,
                #"{"object":"instagram","entry":[{"id":"178","time":1520622968,"changes":[{"field":"mentions","value":{"comment_id":"1789","media_id":"1791"}}]}]}"#,
                #"{"object":"instagram","entry":[{"id":"178","time":1,"messaging":[{"sender":{"id":"91"},"recipient":{"id":"178"},"timestamp":1790001000400,"message":{"mid":"m","text":"Hi","is_echo":false}}]}]}"#,
            ]),
        meta(
            .whatsapp,
            [
                WhatsAppWebhookTests().envelope(
                    messages:
                        #"[{"from":"165","id":"wamid.1","timestamp":"1749416383","type":"text","text":{"body":"Hi"},"context":{"id":"wamid.0"}}]"#
                ),
                WhatsAppWebhookTests().envelope(
                    messages:
                        #"[{"from":"165","id":"wamid.2","timestamp":"1749416383","type":"location","location":{"latitude":1.5,"longitude":2}}]"#
                ),
                #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106"},"statuses":[{"id":"wamid.OUT1","status":"failed","timestamp":"1750030073","recipient_id":"165","errors":[{"code":131047,"title":"Re-engagement message","error_data":{"details":"d"}}]}]}}]}]}"#,
            ]),
        Target(
            platform: .x, seeds: [XWebhookTests.directMessage, XWebhookTests.mention],
            secrets: XWebhookSecrets(consumerSecret: "cs")
        ) { body in
            let signature = "sha256=" + Data(TestSigning.hmacSHA256("cs", body)).base64EncodedString()
            return WebhookRequest(
                method: "POST", path: "/", headers: [.init(name: "x-twitter-webhooks-signature", value: signature)],
                body: body)
        },
        Target(
            platform: .linkedin,
            seeds: [
                #"{"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS","notifications":[\#(LinkedInWebhookTests.notification(action: "COMMENT"))]}"#
            ],
            secrets: LinkedInWebhookSecrets(clientSecret: "li")
        ) { body in
            let signature = TestSigning.hex(TestSigning.hmacSHA256("li", Array("hmacsha256=".utf8) + body))
            return WebhookRequest(
                method: "POST", path: "/", headers: [.init(name: "X-LI-Signature", value: signature)], body: body)
        },
        Target(
            platform: .tiktok, seeds: [TikTokWebhookTests.envelope(content: TikTokWebhookTests.reply)],
            secrets: TikTokWebhookSecrets(clientSecret: "tt")
        ) { body in
            let signature = TestSigning.hex(TestSigning.hmacSHA256("tt", Array("1790002100.".utf8) + body))
            return WebhookRequest(
                method: "POST", path: "/",
                headers: [.init(name: "TikTok-Signature", value: "t=1790002100,s=\(signature)")], body: body)
        },
        Target(
            platform: .telegram, seeds: [TelegramWebhookTests.message],
            secrets: TelegramWebhookSecrets(secretToken: "tg")
        ) { body in
            WebhookRequest(
                method: "POST", path: "/", headers: [.init(name: "X-Telegram-Bot-Api-Secret-Token", value: "tg")],
                body: body)
        },
        Target(
            platform: .twilio,
            seeds: [
                TwilioWebhookTests.incoming, "MessageSid=SM9&MessageStatus=failed&From=%2B1&To=%2B2&ErrorCode=30003",
            ], secrets: TwilioWebhookSecrets(authToken: "tw")
        ) { body in
            let params = (try? FormDecoding.decode(body)) ?? []
            let url = "https://gw.example.com/t"
            let signature = TwilioWebhookAdapter.signature(url: url, params: params, authToken: "tw")
            return WebhookRequest(
                method: "POST", path: "/t", headers: [.init(name: "X-Twilio-Signature", value: signature)], body: body,
                publicURL: url)
        },
        Target(platform: .wechat, seeds: [WeChatWebhookTests.text], secrets: WeChatWebhookTests().plainSecrets) {
            body in
            WeChatWebhookTests().post(String(decoding: body, as: UTF8.self)).withBody(body)
        },
    ]

    @Test(arguments: targets)
    func wellFormedMutationsAreAcceptedAndOthersFailAsMalformed(target: Target) throws {
        let adapter = try #require(WebhookAdapters.adapter(for: target.platform))
        var mutator = WebhookMutator(seed: 0x5EED_0000 + UInt64(target.platform.rawValue.utf8.count))
        for seed in target.seeds {
            let outcome = try? adapter.handle(
                target.sign(Array(seed.utf8)), anySecrets: target.secrets, now: TestSigning.now)
            #expect(outcome?.events.isEmpty == false, "seed does not parse: \(seed.prefix(80))")
        }
        var parsed = 0
        for iteration in 0..<Self.iterations {
            let seed = Array(target.seeds[iteration % target.seeds.count].utf8)
            let body = mutator.mutate(seed)
            check(
                adapter: adapter, request: target.sign(body), target: target, wellFormed: target.isWellFormed(body),
                parsed: &parsed)
        }
        // Some mutations (inside strings) must still parse, or the seeds themselves are broken.
        #expect(parsed > Self.iterations / 100)
    }

    /// Well-formed mutations do yield UNPARSED records (a field renamed, a value of another type),
    /// so the fuzzing reaches the keep-it-raw path and not only the happy one.
    @Test(arguments: targets)
    func someWellFormedMutationsAreKeptUnparsed(target: Target) throws {
        let adapter = try #require(WebhookAdapters.adapter(for: target.platform))
        var mutator = WebhookMutator(seed: 0xFEED_0000 + UInt64(target.platform.rawValue.utf8.count))
        var kept = 0
        for iteration in 0..<Self.iterations {
            let body = mutator.mutate(Array(target.seeds[iteration % target.seeds.count].utf8))
            if case .events(_, let unparsed, _)? = try? adapter.handle(
                target.sign(body), anySecrets: target.secrets, now: TestSigning.now)
            {
                kept += unparsed.count
            }
        }
        #expect(kept > 0)
    }

    @Test(arguments: targets)
    func replyAfterEventsIsWhatThePlatformExpects(target: Target) throws {
        let adapter = try #require(WebhookAdapters.adapter(for: target.platform))
        let seed = try #require(target.seeds.first)
        let reply = try adapter.handle(
            target.sign(Array(seed.utf8)), anySecrets: target.secrets, now: TestSigning.now
        ).reply
        #expect(reply.status == 200)
        switch target.platform {
        case .wechat:
            #expect(reply.bodyText == "success")
        case .twilio:
            #expect(reply.bodyText == #"<?xml version="1.0" encoding="UTF-8"?><Response/>"#)
            #expect(reply.contentType == "text/xml")
        default:
            #expect(reply.body.isEmpty)
        }
    }

    /// One mutated request: a well-formed body must be accepted (events and UNPARSED records, each
    /// complete); any other body may only be refused as malformed (400). `allowAppID` admits the
    /// AppID mismatch a garbled WeChat ciphertext can decrypt to.
    func check(
        adapter: any WebhookAdapter, request: WebhookRequest, target: Target, wellFormed: Bool, parsed: inout Int,
        allowAppID: Bool = false
    ) {
        let bodyText = String(decoding: request.body, as: UTF8.self).prefix(300)
        do {
            let outcome = try adapter.handle(request, anySecrets: target.secrets, now: TestSigning.now)
            parsed += 1
            for event in outcome.events {
                #expect(event.platform == target.platform)
                #expect(!event.eventID.isEmpty)
            }
            for entry in outcome.unparsed {
                #expect(entry.platform == target.platform)
                #expect(!entry.path.isEmpty)
                #expect(entry.receivedAt == TestSigning.now)
                if target.platform != .twilio, target.platform != .wechat {
                    // JSON items are re-serialised: the raw text must parse again.
                    let reparses = (try? RawJSON.parse(Array(entry.rawText.utf8))) != nil
                    #expect(reparses, "\(entry.rawText.prefix(200))")
                }
            }
        } catch {
            let isAppIDMismatch = allowAppID && error == .signatureMismatch("AppID")
            if wellFormed, !isAppIDMismatch {
                Issue.record("\(target.platform): a well-formed signed body was refused: \(error) for body \(bodyText)")
            } else if error.httpStatus != 400, !isAppIDMismatch {
                Issue.record("\(target.platform): \(error) for body \(bodyText)")
            }
        }
    }

    @Test func tiktokMutatedInnerContent() throws {
        let target = try #require(Self.targets.first { $0.platform == .tiktok })
        let adapter = TikTokWebhookAdapter()
        var mutator = WebhookMutator(seed: 42)
        var parsed = 0
        for _ in 0..<Self.iterations {
            let content = String(decoding: mutator.mutate(Array(TikTokWebhookTests.reply.utf8)), as: UTF8.self)
            let body = Array(TikTokWebhookTests.envelope(content: content).utf8)
            // Content that is not JSON is still a well-formed envelope: kept UNPARSED, not refused.
            check(
                adapter: adapter, request: target.sign(body), target: target, wellFormed: target.isWellFormed(body),
                parsed: &parsed)
        }
        #expect(parsed > Self.iterations / 100)
    }

    @Test func wechatMutatedAESMessages() throws {
        let wechat = WeChatWebhookTests()
        let target = Target(platform: .wechat, seeds: [], secrets: wechat.secrets) {
            wechat.post(String(decoding: $0, as: UTF8.self))
        }
        let adapter = WeChatWebhookAdapter()
        let cipher = try WeChatCipher(encodingAESKey: WeChatWebhookTests.aesKey)
        var mutator = WebhookMutator(seed: 7)
        var parsed = 0
        for iteration in 0..<Self.iterations {
            let encrypted: String
            let wellFormed: Bool
            if iteration % 2 == 0 {
                // A well-encrypted but mutated inner message: once decrypted and authenticated it is
                // the body, so well-formed inner XML must be accepted.
                let inner = mutator.mutate(Array(WeChatWebhookTests.text.utf8))
                encrypted = try cipher.encrypt(
                    message: inner, appID: WeChatWebhookTests.appID, random: Array(repeating: 1, count: 16))
                wellFormed = (try? SimpleXMLElement.parse(inner)) != nil
            } else {
                // A mutated ciphertext (base64 text and, through it, the AES blocks): what cannot be
                // decrypted fails decryption, part of authenticating an AES push (400).
                let valid = try WeChatWebhookTests.encrypt(WeChatWebhookTests.text)
                encrypted = String(decoding: mutator.mutate(Array(valid.utf8)), as: UTF8.self)
                wellFormed = false
            }
            check(
                adapter: adapter, request: wechat.aesPost(encrypted: encrypted), target: target, wellFormed: wellFormed,
                parsed: &parsed, allowAppID: true)
        }
        #expect(parsed > Self.iterations / 100)
    }
}

extension WebhookRequest {
    func withBody(_ body: [UInt8]) -> WebhookRequest {
        var copy = self
        copy.body = body
        return copy
    }
}
