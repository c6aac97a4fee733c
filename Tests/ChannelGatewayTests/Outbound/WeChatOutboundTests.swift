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
        #expect(token.method == "POST")
        #expect(token.url == "https://api.weixin.qq.com/cgi-bin/stable_token")
        #expect(token.headers == ["content-type": "application/json"])
        #expect(
            bodyJSON(token.body) == [
                "grant_type": "client_credential", "appid": "wx1", "secret": "s e", "force_refresh": false,
            ])
        let forced = adapter.tokenRequest(appID: "wx1", appSecret: "s e", mode: .forceRefresh)
        #expect(bodyJSON(forced.body)?["force_refresh"] == true)
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
            (
                .platformError(code: 43004),
                .failed(reason: .recipientUnavailable, detail: "WeChat 43004: require subscribe")
            ),
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

    @Test("the cache forces a refresh only for a token rejected within its announced life, 30 s apart at most")
    func forceRefreshOnlyAfterAnEarlyRejection() async throws {
        let clock = ManualInstant()
        let cache = WeChatAccessTokenCache(refreshMargin: .seconds(300), now: clock.now)
        let modes = FetchModeLog()
        let fetch: WeChatTokenFetch = { mode in
            let count = modes.append(mode)
            return .success(WeChatAccessToken(value: "T\(count)", expiresIn: .seconds(count == 4 ? 100 : 7200)))
        }
        #expect(try await cache.token(appID: "wx", fetching: fetch).get() == "T1")
        #expect(try await cache.token(appID: "wx", fetching: fetch).get() == "T1")
        clock.advance(by: .seconds(60))
        await cache.invalidate(appID: "wx", token: "T1")
        #expect(try await cache.token(appID: "wx", fetching: fetch).get() == "T2")
        // Rejected again 10 s after the forced refresh: WeChat would ignore a second force now.
        clock.advance(by: .seconds(10))
        await cache.invalidate(appID: "wx", token: "T2")
        #expect(try await cache.token(appID: "wx", fetching: fetch).get() == "T3")
        // A short-lived token rejected after its announced life is simply fetched again.
        clock.advance(by: .seconds(7000))
        #expect(try await cache.token(appID: "wx", fetching: fetch).get() == "T4")
        clock.advance(by: .seconds(120))
        await cache.invalidate(appID: "wx", token: "T4")
        #expect(try await cache.token(appID: "wx", fetching: fetch).get() == "T5")
        #expect(modes.all == [.normal, .forceRefresh, .normal, .normal, .normal])
    }

    @Test("a token WeChat dropped early is replaced by a forced stable-token refresh, and the send goes out")
    func forcedRefreshAgainstFake() async throws {
        try await withWeChatFake { fake, adapter in
            try await OutboundTestHarness.with { harness in
                let cache = WeChatAccessTokenCache()
                // What OutboundSender does for WeChat, with the fetch mode passed on.
                let fetch: WeChatTokenFetch = { mode in
                    let request = adapter.tokenRequest(appID: fake.appID, appSecret: fake.appSecret, mode: mode)
                    do {
                        return adapter.token(from: try await harness.http.execute(request))
                    } catch {
                        return .failure(WeChatTokenError(detail: "transport", isTransient: true))
                    }
                }
                func send() async throws -> OutboundOutcome {
                    let token = try await cache.token(appID: fake.appID, fetching: fetch).get()
                    let request = try adapter.request(for: outboundMessage(text), credentials: .accessToken(token))
                    let answer = try await harness.http.execute(request)
                    let outcome = adapter.outcome(of: answer, for: outboundMessage(text))
                    if case .failed(.tokenInvalid, _) = outcome {
                        await cache.invalidate(appID: fake.appID, token: token)
                    }
                    return outcome
                }
                let first = try await send()
                #expect(first == .sent(platformMessageID: nil))
                fake.blockCurrentToken()
                let refused = try await send()
                #expect(failureReason(refused) == .tokenInvalid)
                let again = try await send()
                #expect(again == .sent(platformMessageID: nil))
                let forced = fake.tokenRequests.map { bodyJSON($0)?["force_refresh"] }
                let expected: [WireJSON?] = [false, true]
                #expect(forced == expected)
            }
        }
    }

    @Test("OutboundSender forces the refresh of a token WeChat dropped early")
    func senderForcesRefresh() async throws {
        try await withWeChatFake { fake, adapter in
            try await OutboundTestHarness.with { harness in
                let sender = harness.sender([adapter])
                let first = try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                #expect(first == .sent(platformMessageID: nil))
                fake.blockCurrentToken()
                let second = try await sender.send(outboundMessage(text), on: .wechat, credentials: credentials)
                #expect(second == .sent(platformMessageID: nil))
                let expected: [WireJSON?] = [false, true]
                #expect(fake.tokenRequests.map { bodyJSON($0)?["force_refresh"] } == expected)
            }
        }
    }

    @Test(
        "token endpoint errors: 45009 is a rate limit, 40164 the IP allow-list, neither a bad secret",
        arguments: [
            (
                ScriptedFailure.rateLimited(retryAfterSeconds: 1),
                OutboundOutcome.retryAfter(delay: nil, reason: .rateLimited)
            ),
            (
                .platformError(code: 40164),
                .failed(
                    reason: .other,
                    detail: "WeChat token 40164: invalid ip 203.0.113.7, not in whitelist"
                        + " (this server's IP is not on the account's allow-list)")
            ),
            (.tokenError, .failed(reason: .tokenInvalid, detail: "WeChat token 40125: invalid appsecret")),
        ])
    func tokenEndpointErrors(failure: ScriptedFailure, expected: OutboundOutcome) async throws {
        try await withWeChatFake { fake, adapter in
            fake.script.enqueue(failure, on: WeChatAPIFake.Endpoint.stableToken.rawValue)
            let answer = try await OutboundTestHarness.with {
                try await $0.http.execute(adapter.tokenRequest(appID: fake.appID, appSecret: fake.appSecret))
            }
            guard case .failure(let error) = adapter.token(from: answer) else {
                Issue.record("expected no token")
                return
            }
            #expect(error.outcome == expected)
        }
    }

    private func withWeChatFake(_ body: (WeChatAPIFake, WeChatOutboundAdapter) async throws -> Void) async throws {
        try await withFake(try await WeChatAPIFake.start(appID: "wx1234567890abcdef", appSecret: "wechat-app-secret")) {
            fake in
            try await body(fake, WeChatOutboundAdapter(endpoint: .init(baseURL: fake.baseURL)))
        }
    }
}

typealias WeChatTokenFetch = @Sendable (WeChatTokenFetchMode) async -> Result<WeChatAccessToken, WeChatTokenError>

/// The modes a test's token fetch was asked in, in order.
final class FetchModeLog: Sendable {
    private let modes = Mutex<[WeChatTokenFetchMode]>([])

    /// Records `mode`; the number of fetches so far.
    func append(_ mode: WeChatTokenFetchMode) -> Int {
        modes.withLock { modes in
            modes.append(mode)
            return modes.count
        }
    }

    var all: [WeChatTokenFetchMode] { modes.withLock { $0 } }
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
