import Foundation
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

    @Test("a spent 24-hour cap waits until it lifts, not until the 15-minute window resets")
    func dailyLimit() async throws {
        let now: @Sendable () -> Double = { 1_790_000_000 }
        try await withFake(try await XAPIFake.start(userAccessToken: "x-user-token", now: now)) { fake in
            fake.script.enqueue(.platformError(code: 185), on: XAPIFake.Endpoint.directMessage.rawValue)
            let adapter = XOutboundAdapter(endpoint: .init(baseURL: fake.baseURL), nowUnixSeconds: now)
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.xDirectMessage(participantID: "1")), with: adapter, credentials: credentials)
            }
            #expect(outcome == .retryAfter(delay: .seconds(72_000), reason: .rateLimited))
        }
    }

    @Test("the 15-minute window and Retry-After still decide when no daily cap is spent")
    func rateLimitHeaders() {
        let now = 1_790_000_000.0
        let both = [
            "x-rate-limit-remaining": "0", "x-rate-limit-reset": "1790000060", "x-user-limit-24hour-remaining": "12",
            "x-user-limit-24hour-reset": "1790050000",
        ]
        #expect(XRateLimitHeaders.delay(in: both, nowUnixSeconds: now) == .seconds(60))
        let appCap = ["x-app-limit-24hour-remaining": "0", "x-app-limit-24hour-reset": "1790003600"]
        #expect(XRateLimitHeaders.delay(in: appCap, nowUnixSeconds: now) == .seconds(3600))
        #expect(XRateLimitHeaders.delay(in: ["retry-after": "5"], nowUnixSeconds: now) == .seconds(5))
        #expect(XRateLimitHeaders.delay(in: [:], nowUnixSeconds: now) == nil)
    }

    @Test(
        "a DM 403 is read: our app's access is other, a recipient refusing DMs is recipientUnavailable",
        arguments: [
            (ScriptedFailure.platformError(code: 453), OutboundFailureReason.other, "access"),
            (.platformError(code: 349), .recipientUnavailable, "cannot send messages"),
            (.platformError(code: 403), .other, "Scripted error 403"),
        ])
    func forbiddenBodies(failure: ScriptedFailure, reason: OutboundFailureReason, detailWord: String) async throws {
        try await withFake(try await XAPIFake.start(userAccessToken: "x-user-token")) { fake in
            fake.script.enqueue(failure, on: XAPIFake.Endpoint.directMessage.rawValue)
            let adapter = XOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.xDirectMessage(participantID: "1")), with: adapter, credentials: credentials)
            }
            guard case .failed(let got, let detail) = outcome else {
                Issue.record("expected a failure, got \(outcome)")
                return
            }
            #expect(got == reason)
            #expect(detail.contains(detailWord))
        }
    }

    @Test("the bare Forbidden X answers a token without dm.write is not taken as the recipient")
    func bareForbidden() {
        let body = #"{"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden"}"#
        let outcome = production.outcome(
            of: PlatformResponse(status: 403, body: Array(body.utf8)),
            for: outboundMessage(.xDirectMessage(participantID: "1")))
        #expect(failureReason(outcome) == .other)
        let unsupported =
            #"{"title":"Unsupported Authentication","#
            + #""type":"https://api.twitter.com/2/problems/unsupported-authentication","status":403,"#
            + #""detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint."}"#
        let appOnly = production.outcome(
            of: PlatformResponse(status: 403, body: Array(unsupported.utf8)),
            for: outboundMessage(.xDirectMessage(participantID: "1")))
        guard case .failed(.other, let detail) = appOnly else {
            Issue.record("expected other, got \(appOnly)")
            return
        }
        #expect(detail.contains("access"))
    }

    @Test("refresh request: form body with client_id; Basic auth for a confidential client")
    func refreshRequest() {
        let confidential = production.tokenRefreshRequest(
            refreshToken: "rt/1", client: XOAuthClient(clientID: "cid", clientSecret: "secret"))
        #expect(confidential.method == "POST")
        #expect(confidential.url == "https://api.x.com/2/oauth2/token")
        #expect(
            confidential.headers == [
                "content-type": "application/x-www-form-urlencoded", "authorization": "Basic Y2lkOnNlY3JldA==",
            ])
        #expect(
            String(decoding: confidential.body, as: UTF8.self)
                == "grant_type=refresh_token&refresh_token=rt%2F1&client_id=cid")
        let publicClient = production.tokenRefreshRequest(refreshToken: "rt", client: XOAuthClient(clientID: "cid"))
        #expect(publicClient.headers["authorization"] == nil)
    }

    @Test("an expired two-hour token is renewed with the refresh token, and the DM then goes out")
    func refreshAgainstFake() async throws {
        try await withFake(
            try await XAPIFake.start(
                userAccessToken: "x-user-token", refreshToken: "x-refresh-0", clientID: "cid", clientSecret: "secret")
        ) { fake in
            let adapter = XOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            let client = XOAuthClient(clientID: "cid", clientSecret: "secret")
            let old = XCredentials(
                userAccessToken: "x-user-token", refreshToken: "x-refresh-0",
                expiresAt: Date(timeIntervalSince1970: 1_790_000_000))
            let dm = outboundMessage(.xDirectMessage(participantID: "3805104374"))
            let now = Date(timeIntervalSince1970: 1_790_000_100)
            #expect(old.needsRefresh(at: now))
            try await OutboundTestHarness.with { harness in
                fake.expireAccessToken()
                #expect(failureReason(try await harness.send(dm, with: adapter, credentials: old)) == .tokenInvalid)
                let answer = try await harness.http.execute(
                    adapter.tokenRefreshRequest(refreshToken: "x-refresh-0", client: client))
                let renewed = try adapter.refreshedCredentials(from: answer, replacing: old, now: now).get()
                #expect(renewed.userAccessToken == fake.userAccessToken)
                #expect(renewed.refreshToken == fake.refreshToken)
                #expect(renewed.refreshToken != "x-refresh-0")
                #expect(renewed.expiresAt == now.addingTimeInterval(7200))
                #expect(!renewed.needsRefresh(at: now))
                #expect(sentID(try await harness.send(dm, with: adapter, credentials: renewed)) != nil)
                // X rotated the refresh token: the old one is refused, and that is the token's end.
                let reused = try await harness.http.execute(
                    adapter.tokenRefreshRequest(refreshToken: "x-refresh-0", client: client))
                let refusal = adapter.refreshedCredentials(from: reused, replacing: old, now: now)
                #expect(failureReason(refusalOutcome(refusal)) == .tokenInvalid)
                let wrongSecret = XOAuthClient(clientID: "cid", clientSecret: "no")
                let wrongClient = try await harness.http.execute(
                    adapter.tokenRefreshRequest(refreshToken: renewed.refreshToken ?? "", client: wrongSecret))
                let misconfigured = adapter.refreshedCredentials(from: wrongClient, replacing: renewed, now: now)
                #expect(failureReason(refusalOutcome(misconfigured)) == .other)
            }
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

private func refusalOutcome(_ result: Result<XCredentials, XTokenRefreshError>) -> OutboundOutcome {
    switch result {
    case .success: return .sent(platformMessageID: nil)
    case .failure(let error): return error.outcome
    }
}
