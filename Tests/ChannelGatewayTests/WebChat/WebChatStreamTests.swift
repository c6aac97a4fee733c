import Foundation
import InboxAPI
import InboxKit
import Logging
import TestSupport
import Testing

@testable import ChannelGateway

/// The visitor's live side: replies through DeliverMessage and the delivery worker reach every
/// open stream of the visitor (on any replica), receipts move the reply to DELIVERED and READ in
/// the inbox, streams resume from a version, the long-poll answers as soon as something changes,
/// and refused streams close with the reason.
@Suite("channel-gateway: web chat streams")
struct WebChatStreamTests {
    static func reply(on channel: Inbox_V1_Channel, to visitor: WebChatVisitor, text: String)
        -> Inbox_V1_DeliverMessageRequest
    {
        GatewayHarness.reply(on: channel, text: text) { $0.recipientID = visitor.visitorID }
    }

    static func agentMessages(_ stream: WebChatStream, text: String) -> [[String: Any]] {
        stream.messages.filter { $0["direction"] as? String == "agent" && $0["text"] as? String == text }
    }

    @Test func aReplyReachesEveryOpenStreamAndReceiptsMoveItToRead() async throws {
        try await GatewayHarness.with { h in
            let channel = try await WebChatTests.connect(h)
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            #expect(try await visitor.send("Is my order on its way?").status == 200)
            // Two tabs of the same visitor.
            let first = WebChatStream(url: visitor.streamURL())
            let second = WebChatStream(url: visitor.streamURL())
            defer {
                first.close()
                second.close()
            }
            for stream in [first, second] {
                let ready = await stream.wait { $0.contains { $0["type"] as? String == "ready" } }
                #expect(ready)
                #expect(stream.messages.map { $0["text"] as? String } == ["Is my order on its way?"])
            }

            let text = "<img src=x onerror=\"alert(1)\">It ships today"
            let delivery = try await h.deliver(Self.reply(on: channel, to: visitor, text: text))
            let sent = try await h.settled(delivery.id)
            #expect(sent.state == .sent)
            #expect(sent.platformMessageID.hasPrefix("a-"))
            for stream in [first, second] {
                let arrived = await stream.wait { _ in !Self.agentMessages(stream, text: text).isEmpty }
                #expect(arrived)
            }
            let message = try #require(Self.agentMessages(first, text: text).first)
            #expect(message["id"] as? String == sent.platformMessageID)
            #expect(message["state"] as? String == "sent")
            let createdVersion = try #require(message["version"] as? Int)

            // The widget acknowledges over its socket, then says it was read over HTTP.
            try await first.send(["type": "receipt", "ids": [sent.platformMessageID], "state": "delivered"])
            let read = try await visitor.receipt([sent.platformMessageID, "a-not-mine"], "read")
            #expect(read.status == 200)
            for stream in [first, second] {
                let moved = await stream.wait { _ in
                    Self.agentMessages(stream, text: text).contains { $0["state"] as? String == "read" }
                }
                #expect(moved)
            }
            // The inbox hears it as from any platform's status webhooks: the relay moves the
            // gateway's delivery to READ and hands conversation-service the statuses as events.
            let inInbox = try await h.eventually {
                h.peers.received.contains {
                    $0.deliveryStatus.platformMessageID == sent.platformMessageID && $0.deliveryStatus.state == .read
                }
            }
            #expect(inInbox)
            let states = h.peers.received.filter { $0.deliveryStatus.platformMessageID == sent.platformMessageID }
                .map(\.deliveryStatus.state)
            // Two receipts, two events: the relay may hand them over in either order (the inbox
            // moves forward only, so READ stays READ).
            #expect(Set(states) == [.delivered, .read])
            let deliveryRead = try await h.eventually { try await h.delivery(delivery.id).state == .read }
            #expect(deliveryRead)
            // A repeated receipt moves nothing.
            #expect(try await visitor.receipt([sent.platformMessageID], "read").json["updated"] as? Int == 0)

            // A stream that resumes after the reply's version sees only what changed since.
            let resumed = WebChatStream(url: visitor.streamURL(after: Int64(createdVersion)))
            defer { resumed.close() }
            let caughtUp = await resumed.wait { $0.contains { $0["type"] as? String == "ready" } }
            #expect(caughtUp)
            #expect(resumed.messages.count == 1)
            #expect(resumed.messages.first?["state"] as? String == "read")
            #expect(resumed.messages.allSatisfy { ($0["version"] as? Int ?? 0) > createdVersion })

            try await first.send(["type": "ping"])
            let pong = await first.wait { $0.contains { $0["type"] as? String == "pong" } }
            #expect(pong)
        }
    }

