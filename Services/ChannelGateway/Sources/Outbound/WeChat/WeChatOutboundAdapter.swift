import PlatformJSON

/// WeChat Official Account customer-service text message
/// (`POST /cgi-bin/message/custom/send?access_token=...`). Needs `WeChatCredentials.accessToken`
/// credentials: the sender exchanges AppID/AppSecret through `WeChatAccessTokenCache` first.
///
/// The API returns no message id, so `sent` carries nil. Errors: 45015 outside the 48 h window;
/// 40001/42001/40014 token (the sender refreshes once); -1 "system busy" and 45009 (API call
/// quota) are retried; 45047 "out of response count limit" is final `rateLimited`: it lifts only
/// when the user writes again, which a timed retry cannot wait for; 40003 (not an OpenID of this
/// account) and 43004 (the user unsubscribed) are the recipient.
///
/// Tokens come from the stable-token endpoint (`POST /cgi-bin/stable_token`, CHANNELS.md §9.4b
/// names the older `GET /cgi-bin/token`, which invalidates every earlier token on each call): in
/// its normal mode a call returns the token still in force, so replicas and restarts never
/// invalidate each other's token. `force_refresh: true` replaces the token and is for one case
/// only, a token rejected while it should still be valid (`WeChatAccessTokenCache` decides); WeChat
/// allows 20 forced refreshes a day, 30 s apart.
public struct WeChatOutboundAdapter: OutboundAdapter {
    public let platform = Platform.wechat
    public var endpoint: PlatformEndpoint

    /// The Official Account API.
    public static let api = PlatformAPI(.wechat, production: .init(baseURL: "https://api.weixin.qq.com"))
    public static var apis: [PlatformAPI] { [api] }

    public init(endpoint: PlatformEndpoint) {
        self.endpoint = endpoint
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(endpoint: endpoints[Self.api])
    }

    public func request(for message: OutboundMessage, credentials: WeChatCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        guard case .accessToken(let token) = credentials else { throw .wrongCredentials(platform: platform) }
        guard case .weChatText(let openID) = message.kind else {
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        let body: WireJSON = [
            "touser": .string(openID), "msgtype": "text", "text": ["content": .string(message.text)],
        ]
        return PlatformRequest(
            method: "POST",
            url: "\(endpoint.baseURL)/cgi-bin/message/custom/send?access_token=\(PercentEncoding.component(token))",
            headers: ["content-type": "application/json"], body: body.encoded)
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        guard response.status == 200, let json = WireJSON.parse(response.body),
            let code = json["errcode"]?.integer
        else {
            return HTTPStatusOutcome.classify(response, platform: "WeChat")
        }
        let detail = "WeChat \(code): \(json["errmsg"]?.text ?? "")"
        switch code {
        case 0:
            return .sent(platformMessageID: nil)
        case 45015:
            return .failed(reason: .outsideWindow, detail: detail)
        case 45047:
            return .failed(reason: .rateLimited, detail: detail)
        case 45009:
            return .retryAfter(delay: nil, reason: .rateLimited)
        case 40001, 42001, 40014:
            return .failed(reason: .tokenInvalid, detail: detail)
        case 40003, 43004:
            return .failed(reason: .recipientUnavailable, detail: detail)
        case -1:
            return .retryAfter(delay: nil, reason: .transient)
        default:
            return .failed(reason: .other, detail: detail)
        }
    }

    /// `POST /cgi-bin/stable_token` with `{"grant_type":"client_credential","appid","secret",
    /// "force_refresh"}`; `mode` `.forceRefresh` only where ``WeChatAccessTokenCache`` asks for it.
    public func tokenRequest(appID: String, appSecret: String, mode: WeChatTokenFetchMode = .normal)
        -> PlatformRequest
    {
        let body: WireJSON = [
            "grant_type": "client_credential", "appid": .string(appID), "secret": .string(appSecret),
            "force_refresh": .bool(mode == .forceRefresh),
        ]
        return PlatformRequest(
            method: "POST", url: "\(endpoint.baseURL)/cgi-bin/stable_token",
            headers: ["content-type": "application/json"], body: body.encoded)
    }

    /// The token and its lifetime, or why there is none (`errcode`/`errmsg`): see
    /// ``WeChatTokenError/outcome`` for what each error means for the send.
    public func token(from response: PlatformResponse) -> Result<WeChatAccessToken, WeChatTokenError> {
        guard let json = WireJSON.parse(response.body) else {
            return .failure(
                WeChatTokenError(detail: "WeChat token HTTP \(response.status)", isTransient: true, code: nil))
        }
        if let token = json["access_token"]?.text, let expiresIn = json["expires_in"]?.integer {
            return .success(WeChatAccessToken(value: token, expiresIn: .seconds(expiresIn)))
        }
        let code = json["errcode"]?.integer ?? 0
        return .failure(
            WeChatTokenError(
                detail: "WeChat token \(code): \(json["errmsg"]?.text ?? "")",
                isTransient: code == -1 || code == 45009 || response.status >= 500, code: code))
    }
}

/// How ``WeChatOutboundAdapter/tokenRequest(appID:appSecret:mode:)`` asks for a token.
public enum WeChatTokenFetchMode: Sendable, Hashable {
    /// `force_refresh: false`: the token in force (a new one only near or after its expiry).
    case normal
    /// `force_refresh: true`: a new token; the previous one stops working.
    case forceRefresh
}

/// An access token from the token endpoint and how long WeChat said it lives (the remaining life
/// for a stable token handed out again).
public struct WeChatAccessToken: Sendable, Hashable {
    public var value: String
    public var expiresIn: Duration
}

/// Why no access token could be had.
public struct WeChatTokenError: Error, Sendable, Hashable {
    public var detail: String
    public var isTransient: Bool
    /// WeChat's `errcode`; nil when the answer was not WeChat's (HTTP error, transport).
    public var code: Int64?

    public init(detail: String, isTransient: Bool, code: Int64? = nil) {
        self.detail = detail
        self.isTransient = isTransient
        self.code = code
    }

    /// What the send becomes (CHANNELS.md §9.4b; codes from WeChat's global return codes):
    /// 45009 (the token API's call quota) is a rate limit, retried later; 40164 (this server's IP
    /// is not on the account's allow-list) is our configuration, `other`; neither says the secret
    /// is wrong. 40125 (bad AppSecret), 40013 (bad AppID) and other refusals are `tokenInvalid`:
    /// the channel's stored secret needs replacing. -1 and transport or HTTP failures are transient.
    public var outcome: OutboundOutcome {
        switch code {
        case 45009?:
            return .retryAfter(delay: nil, reason: .rateLimited)
        case 40164?:
            return .failed(reason: .other, detail: "\(detail) (this server's IP is not on the account's allow-list)")
        default:
            if isTransient { return .retryAfter(delay: nil, reason: .transient) }
            return .failed(reason: .tokenInvalid, detail: detail)
        }
    }
}
