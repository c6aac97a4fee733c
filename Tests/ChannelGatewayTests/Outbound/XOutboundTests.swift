import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("X outbound")
struct XOutboundTests {
    let credentials = XCredentials(userAccessToken: "x-user-token")
    let production = XOutboundAdapter(endpoint: OutboundEndpoints.production[XOutboundAdapter.api])

    @Test("DM and reply post requests")
    func requests() throws {
        let dm = try production.request(
            for: outboundMessage(.xDirectMessage(participantID: "3805104374")), credentials: credentials)
        #expect(dm.method == "POST")
        #expect(dm.url == "https://api.x.com/2/dm_conversations/with/3805104374/messages")
        #expect(dm.headers == ["authorization": "Bearer x-user-token", "content-type": "application/json"])
        #expect(bodyJSON(dm.body) == ["text": "Hello there"])
        let reply = try production.request(
            for: outboundMessage(.xReply(inReplyToPostID: "1770000000000000001")), credentials: credentials)
        #expect(reply.url == "https://api.x.com/2/tweets")
        #expect(
            bodyJSON(reply.body) == ["text": "Hello there", "reply": ["in_reply_to_tweet_id": "1770000000000000001"]])
    }

    @Test(
        "DM and reply are accepted by the fake (201) with its ids",
        arguments: [
            OutboundKind.xDirectMessage(participantID: "3805104374"), .xReply(inReplyToPostID: "1770000000000000001"),
        ])
    func sendsAgainstFake(kind: OutboundKind) async throws {
        try await withFake(try await XAPIFake.start(userAccessToken: "x-user-token")) { fake in
            let adapter = XOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(kind), with: adapter, credentials: credentials)
            }
            let id = try #require(sentID(outcome))
            #expect(id.hasPrefix("18"))
            let recorded = try #require(fake.recorder.requests.last)
            #expect(recorded.headers["authorization"] == "Bearer x-user-token")
            #expect(
                bodyJSON(recorded)
                    == bodyJSON(try adapter.request(for: outboundMessage(kind), credentials: credentials).body))
        }
    }

    @Test("429 waits until x-rate-limit-reset")
    func rateLimit() async throws {
        let now: @Sendable () -> Double = { 1_790_000_000 }
        try await withFake(try await XAPIFake.start(userAccessToken: "x-user-token", now: now)) { fake in
            fake.script.enqueue(.rateLimited(retryAfterSeconds: 42), on: XAPIFake.Endpoint.directMessage.rawValue)
            let adapter = XOutboundAdapter(endpoint: .init(baseURL: fake.baseURL), nowUnixSeconds: now)
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.xDirectMessage(participantID: "1")), with: adapter, credentials: credentials)
            }
            #expect(outcome == .retryAfter(delay: .seconds(42), reason: .rateLimited))
        }
    }

    @Test(
        "errors: 403 on a DM is the recipient, 401 the token, 500 transient",
        arguments: [
            (ScriptedFailure.recipientUnavailable, OutboundFailureReason.recipientUnavailable),
            (.tokenError, .tokenInvalid), (.serverError, .transient),
        ])
    func errors(failure: ScriptedFailure, reason: OutboundFailureReason) async throws {
        try await withFake(try await XAPIFake.start(userAccessToken: "x-user-token")) { fake in
            fake.script.enqueue(failure, on: XAPIFake.Endpoint.directMessage.rawValue)
            let adapter = XOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.xDirectMessage(participantID: "1")), with: adapter, credentials: credentials)
            }
            #expect((failureReason(outcome) ?? retryReason(outcome)?.0) == reason)
        }
    }
}
