import Synchronization

/// A fake WeChat Official Account API: the two token endpoints and
/// `POST /cgi-bin/message/custom/send`. Answers `{"errcode":0,"errmsg":"ok"}` or
/// `{"errcode":N,"errmsg":"..."}`, always HTTP 200.
///
/// Tokens behave as WeChat's do. `GET /cgi-bin/token` issues a new token on every call and the
/// previous one stops working. `POST /cgi-bin/stable_token` (JSON `grant_type`, `appid`,
/// `secret`, `force_refresh`) keeps its own token, isolated from the first: in normal mode it
/// hands out the token in force (a new one only when there is none), with `force_refresh: true`
/// it issues a new one and the previous stops working. Sends take either endpoint's current token.
///
/// Scripted failures on the token endpoints: `.rateLimited` is 45009 (the token API's daily
/// quota), `.serverError` -1, `.tokenError` 40125 (bad AppSecret), `.platformError(code:)` that
/// code (40164 comes with WeChat's "not in whitelist" text).
public final class WeChatAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case token
        case stableToken
        case customSend
    }

    public let appID: String
    public let appSecret: String
    /// Lifetime announced in `expires_in`.
    public let expiresIn: Int
    let host = FakePlatformHost()
    private let tokens = Mutex<(legacy: String?, stable: String?, blocked: Set<String>)>((nil, nil, []))

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    public var baseURL: String { host.baseURL }
    /// How many token requests were answered so far, on either endpoint (a normal-mode stable
    /// token request may hand out the token already in force).
    public var issuedTokenCount: Int { tokenRequests.count }
    /// The token requests received, in order (`force_refresh` is in the stable ones' bodies).
    public var tokenRequests: [FakeRequest] {
        recorder.requests.filter { $0.path == "/cgi-bin/token" || $0.path == "/cgi-bin/stable_token" }
    }

    private init(appID: String, appSecret: String, expiresIn: Int) {
        self.appID = appID
        self.appSecret = appSecret
        self.expiresIn = expiresIn
    }

    public static func start(appID: String, appSecret: String, expiresIn: Int = 7200) async throws -> WeChatAPIFake {
        let fake = WeChatAPIFake(appID: appID, appSecret: appSecret, expiresIn: expiresIn)
        try await fake.host.start(endpoint: Self.endpoint(of:)) { fake.answer($0, failure: $1) }
        return fake
    }

    public func stop() async { await host.stop() }

    /// Makes the current tokens invalid, as a fetch by another process would (next send gets
    /// 40001; the next stable token request in normal mode issues a new one).
    public func revokeCurrentToken() {
        tokens.withLock { tokens in
            tokens.legacy = nil
            tokens.stable = nil
        }
    }

    /// Sends with the current stable token get 40001 from now on, while the stable endpoint's
    /// normal mode keeps handing it out (WeChat dropped it before its announced expiry): only a
    /// `force_refresh` replaces it.
    public func blockCurrentToken() {
        tokens.withLock { tokens in
            if let stable = tokens.stable { tokens.blocked.insert(stable) }
        }
    }

    private static func endpoint(of request: FakeRequest) -> String? {
        switch (request.method, request.path) {
        case ("GET", "/cgi-bin/token"): return Endpoint.token.rawValue
        case ("POST", "/cgi-bin/stable_token"): return Endpoint.stableToken.rawValue
        case ("POST", "/cgi-bin/message/custom/send"): return Endpoint.customSend.rawValue
        default: return nil
        }
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        switch Endpoint(rawValue: Self.endpoint(of: request) ?? "") {
        case .token: return legacyToken(request, failure: failure)
        case .stableToken: return stableToken(request, failure: failure)
        case .customSend, nil: return customSend(request, failure: failure)
        }
    }

    private func legacyToken(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        if let refusal = tokenRefusal(failure) { return refusal }
        guard request.query["grant_type"] == "client_credential" else { return error(40002, "invalid grant_type") }
        guard request.query["appid"] == appID else { return error(40013, "invalid appid") }
        guard request.query["secret"] == appSecret else { return error(40125, "invalid appsecret") }
        let token = "ACCESS_TOKEN_FAKE_\(host.nextNumber())"
        tokens.withLock { $0.legacy = token }
        return .json(200, ["access_token": .string(token), "expires_in": .int(Int64(expiresIn))])
    }

    private func stableToken(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        if let refusal = tokenRefusal(failure) { return refusal }
        guard let body = request.json, body["grant_type"]?.text == "client_credential" else {
            return error(40002, "invalid grant_type")
        }
        guard body["appid"]?.text == appID else { return error(40013, "invalid appid") }
        guard body["secret"]?.text == appSecret else { return error(40125, "invalid appsecret") }
        let force = body["force_refresh"]?.boolean ?? false
        let fresh = "STABLE_TOKEN_FAKE_\(host.nextNumber())"
        let token = tokens.withLock { tokens -> String in
            if !force, let current = tokens.stable { return current }
            tokens.stable = fresh
            return fresh
        }
        return .json(200, ["access_token": .string(token), "expires_in": .int(Int64(expiresIn))])
    }

    private func tokenRefusal(_ failure: ScriptedFailure?) -> FakeResponse? {
        switch failure {
        case .rateLimited: return error(45009, "reach max api daily quota limit")
        case .serverError: return error(-1, "system error")
        case .tokenError: return error(40125, "invalid appsecret")
        case .platformError(let code, _):
            return error(code, code == 40164 ? "invalid ip 203.0.113.7, not in whitelist" : "scripted error")
        case .windowError, .recipientUnavailable, .hang, .asyncWindowFailure, nil: return nil
        }
    }

    private func customSend(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        let valid = tokens.withLock { tokens -> Set<String> in
            Set([tokens.legacy, tokens.stable].compactMap { $0 }).subtracting(tokens.blocked)
        }
        guard let presented = request.query["access_token"], valid.contains(presented) else {
            return error(40001, "invalid credential, access_token is invalid or not latest")
        }
        switch failure {
        case .windowError: return error(45015, "response out of time limit or subscription is canceled")
        case .rateLimited: return error(45009, "reach max api daily quota limit")
        case .serverError: return error(-1, "system error")
        case .tokenError: return error(42001, "access_token expired")
        case .recipientUnavailable: return error(40003, "invalid openid")
        case .platformError(let code, _): return error(code, Self.sendMessage(code: code))
        case .hang, .asyncWindowFailure, nil: break
        }
        guard let body = request.json, body["touser"]?.text?.isEmpty == false else {
            return error(40003, "invalid openid")
        }
        guard body["msgtype"]?.text == "text", body["text"]?["content"]?.text?.isEmpty == false else {
            return error(44002, "empty post data")
        }
        return error(0, "ok")
    }

    private static func sendMessage(code: Int) -> String {
        switch code {
        case 45047: return "out of response count limit"
        case 43004: return "require subscribe"
        default: return "scripted error"
        }
    }

    private func error(_ code: Int, _ message: String) -> FakeResponse {
        .json(200, ["errcode": .int(Int64(code)), "errmsg": .string(message)])
    }
}
