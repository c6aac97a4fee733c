import Synchronization

/// A fake WeChat Official Account API: `GET /cgi-bin/token` (issues tokens, each fetch
/// invalidating the previous one, as WeChat does) and `POST /cgi-bin/message/custom/send`.
/// Answers `{"errcode":0,"errmsg":"ok"}` or `{"errcode":N,"errmsg":"..."}`, always HTTP 200.
public final class WeChatAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case token
        case customSend
    }

    public let appID: String
    public let appSecret: String
    /// Lifetime announced in `expires_in`.
    public let expiresIn: Int
    let host = FakePlatformHost()
    private let currentToken = Mutex<String?>(nil)

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    public var baseURL: String { host.baseURL }
    /// How many tokens were issued so far.
    public var issuedTokenCount: Int { recorder.requests.filter { $0.path == "/cgi-bin/token" }.count }

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

    /// Makes the current token invalid, as a fetch by another process would (next send gets 40001).
    public func revokeCurrentToken() {
        currentToken.withLock { $0 = nil }
    }

    private static func endpoint(of request: FakeRequest) -> String? {
        switch (request.method, request.path) {
        case ("GET", "/cgi-bin/token"): return Endpoint.token.rawValue
        case ("POST", "/cgi-bin/message/custom/send"): return Endpoint.customSend.rawValue
        default: return nil
        }
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        if request.path == "/cgi-bin/token" {
            guard request.query["grant_type"] == "client_credential" else { return error(40002, "invalid grant_type") }
            guard request.query["appid"] == appID else { return error(40013, "invalid appid") }
            guard request.query["secret"] == appSecret else { return error(40125, "invalid appsecret") }
            let token = "ACCESS_TOKEN_FAKE_\(host.nextNumber())"
            currentToken.withLock { $0 = token }
            return .json(200, ["access_token": .string(token), "expires_in": .int(Int64(expiresIn))])
        }
        guard let presented = request.query["access_token"], presented == currentToken.withLock({ $0 }) else {
            return error(40001, "invalid credential, access_token is invalid or not latest")
        }
        switch failure {
        case .windowError: return error(45015, "response out of time limit or subscription is canceled")
        case .rateLimited: return error(45009, "reach max api daily quota limit")
        case .serverError: return error(-1, "system error")
        case .tokenError: return error(42001, "access_token expired")
        case .recipientUnavailable: return error(40003, "invalid openid")
        case .platformError(let code, _):
            return error(code, code == 45047 ? "out of response count limit" : "scripted error")
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

    private func error(_ code: Int, _ message: String) -> FakeResponse {
        .json(200, ["errcode": .int(Int64(code)), "errmsg": .string(message)])
    }
}