    @Test func anAgentTypingReachesTheVisitorsStreams() async throws {
        try await GatewayHarness.with { h in
            let channel = try await WebChatTests.connect(h)
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            let stream = WebChatStream(url: visitor.streamURL())
            defer { stream.close() }
            _ = await stream.wait { $0.contains { $0["type"] as? String == "ready" } }
            let token = try await GatewayHarness.serviceToken()
            let shown = try await h.client.notifyTyping(
                .with {
                    $0.organizationID = channel.organizationID
                    $0.channelID = channel.id
                    $0.threadKey = visitor.visitorID
                    $0.typing = true
                    $0.authorName = "Ana"
                }, metadata: token)
            #expect(shown.shown)
            let typing = await stream.wait { frames in
                frames.contains { $0["type"] as? String == "typing" && $0["typing"] as? Bool == true }
            }
            #expect(typing)
            #expect(stream.frames.last?["author"] as? String == "Ana")
            _ = try await h.client.notifyTyping(
                .with {
                    $0.organizationID = channel.organizationID
                    $0.channelID = channel.id
                    $0.threadKey = visitor.visitorID
                    $0.typing = false
                }, metadata: token)
            let stopped = await stream.wait { frames in
                frames.contains { $0["type"] as? String == "typing" && $0["typing"] as? Bool == false }
            }
            #expect(stopped)
            // Without an author the channel's name is shown.
            #expect(stream.frames.last?["author"] as? String == "Acme Support")
            // An agent's token may not call it; another organisation's channel is not found.
            let agent = try await TestTokens.metadata(.agent, organization: GatewayHarness.organization)
            let refused = await refusal {
                _ = try await h.client.notifyTyping(
                    .with {
                        $0.organizationID = channel.organizationID
                        $0.channelID = channel.id
                        $0.threadKey = visitor.visitorID
                    }, metadata: agent)
            }
            #expect(refused?.code == .permissionDenied)
            let foreign = await refusal {
                _ = try await h.client.notifyTyping(
                    .with {
                        $0.organizationID = "org-other"
                        $0.channelID = channel.id
                        $0.threadKey = visitor.visitorID
                    }, metadata: token)
            }
            #expect(foreign?.code == .notFound)
        }
    }

    @Test func theLongPollAnswersWhenAReplyArrivesAndAtOnceWithoutWait() async throws {
        try await GatewayHarness.with { h in
            let channel = try await WebChatTests.connect(h)
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            let sent = try await visitor.send("Hello?")
            let version = try #require((sent.json["message"] as? [String: Any])?["version"] as? Int)
            let empty = try await WebChatVisitor.call(
                h, .GET, "/chat/v1/\(channel.id)/events?after=\(version)&wait=0", token: visitor.token)
            #expect(empty.status == 200)
            #expect((empty.json["events"] as? [Any])?.isEmpty == true)
            #expect(empty.json["version"] as? Int == version)

            async let polled = WebChatVisitor.call(
                h, .GET, "/chat/v1/\(channel.id)/events?after=\(version)&wait=20", token: visitor.token)
            try await Task.sleep(for: .milliseconds(300))
            _ = try await h.deliver(Self.reply(on: channel, to: visitor, text: "Hi there"))
            let answer = try await polled
            let events = try #require(answer.json["events"] as? [[String: Any]])
            #expect(events.count == 1)
            let message = try #require(events.first?["message"] as? [String: Any])
            #expect(message["text"] as? String == "Hi there")
            #expect(answer.json["version"] as? Int == message["version"] as? Int)
            let tooLong = try await WebChatVisitor.call(
                h, .GET, "/chat/v1/\(channel.id)/events?wait=99", token: visitor.token)
            #expect(tooLong.status == 400)
        }
    }

