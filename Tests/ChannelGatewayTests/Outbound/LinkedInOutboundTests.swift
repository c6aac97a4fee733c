import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("LinkedIn outbound")
struct LinkedInOutboundTests {
    let credentials = LinkedInCredentials(accessToken: "li-token")
    let target = LinkedInCommentTarget(
        actor: "urn:li:organization:96072893", object: "urn:li:activity:7094637247890620418",
        parentComment: "urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)")

    @Test("nested reply: URL-encoded parent comment URN in the path, Rest.li and version headers")
    func nestedRequest() throws {
        let adapter = LinkedInOutboundAdapter(endpoint: OutboundEndpoints.production[LinkedInOutboundAdapter.api])
        let request = try adapter.request(for: outboundMessage(.linkedInComment(target)), credentials: credentials)
        #expect(
            request.url
                == "https://api.linkedin.com/rest/socialActions/urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A7094637247890620418%2C7094977717598625792%29/comments"
        )
        #expect(
            request.headers == [
                "authorization": "Bearer li-token", "content-type": "application/json", "linkedin-version": "202611",
                "x-restli-protocol-version": "2.0.0",
            ])
        #expect(
            bodyJSON(request.body)
                == [
                    "actor": "urn:li:organization:96072893", "object": "urn:li:activity:7094637247890620418",
                    "message": ["text": "Hello there"],
                    "parentComment": "urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)",
                ])
    }

    @Test("top-level comment targets the post and has no parentComment")
    func topLevelRequest() throws {
        let adapter = LinkedInOutboundAdapter(endpoint: OutboundEndpoints.production[LinkedInOutboundAdapter.api])
        var topLevel = target
        topLevel.parentComment = nil
        let request = try adapter.request(for: outboundMessage(.linkedInComment(topLevel)), credentials: credentials)
        #expect(request.url.hasSuffix("/rest/socialActions/urn%3Ali%3Aactivity%3A7094637247890620418/comments"))
        #expect(bodyJSON(request.body)?["parentComment"] == nil)
    }

    @Test("both shapes are accepted by the fake; the id is the comment URN", arguments: [true, false])
    func sendsAgainstFake(nested: Bool) async throws {
        try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token", version: "202611")) { fake in
            let adapter = LinkedInOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "202611"))
            var comment = target
            if !nested { comment.parentComment = nil }
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.linkedInComment(comment)), with: adapter, credentials: credentials)
            }
            let id = try #require(sentID(outcome))
            #expect(id.hasPrefix("urn:li:comment:(urn:li:activity:7094637247890620418,"))
            #expect(id.hasSuffix(")"))
            let recorded = try #require(fake.recorder.requests.last)
            #expect(recorded.headers["linkedin-version"] == "202611")
            #expect(recorded.segments[2] == (comment.parentComment ?? comment.object))
        }
    }

    @Test(
        "the id is the body's commentUrn, the URN inbound uses, not x-restli-id's number", arguments: [true, false])
    func commentURNNotTheNumber(nested: Bool) async throws {
        try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token", numericRestliID: true)) { fake in
            let adapter = LinkedInOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "202611"))
            var comment = target
            if !nested { comment.parentComment = nil }
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.linkedInComment(comment)), with: adapter, credentials: credentials)
            }
            let id = try #require(sentID(outcome))
            #expect(id.hasPrefix("urn:li:comment:(urn:li:activity:7094637247890620418,"))
            #expect(id.hasSuffix(")"))
        }
    }

    @Test("without a body, the URN is built from x-restli-id's number and the post", arguments: [true, false])
    func urnFromHeader(nested: Bool) async throws {
        try await withFake(
            try await LinkedInAPIFake.start(accessToken: "li-token", createdBody: false, numericRestliID: true)
        ) { fake in
            let adapter = LinkedInOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "202611"))
            var comment = target
            if !nested { comment.parentComment = nil }
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.linkedInComment(comment)), with: adapter, credentials: credentials)
            }
            let id = try #require(sentID(outcome))
            let number = id.dropFirst("urn:li:comment:(urn:li:activity:7094637247890620418,".count).dropLast()
            #expect(id.hasPrefix("urn:li:comment:(urn:li:activity:7094637247890620418,"))
            #expect(!number.isEmpty && number.allSatisfy(\.isNumber))
        }
    }

    @Test("the body's commentUrn wins over x-restli-id; an answer naming no comment is not sent")
    func commentURNSources() {
        let adapter = LinkedInOutboundAdapter(endpoint: OutboundEndpoints.production[LinkedInOutboundAdapter.api])
        let message = outboundMessage(.linkedInComment(target))
        let urn = "urn:li:comment:(urn:li:activity:7094637247890620418,7100000000000000009)"
        let withBody = PlatformResponse(
            status: 201, headers: ["x-restli-id": "7100000000000000009"],
            body: Array(#"{"id":"7100000000000000009","commentUrn":"\#(urn)"}"#.utf8))
        #expect(adapter.outcome(of: withBody, for: message) == .sent(platformMessageID: urn))
        let urnHeader = PlatformResponse(status: 201, headers: ["x-restli-id": urn])
        #expect(adapter.outcome(of: urnHeader, for: message) == .sent(platformMessageID: urn))
        #expect(sentID(adapter.outcome(of: PlatformResponse(status: 201), for: message)) == nil)
    }

    @Test("a sunset LinkedIn-Version is refused by the fake and is not sent")
    func wrongVersion() async throws {
        try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token", version: "202611")) { fake in
            let adapter = LinkedInOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "202508"))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.linkedInComment(target)), with: adapter, credentials: credentials)
            }
            guard case .failed(.other, let detail) = outcome else {
                Issue.record("expected other, got \(outcome)")
                return
            }
            #expect(detail.contains("426"))
        }
    }

    @Test(
        "429 with Retry-After, expired token, server error",
        arguments: [
            (
                ScriptedFailure.rateLimited(retryAfterSeconds: 30),
                OutboundOutcome.retryAfter(delay: .seconds(30), reason: .rateLimited)
            ),
            (.serverError, .retryAfter(delay: nil, reason: .transient)),
        ])
    func retryable(failure: ScriptedFailure, expected: OutboundOutcome) async throws {
        try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token")) { fake in
            fake.script.enqueue(failure, on: LinkedInAPIFake.Endpoint.comments.rawValue)
            let adapter = LinkedInOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "202611"))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.linkedInComment(target)), with: adapter, credentials: credentials)
            }
            #expect(outcome == expected)
        }
    }

    @Test("an expired token (401) is tokenInvalid")
    func expiredToken() async throws {
        try await withFake(try await LinkedInAPIFake.start(accessToken: "li-token")) { fake in
            fake.script.enqueue(.tokenError, on: LinkedInAPIFake.Endpoint.comments.rawValue)
            let adapter = LinkedInOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "202611"))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.linkedInComment(target)), with: adapter, credentials: credentials)
            }
            #expect(failureReason(outcome) == .tokenInvalid)
        }
    }
}
