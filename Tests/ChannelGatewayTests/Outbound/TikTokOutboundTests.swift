import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("TikTok outbound")
struct TikTokOutboundTests {
    let credentials = TikTokCredentials(accessToken: "tt-token", businessID: "-000AbCdEfGh-business-open-id")
    let kind = OutboundKind.tiktokCommentReply(videoID: "7203946942097902849", commentID: "7247303576418566913")

    @Test("comment reply request uses the Access-Token header and string ids")
    func request() throws {
        let adapter = TikTokOutboundAdapter(endpoint: OutboundEndpoints.production[TikTokOutboundAdapter.api])
        let request = try adapter.request(for: outboundMessage(kind, "Thanks! DM us."), credentials: credentials)
        #expect(request.method == "POST")
        #expect(request.url == "https://business-api.tiktok.com/open_api/v1.3/business/comment/reply/create/")
        #expect(request.headers == ["access-token": "tt-token", "content-type": "application/json"])
        #expect(
            bodyJSON(request.body)
                == [
                    "business_id": "-000AbCdEfGh-business-open-id", "video_id": "7203946942097902849",
                    "comment_id": "7247303576418566913", "text": "Thanks! DM us.",
                ])
    }

    @Test("the fake accepts the reply and returns the new comment id")
    func sendsAgainstFake() async throws {
        try await withFake(
            try await TikTokAPIFake.start(accessToken: "tt-token", businessID: "-000AbCdEfGh-business-open-id")
        ) { fake in
            let adapter = TikTokOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "v1.3"))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(kind), with: adapter, credentials: credentials)
            }
            #expect(sentID(outcome)?.hasPrefix("725") == true)
            #expect(fake.recorder.requests.last?.headers["access-token"] == "tt-token")
        }
    }

    @Test(
        "HTTP 200 with a non-zero code is classified",
        arguments: [
            (
                ScriptedFailure.rateLimited(retryAfterSeconds: 1),
                OutboundOutcome.retryAfter(delay: .seconds(300), reason: .rateLimited)
            ),
            (.serverError, .retryAfter(delay: nil, reason: .transient)),
        ])
    func retryable(failure: ScriptedFailure, expected: OutboundOutcome) async throws {
        try await withFake(
            try await TikTokAPIFake.start(accessToken: "tt-token", businessID: "-000AbCdEfGh-business-open-id")
        ) { fake in
            fake.script.enqueue(failure, on: TikTokAPIFake.Endpoint.commentReply.rawValue)
            let adapter = TikTokOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "v1.3"))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(kind), with: adapter, credentials: credentials)
            }
            #expect(outcome == expected)
        }
    }

    @Test(
        "codes from TikTok's list: 40132 is retried, 40103 and 40130 are the token, 40101 is our app, not the token",
        arguments: [
            (40132, OutboundFailureReason.transient, true), (40103, .tokenInvalid, false),
            (40130, .tokenInvalid, false), (40101, .other, false),
        ])
    func returnCodes(code: Int, reason: OutboundFailureReason, retryable: Bool) async throws {
        try await withFake(
            try await TikTokAPIFake.start(accessToken: "tt-token", businessID: "-000AbCdEfGh-business-open-id")
        ) { fake in
            fake.script.enqueue(.platformError(code: code), on: TikTokAPIFake.Endpoint.commentReply.rawValue)
            let adapter = TikTokOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "v1.3"))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(kind), with: adapter, credentials: credentials)
            }
            if retryable {
                #expect(outcome == .retryAfter(delay: nil, reason: reason))
                return
            }
            guard case .failed(let got, let detail) = outcome else {
                Issue.record("expected a failure, got \(outcome)")
                return
            }
            #expect(got == reason)
            #expect(detail.hasPrefix("TikTok \(code): "))
            if code == 40101 { #expect(detail.contains("not the token")) }
        }
    }

    @Test("a reply over 150 characters is refused before anything is sent; 150 go out")
    func replyLengthLimit() async throws {
        try await withFake(
            try await TikTokAPIFake.start(accessToken: "tt-token", businessID: "-000AbCdEfGh-business-open-id")
        ) { fake in
            let adapter = TikTokOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "v1.3"))
            try await OutboundTestHarness.with { harness in
                let long = outboundMessage(kind, String(repeating: "é", count: 151))
                await #expect(throws: OutboundBuildError.textTooLong(platform: .tiktok, limit: 150)) {
                    try await harness.send(long, with: adapter, credentials: credentials)
                }
                #expect(fake.recorder.requests.isEmpty)
                let longest = outboundMessage(kind, String(repeating: "👍", count: 150))
                let outcome = try await harness.send(longest, with: adapter, credentials: credentials)
                #expect(sentID(outcome) != nil)
            }
        }
    }

    @Test("a wrong Access-Token is tokenInvalid (40105); a bad parameter is other (40002)")
    func finalErrors() async throws {
        try await withFake(
            try await TikTokAPIFake.start(accessToken: "tt-token", businessID: "-000AbCdEfGh-business-open-id")
        ) { fake in
            let adapter = TikTokOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "v1.3"))
            try await OutboundTestHarness.with { harness in
                let wrongToken = try await harness.send(
                    outboundMessage(kind), with: adapter,
                    credentials: TikTokCredentials(accessToken: "old", businessID: "-000AbCdEfGh-business-open-id"))
                #expect(failureReason(wrongToken) == .tokenInvalid)
                let wrongBusiness = try await harness.send(
                    outboundMessage(kind), with: adapter,
                    credentials: TikTokCredentials(accessToken: "tt-token", businessID: "other"))
                #expect(failureReason(wrongBusiness) == .other)
            }
        }
    }
}