    @Test func refusedStreamsCloseWithTheReasonAndSendNothing() async throws {
        try await GatewayHarness.with { h in
            let channel = try await WebChatTests.connect(h)
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            #expect(try await visitor.send("private").status == 200)
            let cases: [(String, String)] = [
                (visitor.streamURL(token: "wc1.bad.token"), "unauthorized"),
                (visitor.streamURL(token: "nonsense"), "unauthorized"),
                // WSClient sends `Origin: http://localhost`, which this chat does not allow.
                (
                    visitor.streamURL(base: h.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")),
                    "origin_not_allowed"
                ),
                (
                    visitor.streamURL().replacingOccurrences(of: channel.id, with: UUID().uuidString.lowercased()),
                    "not_found"
                ),
            ]
            for (url, code) in cases {
                let stream = WebChatStream(url: url)
                defer { stream.close() }
                let refused = await stream.wait(timeout: .seconds(20)) {
                    $0.contains { $0["type"] as? String == "error" }
                }
                #expect(refused, "\(code)")
                #expect(stream.frames.first?["code"] as? String == code)
                #expect(stream.messages.isEmpty)
                let closed = await stream.wait { _ in stream.closed }
                #expect(closed, "\(code)")
            }
        }
    }

    @Test func aStreamOnAnotherReplicaSeesTheChangesOfThisOne() async throws {
        try await GatewayHarness.with { a in
            try await GatewayHarness.run(database: a.database) { b in
                let channel = try await WebChatTests.connect(a)
                let (visitor, _) = try await WebChatVisitor.start(a, channelID: channel.id)
                let onB = WebChatStream(url: visitor.streamURL(base: b.baseURL))
                defer { onB.close() }
                let ready = await onB.wait { $0.contains { $0["type"] as? String == "ready" } }
                #expect(ready)
                #expect(try await visitor.send("Sent through replica A").status == 200)
                let seen = await onB.wait { _ in
                    onB.messages.contains { $0["text"] as? String == "Sent through replica A" }
                }
                #expect(seen)
                // A reply queued through B reaches a stream on A, whichever worker sends it.
                let onA = WebChatStream(url: visitor.streamURL())
                defer { onA.close() }
                _ = await onA.wait { $0.contains { $0["type"] as? String == "ready" } }
                _ = try await b.deliver(Self.reply(on: channel, to: visitor, text: "Answered from B"))
                let answered = await onA.wait { _ in !Self.agentMessages(onA, text: "Answered from B").isEmpty }
                #expect(answered)
                #expect(Self.agentMessages(onA, text: "Answered from B").count == 1)
            }
        }
    }

    @Test func aReplyWrittenTwiceIsShownOnce() async throws {
        try await GatewayHarness.with { h in
            let channel = try await WebChatTests.connect(h)
            let (visitor, _) = try await WebChatVisitor.start(h, channelID: channel.id)
            #expect(try await visitor.send("Hello").status == 200)
            let replies = WebChatReplies(
                transcript: WebChatTranscript(client: h.database, logger: Logger(label: "test")),
                hub: WebChatHub(client: h.database, logger: Logger(label: "test")), logger: Logger(label: "test"),
                now: { Date() })
            let message = OutboundMessage(
                kind: .webChatMessage(visitorID: visitor.visitorID), text: "Once", idempotencyKey: "key-1")
            let id = try #require(UUID(uuidString: channel.id))
            let first = await replies.deliver(message, visitorID: visitor.visitorID, channelID: id)
            let second = await replies.deliver(message, visitorID: visitor.visitorID, channelID: id)
            #expect(first == second)
            guard case .sent(let platformID?) = first else {
                Issue.record("not sent: \(first)")
                return
            }
            #expect(platformID == WebChatMessage.agentMessageID(idempotencyKey: "key-1"))
            let history = try await visitor.history()
            let texts = (history.json["messages"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
            #expect(texts == ["Hello", "Once"])
        }
    }
}
