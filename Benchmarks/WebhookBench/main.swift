// webhook-bench: verify + parse throughput of every inbound adapter on one core.
// Usage: swift build -c release --product webhook-bench && .build/release/webhook-bench [iterations]
import ChannelGateway
import Crypto
import Foundation
import _CryptoExtras

/// One representative, correctly signed request per platform.
struct BenchCase {
    let name: String
    let platform: Platform
    let request: WebhookRequest
    let secrets: any WebhookSecrets
}

func hmacSHA256(_ key: String, _ message: [UInt8]) -> [UInt8] {
    Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(key.utf8))))
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

func header(_ name: String, _ value: String) -> [WebhookRequest.Header] {
    [WebhookRequest.Header(name: name, value: value)]
}

func metaCase(_ name: String, _ platform: Platform, _ json: String) -> BenchCase {
    let body = Array(json.utf8)
    return BenchCase(
        name: name, platform: platform,
        request: WebhookRequest(
            method: "POST", path: "/", headers: header("X-Hub-Signature-256", "sha256=" + hex(hmacSHA256("s", body))),
            body: body),
        secrets: MetaWebhookSecrets(appSecret: "s", verifyToken: "v"))
}

let now = Date(timeIntervalSince1970: 1_790_002_100)

let messenger = #"""
    {"object":"page","entry":[{"id":"111000111","time":1790000000123,"messaging":[{"sender":{"id":"7000000000000001"},"recipient":{"id":"111000111"},"timestamp":1790000000100,"message":{"mid":"m_AbCdEf123","text":"Is my order shipped? \u00e4\u00f6\u00e5","reply_to":{"mid":"m_prev456"},"quick_reply":{"payload":"ORDER_STATUS"}}}]}]}
    """#
let feed = #"""
    {"object":"page","entry":[{"id":"111000111","time":1790000100,"changes":[{"field":"feed","value":{"from":{"id":"7000000000000002","name":"Jane Doe"},"item":"comment","verb":"add","post_id":"111000111_222000222","comment_id":"222000222_333000333","parent_id":"111000111_222000222","created_time":1790000095,"message":"Do you ship to Canada?","post":{"id":"111000111_222000222","status_type":"added_photos","is_published":true,"updated_time":"2026-09-01T10:00:00+0000","permalink_url":"https://www.facebook.com/111000111/posts/222000222","promotion_status":"inactive"}}}]}]}
    """#
let instagram = #"""
    {"object":"instagram","entry":[{"id":"17841400000000001","time":1790001100,"changes":[{"field":"comments","value":{"from":{"id":"9100000000000003","username":"ad_viewer"},"media":{"id":"18000000000000900","media_product_type":"FEED","ad_id":"120200000000000001","ad_title":"Autumn Sale","original_media_id":"18000000000000899"},"id":"17900000000000888","text":"Link please"}}]}]}
    """#
let whatsapp = #"""
    {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234","user_id":"user.9373795779eb6441"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"},"context":{"from":"15550783881","id":"wamid.PREVIOUS_OUTBOUND"}}]}}]}]}
    """#
let xDM = #"""
    {"for_user_id":"835740314006511618","direct_message_events":[{"type":"message_create","id":"958501034212564996","created_timestamp":"1517359429301","message_create":{"target":{"recipient_id":"835740314006511618"},"sender_id":"272953809","source_app_id":"268278","message_data":{"text":"Hello World &amp; good wishes.","entities":{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]}}}}],"users":{"272953809":{"id":"272953809","created_timestamp":"1301236201000","name":"Nicolas Pottier","screen_name":"nicpottier"},"835740314006511618":{"id":"835740314006511618","name":"Resistbot","screen_name":"resistbot"}}}
    """#
let linkedin = #"""
    {"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS","notifications":[{"notificationId":5603453321,"organizationalEntity":"urn:li:organization:96072893","action":"COMMENT","sourcePost":"urn:li:activity:7094637247890620418","decoratedSourcePost":{"owner":"urn:li:organization:96072893","mediaCategory":"NONE","text":"This is my post 0008","entity":"urn:li:share:7094637247487995904"},"generatedActivity":"urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)","decoratedGeneratedActivity":{"comment":{"owner":"urn:li:person:zLqTygBP8S","text":"Do you ship to EU?","entity":"urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)","object":"urn:li:activity:7094637247890620418"}},"lastModifiedAt":1691574506310,"subscriber":"urn:li:person:zLqTygBP8S"}]}
    """#
let tiktok = #"""
    {"client_key":"aw1234567890abcd","event":"comment.update","create_time":1790002000,"user_openid":"-000AbCdEfGh-business-open-id","content":"{\"comment_id\":7247303576418566913,\"video_id\":7203946942097902849,\"parent_comment_id\":7235861947622916866,\"comment_type\":\"reply\",\"comment_action\":\"insert\",\"unique_identifier\":\"user_7c2f\",\"timestamp\":1687394416109}"}
    """#
let telegram = #"""
    {"update_id":912345678,"message":{"message_id":4711,"from":{"id":123456789,"is_bot":false,"first_name":"Ana","last_name":"Li","username":"ana_li","language_code":"en"},"chat":{"id":123456789,"first_name":"Ana","last_name":"Li","username":"ana_li","type":"private"},"date":1790003000,"text":"Where is my parcel?"}}
    """#
let twilio =
    "ToCountry=US&ToState=FL&SmsMessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=1&ToCity=FORT+MEADE&FromZip=03049&SmsSid=SM0123456789abcdef0123456789abcdef&FromState=NH&SmsStatus=received&FromCity=NASHUA&Body=Is+the+store+open%3F&FromCountry=US&To=%2B12345678901&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&ToZip=33841&NumSegments=1&MessageSid=SM0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B11234567890&ApiVersion=2010-04-01&MediaContentType0=image%2Fjpeg&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC1%2FMessages%2FMM1%2FMedia%2FME1"
let wechatXML = """
    <xml><ToUserName><![CDATA[gh_866835093fea]]></ToUserName><FromUserName><![CDATA[ogdotwSc_MmEEsJs9-ABZ1QL_4r4]]></FromUserName><CreateTime>1790004000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[我的订单到哪了？]]></Content><MsgId>6349323426230210995</MsgId></xml>
    """

func twilioCase() -> BenchCase {
    let url = "https://gw.example.com/webhooks/twilio/1"
    let params = twilio.split(separator: "&").map { pair -> (String, String) in
        let parts = pair.split(separator: "=", maxSplits: 1).map {
            String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
        }
        return (parts[0], parts.count > 1 ? parts[1] : "")
    }
    let signed = params.sorted { $0.0 < $1.0 }.reduce(url) { $0 + $1.0 + $1.1 }
    let mac = HMAC<Insecure.SHA1>.authenticationCode(
        for: Array(signed.utf8), using: SymmetricKey(data: Array("tw".utf8)))
    return BenchCase(
        name: "Twilio SMS/MMS", platform: .twilio,
        request: WebhookRequest(
            method: "POST", path: "/", headers: header("X-Twilio-Signature", Data(mac).base64EncodedString()),
            body: Array(twilio.utf8), publicURL: url),
        secrets: TwilioWebhookSecrets(authToken: "tw"))
}

func sha1Signature(_ parts: [String]) -> String {
    hex(Array(Insecure.SHA1.hash(data: Array(parts.sorted().joined().utf8))))
}

func wechatCases() throws -> [BenchCase] {
    let aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    let secrets = WeChatWebhookSecrets(token: "wxtoken", encodingAESKey: aesKey, appID: "wx1234567890abcdef")
    // Signed at `now`: the adapter refuses timestamps outside its replay window.
    let query = [
        ("signature", sha1Signature(["wxtoken", "1790002100", "123456"])), ("timestamp", "1790002100"),
        ("nonce", "123456"),
    ]
    let plain = BenchCase(
        name: "WeChat text (plain)", platform: .wechat,
        request: WebhookRequest(
            method: "POST", path: "/", query: query.map { .init(name: $0.0, value: $0.1) }, body: Array(wechatXML.utf8)),
        secrets: WeChatWebhookSecrets(token: "wxtoken", allowPlaintext: true))
    guard let key = Data(base64Encoded: aesKey + "=") else { throw CocoaError(.coderInvalidValue) }
    let message = Array(wechatXML.utf8)
    var block: [UInt8] = Array(repeating: 7, count: 16)
    withUnsafeBytes(of: UInt32(message.count).bigEndian) { block += $0 }
    block += message + Array("wx1234567890abcdef".utf8)
    let pad = 32 - block.count % 32
    block += Array(repeating: UInt8(pad), count: pad)
    let sealed = try AES._CBC.encrypt(
        block, using: SymmetricKey(data: key), iv: AES._CBC.IV(ivBytes: key.prefix(16)), noPadding: true)
    let encrypted = sealed.base64EncodedString()
    let outer =
        "<xml><ToUserName><![CDATA[gh_866835093fea]]></ToUserName><Encrypt><![CDATA[\(encrypted)]]></Encrypt></xml>"
    let aesQuery =
        query + [
            ("encrypt_type", "aes"), ("msg_signature", sha1Signature(["wxtoken", "1790002100", "123456", encrypted])),
        ]
    let aes = BenchCase(
        name: "WeChat text (AES)", platform: .wechat,
        request: WebhookRequest(
            method: "POST", path: "/", query: aesQuery.map { .init(name: $0.0, value: $0.1) }, body: Array(outer.utf8)),
        secrets: secrets)
    return [plain, aes]
}

func benchCases() throws -> [BenchCase] {
    let tiktokBody = Array(tiktok.utf8)
    let xBody = Array(xDM.utf8)
    let linkedinBody = Array(linkedin.utf8)
    return [
        metaCase("Facebook Messenger", .facebook, messenger),
        metaCase("Facebook feed comment", .facebook, feed),
        metaCase("Instagram ad comment", .instagram, instagram),
        metaCase("WhatsApp text", .whatsapp, whatsapp),
        BenchCase(
            name: "X direct message", platform: .x,
            request: WebhookRequest(
                method: "POST", path: "/",
                headers: header(
                    "x-twitter-webhooks-signature", "sha256=" + Data(hmacSHA256("cs", xBody)).base64EncodedString()),
                body: xBody),
            secrets: XWebhookSecrets(consumerSecret: "cs")),
        BenchCase(
            name: "LinkedIn comment", platform: .linkedin,
            request: WebhookRequest(
                method: "POST", path: "/",
                headers: header("X-LI-Signature", hex(hmacSHA256("li", Array("hmacsha256=".utf8) + linkedinBody))),
                body: linkedinBody),
            secrets: LinkedInWebhookSecrets(clientSecret: "li")),
        BenchCase(
            name: "TikTok comment.update", platform: .tiktok,
            request: WebhookRequest(
                method: "POST", path: "/",
                headers: header(
                    "TikTok-Signature",
                    "t=1790002100,s=" + hex(hmacSHA256("tt", Array("1790002100.".utf8) + tiktokBody))),
                body: tiktokBody),
            secrets: TikTokWebhookSecrets(clientSecret: "tt")),
        BenchCase(
            name: "Telegram message", platform: .telegram,
            request: WebhookRequest(
                method: "POST", path: "/", headers: header("X-Telegram-Bot-Api-Secret-Token", "tg"),
                body: Array(telegram.utf8)),
            secrets: TelegramWebhookSecrets(secretToken: "tg")),
        twilioCase(),
    ] + (try wechatCases())
}

let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 50_000
/// The machine is shared: each case runs in rounds and the table shows the best and the median
/// round, so that a neighbour's build shows up as spread rather than as a slower adapter.
let rounds = 7
let clock = ContinuousClock()
print("webhook-bench: \(iterations) iterations per case in \(rounds) rounds, verify + parse, single thread")
print("| case | bytes | payloads/s (best round) | payloads/s (median round) | µs/payload (best) |")
print("|---|---:|---:|---:|---:|")
var eventCount = 0
for bench in try benchCases() {
    guard let adapter = WebhookAdapters.adapter(for: bench.platform) else {
        print("| \(bench.name) | no adapter registered for \(bench.platform) | | | |")
        continue
    }
    // Warm up and check the payload is valid before timing it.
    let firstOutcome: WebhookOutcome
    do {
        firstOutcome = try adapter.handle(bench.request, anySecrets: bench.secrets, now: now)
    } catch {
        print("| \(bench.name) | invalid fixture: \(error) | | | |")
        continue
    }
    guard case .events(let events, let unparsed, _) = firstOutcome, !events.isEmpty, unparsed.isEmpty else {
        print("| \(bench.name) | fixture yields no events, or UNPARSED entries | | | |")
        continue
    }
    let perRound = max(1, iterations / rounds)
    var rates: [Double] = []
    for _ in 0..<rounds {
        let elapsed = try clock.measure {
            for _ in 0..<perRound {
                let outcome = try adapter.handle(bench.request, anySecrets: bench.secrets, now: now)
                if case .events(let events, _, _) = outcome {
                    eventCount &+= events.count
                }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        rates.append(Double(perRound) / seconds)
    }
    rates.sort()
    let best = rates[rates.count - 1]
    let median = rates[rates.count / 2]
    print(
        "| \(bench.name) | \(bench.request.body.count) | \(String(format: "%.0f", best)) | "
            + "\(String(format: "%.0f", median)) | \(String(format: "%.2f", 1e6 / best)) |")
}
print("(\(eventCount) events produced)")
