import AsyncHTTPClient
import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import Testing

@testable import ChannelGateway

/// The web chat through real sockets: the visitor API over HTTP, the streams over WebSockets, and
/// replies through DeliverMessage and the delivery worker, on a harness gateway with PostgreSQL
/// (conversation-service and policy-service are in-process stand-ins).
@Suite("channel-gateway: web chat")
struct WebChatTests {
    /// What the harness's visitors send as their browser's `Origin` (WSClient sends it too: the
    /// URL's scheme and host without the port).
    static let origin = "http://127.0.0.1"

    static func connect(
        _ h: GatewayHarness, name: String = "Acme Support",
        configure: (inout Inbox_V1_WebChatSettings) -> Void = { _ in }
    ) async throws -> Inbox_V1_Channel {
        var settings = Inbox_V1_WebChatSettings.with {
            $0.allowedOrigins = [Self.origin, "https://shop.example.com/"]
            $0.greeting = "Hi! How can we help?"
            $0.offlineMessage = "We are away; leave a message."
        }
        configure(&settings)
        return try await h.client.connectChannel(
            .with {
                $0.platform = .webChat
                $0.displayName = name
                $0.webChat = settings
            }, metadata: GatewayHarness.admin())
    }

    // MARK: Channel

    @Test func aWebChatChannelNeedsNoCredentialsAndReturnsItsSnippet() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h)
            #expect(channel.platform == .webChat)
            #expect(channel.externalAccountID == channel.id)
            #expect(
                channel.webChatSnippet == "<script src=\"\(h.baseURL)/chat/\(channel.id)/widget.js\" async></script>")
            #expect(channel.webChat.allowedOrigins == [Self.origin, "https://shop.example.com"])
            #expect(channel.webChat.greeting == "Hi! How can we help?")
            #expect(channel.webChat.outsideHours == .offlineMessage)
            #expect(channel.configuredCredentials == ["signing_secret"])
            #expect(channel.checklist.map(\.key) == ["snippet", "allowed_origins"])
            let listed = try await h.client.getChannel(
                .with { $0.channelID = channel.id }, metadata: GatewayHarness.admin())
            #expect(listed.webChatSnippet == channel.webChatSnippet)

            // The widget's files and the demo page, for this channel only.
            let script = try await h.get("/chat/\(channel.id)/widget.js")
            #expect(script.status == 200)
            #expect(script.body.contains("inbox-chat"))
            let demo = try await h.get("/chat/\(channel.id)/demo")
            #expect(demo.status == 200)
            #expect(demo.body.contains("/chat/\(channel.id)/widget.js"))
            #expect(try await h.get("/chat/\(channel.id)/widget.css").status == 200)
            #expect(try await h.get("/chat/\(UUID().uuidString.lowercased())/widget.js").status == 404)
            #expect(try await h.get("/chat/\(channel.id)/other.js").status == 404)
        }
    }

    @Test func aHostileDisplayNameNeverReachesTheDemoPageAndTravelsAsJSON() async throws {
        try await GatewayHarness.with { h in
            let hostile = "<img src=x onerror=alert(1)>\"</script>"
            let channel = try await Self.connect(h, name: hostile)
            let demo = try await h.get("/chat/\(channel.id)/demo")
            #expect(!demo.body.contains("onerror"))
            let (_, session) = try await WebChatVisitor.start(h, channelID: channel.id, name: "<script>x</script>")
            let config = try #require(session.json["config"] as? [String: Any])
            // JSON carries the text as it is; the widget puts it in with textContent.
            #expect(config["display_name"] as? String == hostile)
        }
    }

    // MARK: Sessions and sends

    @Test func aVisitorsMessageReachesTheInboxOnceWhateverTheResends() async throws {
        // Resends count against the visitor's rate (ratesArePerVisitor...): room for these.
        var limits = WebChatLimits()
        limits.visitorBurst = 50
        try await GatewayHarness.with(webChat: limits) { h in
            let channel = try await Self.connect(h)
            let (visitor, session) = try await WebChatVisitor.start(h, channelID: channel.id, name: "Alice")
            #expect(session.json["resumed"] as? Bool == false)
            let config = try #require(session.json["config"] as? [String: Any])
            #expect(config["online"] as? Bool == true)
            #expect(config["greeting"] as? String == "Hi! How can we help?")

            let first = try await visitor.send("Do you ship to Lyon?", clientID: "c-1")
            #expect(first.status == 200, "\(first.json)")
            #expect(first.header("Access-Control-Allow-Origin") == Self.origin)
            let message = try #require(first.json["message"] as? [String: Any])
            #expect(message["state"] as? String == "sent")
            #expect(message["direction"] as? String == "visitor")
            #expect(message["author"] as? String == "Alice")
            #expect(first.json["duplicate"] as? Bool == false)

            // The same client id again, then ten copies at once: one message everywhere.
            let again = try await visitor.send("Do you ship to Lyon?", clientID: "c-1")
            #expect(again.json["duplicate"] as? Bool == true)
            #expect((again.json["message"] as? [String: Any])?["id"] as? String == message["id"] as? String)
            let copies = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await visitor.send("Second question", clientID: "c-2").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(copies == Array(repeating: 200, count: 10))

            let delivered = try await h.eventually { h.peers.received.filter { $0.channelID == channel.id }.count >= 2 }
            #expect(delivered)
            try await Task.sleep(for: .milliseconds(300))
            let events = h.peers.received.filter { $0.channelID == channel.id }
            #expect(Set(events.map(\.platformEventID)).count == 2)
            let event = try #require(events.first { $0.text == "Do you ship to Lyon?" })
            #expect(event.platform == .webChat)
            #expect(event.threadKey == visitor.visitorID)
            #expect(event.author.platformUserID == visitor.visitorID)
            #expect(event.author.displayName == "Alice")
            #expect(event.platformMessageID == message["id"] as? String)
            let stored = try await h.stored().filter { $0.channel == channel.id }
            #expect(stored.count == 2)

            let history = try await visitor.history()
            let messages = try #require(history.json["messages"] as? [[String: Any]])
            #expect(messages.map { $0["text"] as? String } == ["Do you ship to Lyon?", "Second question"])
            #expect(history.json["has_more"] as? Bool == false)
            let paged = try await visitor.history("?limit=1")
            let latest = try #require(paged.json["messages"] as? [[String: Any]])
            #expect(latest.map { $0["text"] as? String } == ["Second question"])
            #expect(paged.json["has_more"] as? Bool == true)
            let seq = try #require(latest.first?["seq"] as? Int)
            let older = try await visitor.history("?before=\(seq)")
            #expect(
                (older.json["messages"] as? [[String: Any]])?.map { $0["text"] as? String } == ["Do you ship to Lyon?"])

            // A returning visitor (a reload, a second tab) resumes the same conversation.
            let (back, resumed) = try await WebChatVisitor.start(h, channelID: channel.id, previous: visitor.token)
            #expect(resumed.json["resumed"] as? Bool == true)
            #expect(back.visitorID == visitor.visitorID)
            #expect((try await back.history().json["messages"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test func badRequestsGetAClearErrorAndStoreNothing() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h)
            let other = try await Self.connect(h, name: "Other shop")
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            let (stranger, _) = try await WebChatVisitor.start(h, channelID: other.id)
            let path = "/chat/v1/\(channel.id)/messages"
            let body = WebChatVisitor.json(["client_id": "x-1", "text": "hello"])

            let noToken = try await WebChatVisitor.call(h, .POST, path, body: body)
            #expect(noToken.status == 401)
            #expect(noToken.errorCode == "unauthorized")
            // Another channel's visitor cannot write (or read) here.
            let foreign = try await WebChatVisitor.call(h, .POST, path, body: body, token: stranger.token)
            #expect(foreign.status == 401)
            #expect(foreign.errorMessage.contains("another channel"))
            let foreignRead = try await WebChatVisitor.call(h, .GET, path, token: stranger.token)
            #expect(foreignRead.status == 401)
            // A token changed by hand (another visitor's id in it) fails its signature.
            let parts = visitor.token.split(separator: ".")
            let tampered = "\(parts[0]).\(parts[1].dropLast(2))AA.\(parts[2])"
            let forged = try await WebChatVisitor.call(h, .GET, path, token: tampered)
            #expect(forged.status == 401)

            let malformed = try await WebChatVisitor.call(
                h, .POST, path, body: Array("{not json".utf8), token: visitor.token)
            #expect(malformed.status == 400)
            #expect(malformed.errorCode == "bad_request")
            let noClientID = try await WebChatVisitor.call(
                h, .POST, path, body: WebChatVisitor.json(["text": "hi"]), token: visitor.token)
            #expect(noClientID.status == 400)
            #expect(noClientID.errorMessage.contains("client_id"))
            let badClientID = try await visitor.send("hi", clientID: "has space")
            #expect(badClientID.status == 400)
            let empty = try await visitor.send("   ")
            #expect(empty.status == 400)
            let long = try await visitor.send(String(repeating: "é", count: 4_001))
            #expect(long.status == 400)
            #expect(long.errorMessage.contains("4000"))
            let oversized = try await WebChatVisitor.call(
                h, .POST, path,
                body: WebChatVisitor.json(["client_id": "big", "text": String(repeating: "a", count: 20_000)]),
                token: visitor.token)
            #expect(oversized.status == 413)
            #expect(oversized.errorCode == "payload_too_large")
            let badLimit = try await visitor.history("?limit=0")
            #expect(badLimit.status == 400)
            let badReceipt = try await visitor.receipt([], "read")
            #expect(badReceipt.status == 400)
            let badState = try await visitor.receipt(["a-1"], "seen")
            #expect(badState.status == 400)

            let wrongMethod = try await WebChatVisitor.call(h, .PUT, path, body: body, token: visitor.token)
            #expect(wrongMethod.status == 405)
            let unknownAction = try await WebChatVisitor.call(
                h, .GET, "/chat/v1/\(channel.id)/nothing", token: visitor.token)
            #expect(unknownAction.status == 404)
            let unknownChannel = try await WebChatVisitor.call(
                h, .POST, "/chat/v1/\(UUID().uuidString)/sessions", body: WebChatVisitor.json([:]))
            #expect(unknownChannel.status == 404)
            let notAUUID = try await WebChatVisitor.call(
                h, .POST, "/chat/v1/nope/sessions", body: WebChatVisitor.json([:]))
            #expect(notAUUID.status == 404)
            let badSession = try await WebChatVisitor.call(
                h, .POST, "/chat/v1/\(channel.id)/sessions",
                body: WebChatVisitor.json(["name": String(repeating: "n", count: 101)]))
            #expect(badSession.status == 400)

            try await Task.sleep(for: .milliseconds(200))
            #expect(try await h.stored().filter { $0.channel == channel.id }.isEmpty)
            #expect((try await visitor.history().json["messages"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test func otherWebsitesAreRefusedAndPreflightsAnswered() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h)
            let sessions = "/chat/v1/\(channel.id)/sessions"
            let refused = try await WebChatVisitor.call(
                h, .POST, sessions, body: WebChatVisitor.json([:]), origin: "https://evil.example")
            #expect(refused.status == 403)
            #expect(refused.errorCode == "origin_not_allowed")
            #expect(refused.header("Access-Control-Allow-Origin") == nil)
            // The allowed origins, normalised (a default port, a trailing slash), and the
            // gateway's own (its demo page).
            for origin in ["https://shop.example.com", "https://SHOP.example.com:443", h.baseURL] {
                let allowed = try await WebChatVisitor.call(
                    h, .POST, sessions, body: WebChatVisitor.json([:]), origin: origin)
                #expect(allowed.status == 200, "\(origin)")
                #expect(allowed.header("Access-Control-Allow-Origin") == origin)
                #expect(allowed.header("Access-Control-Expose-Headers") == "Retry-After")
            }
            let preflight = try await WebChatVisitor.call(
                h, .OPTIONS, "/chat/v1/\(channel.id)/messages", origin: "https://shop.example.com",
                headers: [("Access-Control-Request-Method", "POST")])
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Methods") == "GET, POST, OPTIONS")
            #expect(preflight.header("Access-Control-Allow-Headers") == "Authorization, Content-Type")
            let refusedPreflight = try await WebChatVisitor.call(
                h, .OPTIONS, "/chat/v1/\(channel.id)/messages", origin: "https://evil.example")
            #expect(refusedPreflight.status == 403)
        }
    }

    @Test func ratesArePerVisitorAndPerAddressWithRetryAfter() async throws {
        var limits = WebChatLimits()
        limits.visitorBurst = 3
        limits.visitorPerMinute = 6
        limits.ipBurst = 12
        limits.ipPerMinute = 6
        try await GatewayHarness.with(webChat: limits) { h in
            let channel = try await Self.connect(h)
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            var statuses: [Int] = []
            for index in 0..<4 { statuses.append(try await visitor.send("message \(index)").status) }
            #expect(statuses == [200, 200, 200, 429])
            let limited = try await visitor.send("one more")
            #expect(limited.status == 429)
            #expect(limited.errorCode == "rate_limited")
            let retry = try #require(limited.header("Retry-After").flatMap(Int.init))
            #expect((1...10).contains(retry))
            // Another visitor has their own budget, until the address's runs out (2 sessions and
            // 5 sends so far, and these).
            let (second, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            #expect(try await second.send("hello").status == 200)
            var last = 200
            for _ in 0..<10 { last = try await second.history().status }
            #expect(last == 429)
        }
    }

    @Test func anExpiredTokenIsRefusedAndStartsANewVisitor() async throws {
        var limits = WebChatLimits()
        limits.tokenTTL = .seconds(1)
        try await GatewayHarness.with(webChat: limits) { h in
            let channel = try await Self.connect(h)
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            #expect(try await visitor.send("before").status == 200)
            try await Task.sleep(for: .milliseconds(2100))
            let expired = try await visitor.send("after")
            #expect(expired.status == 401)
            #expect(expired.errorMessage.contains("expired"))
            let (next, answer) = try await WebChatVisitor.start(h, channelID: channel.id, previous: visitor.token)
            #expect(answer.json["resumed"] as? Bool == false)
            #expect(next.visitorID != visitor.visitorID)
        }
    }

    @Test func rotatingTheChannelsKeyEndsEverySession() async throws {
        try await GatewayHarness.with { h in
            let channel = try await Self.connect(h)
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            #expect(try await visitor.send("before the rotation").status == 200)
            // No credentials given: the gateway makes a new key.
            let rotated = try await h.client.rotateChannelCredentials(
                .with { $0.channelID = channel.id }, metadata: GatewayHarness.admin())
            #expect(rotated.configuredCredentials == ["signing_secret"])
            try await Task.sleep(for: .milliseconds(300))  // the channel cache (200 ms in tests)
            let refused = try await visitor.send("after the rotation")
            #expect(refused.status == 401)
            let (next, answer) = try await WebChatVisitor.start(h, channelID: channel.id, previous: visitor.token)
            #expect(answer.json["resumed"] as? Bool == false)
            #expect(try await next.send("a new session").status == 200)
        }
    }

    @Test func outsideBusinessHoursTheSessionSaysOffline() async throws {
        try await GatewayHarness.with { h in
            // A one-minute window a week away from now (in UTC): closed now.
            let now = Date()
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let weekday = ((calendar.component(.weekday, from: now) + 5) % 7 + 1) % 7 + 1
            let channel = try await Self.connect(h) {
                $0.businessHours = .with {
                    $0.timeZone = "UTC"
                    $0.windows = [
                        .with {
                            $0.weekday = Inbox_V1_Weekday(rawValue: weekday) ?? .monday
                            $0.start = "03:00"
                            $0.end = "03:01"
                        }
                    ]
                }
                $0.outsideHours = .hide
            }
            #expect(channel.webChat.businessHours.windows.count == 1)
            let (_, session) = try await WebChatVisitor.start(h, channelID: channel.id)
            let config = try #require(session.json["config"] as? [String: Any])
            #expect(config["online"] as? Bool == false)
            #expect(config["outside_hours"] as? String == "hide")
            #expect(config["offline_message"] as? String == "We are away; leave a message.")
        }
    }
}
