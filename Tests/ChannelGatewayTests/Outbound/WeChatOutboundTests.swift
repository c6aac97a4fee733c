import PlatformJSON
import Synchronization
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("WeChat outbound")
struct WeChatOutboundTests {
    let credentials = WeChatCredentials.app(appID: "wx1234567890abcdef", appSecret: "wechat-app-secret")
    let text = OutboundKind.weChatText(openID: "ogdotwSc_MmEEsJs9-ABZ1QL_4r4")

    @Test("custom send and token requests")
    func requests() throws {
        let adapter = WeChatOutboundAdapter(endpoint: OutboundEndpoints.production[WeChatOutboundAdapter.api])
        let send = try adapter.request(for: outboundMessage(text, "已发货"), credentials: .accessToken("TOKEN/1"))
        #expect(send.url == "https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=TOKEN%2F1")
        #expect(
            bodyJSON(send.body) == [
                "touser": "ogdotwSc_MmEEsJs9-ABZ1QL_4r4", "msgtype": "text", "text": ["content": "已发货"],
            ])
        let token = adapter.tokenRequest(appID: "wx1", appSecret: "s e")
        #expect(token.method == "GET")
        #expect(
            token.url == "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s%20e")
        #expect(throws: OutboundBuildError.wrongCredentials(platform: .wechat)) {
            try adapter.request(for: outboundMessage(text), credentials: credentials)
        }
    }

    @Test("a token is fetched once and reused for later sends")
    func tokenIsCached() async throws {
        try await withWeChatFake { fake, adapter in
            try await OutboundTestHarness.with { harness in
                let sender = harness.sender([adapter])
                for _ in 0..<3 {
                    let outcome = try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                    #expect(outcome == .sent(platformMessageID: nil))
                }
            }
            #expect(fake.issuedTokenCount == 1)
            #expect(fake.recorder.requests.filter { $0.path == "/cgi-bin/message/custom/send" }.count == 3)
        }
    }

    @Test("a rejected token (40001) is refreshed once and the send repeated")
    func tokenRefreshedOnce() async throws {
        try await withWeChatFake { fake, adapter in
            try await OutboundTestHarness.with { harness in
                let sender = harness.sender([adapter])
                #expect(
                    try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                        == .sent(platformMessageID: nil))
                fake.revokeCurrentToken()
                #expect(
                    try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                        == .sent(platformMessageID: nil))
                #expect(fake.issuedTokenCount == 2)
                fake.script.enqueue(.tokenError, .tokenError, on: WeChatAPIFake.Endpoint.customSend.rawValue)
                let outcome = try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                #expect(failureReason(outcome) == .tokenInvalid)
                #expect(fake.issuedTokenCount == 3)
            }
        }
    }

    @Test("a token is refetched once its lifetime minus the margin has passed")
    func tokenExpires() async throws {
        let clock = ManualInstant()
        let cache = WeChatAccessTokenCache(refreshMargin: .seconds(300), now: clock.now)
        try await withWeChatFake { fake, adapter in
            try await OutboundTestHarness.with { harness in
                let sender = harness.sender([adapter], tokens: cache)
                _ = try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                clock.advance(by: .seconds(6899))
                _ = try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                #expect(fake.issuedTokenCount == 1)
                clock.advance(by: .seconds(2))
                _ = try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                #expect(fake.issuedTokenCount == 2)
            }
        }
    }

    @Test("a wrong AppSecret is tokenInvalid without sending")
    func wrongSecret() async throws {
        try await withWeChatFake { fake, adapter in
            let outcome = try await OutboundTestHarness.with {
                try await $0.sender([adapter]).send(
                    outboundMessage(text), on: .wechat,
                    credentials: WeChatCredentials.app(appID: "wx1234567890abcdef", appSecret: "wrong"))
            }
            guard case .failed(.tokenInvalid, let detail) = outcome else {
                Issue.record("expected tokenInvalid, got \(outcome)")
                return
            }
            #expect(detail.contains("40125"))
            #expect(!fake.recorder.requests.contains { $0.path == "/cgi-bin/message/custom/send" })
        }
    }

    @Test(
        "errcode classification",
        arguments: [
            (
                ScriptedFailure.windowError,
                OutboundOutcome.failed(
                    reason: .outsideWindow,
                    detail: "WeChat 45015: response out of time limit or subscription is canceled")
            ),
            (
                .platformError(code: 45047),
                .failed(reason: .rateLimited, detail: "WeChat 45047: out of response count limit")
            ),
            (.rateLimited(retryAfterSeconds: 1), .retryAfter(delay: nil, reason: .rateLimited)),
            (.serverError, .retryAfter(delay: nil, reason: .transient)),
        ])
    func errors(failure: ScriptedFailure, expected: OutboundOutcome) async throws {
        try await withWeChatFake { fake, adapter in
            fake.script.enqueue(failure, on: WeChatAPIFake.Endpoint.customSend.rawValue)
            let outcome = try await OutboundTestHarness.with {
                try await $0.sender([adapter]).send(outboundMessage(text), on: .wechat, credentials: credentials)
            }
            #expect(outcome == expected)
        }
    }

    private func withWeChatFake(_ body: (WeChatAPIFake, WeChatOutboundAdapter) async throws -> Void) async throws {
        try await withFake(try await WeChatAPIFake.start(appID: "wx1234567890abcdef", appSecret: "wechat-app-secret")) {
            fake in
            try await body(fake, WeChatOutboundAdapter(endpoint: .init(baseURL: fake.baseURL)))
        }
    }
}

/// A clock the test moves by hand.
final class ManualInstant: Sendable {
    private let start = ContinuousClock.now
    private let offset = Mutex<Duration>(.zero)

    var now: @Sendable () -> ContinuousClock.Instant {
        { [self] in start + offset.withLock { $0 } }
    }

    func advance(by duration: Duration) {
        offset.withLock { $0 += duration }
    }
}
