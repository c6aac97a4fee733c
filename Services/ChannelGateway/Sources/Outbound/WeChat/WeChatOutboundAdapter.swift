import PlatformJSON

/// WeChat Official Account customer-service text message
/// (`POST /cgi-bin/message/custom/send?access_token=...`). Needs `WeChatCredentials.accessToken`
/// credentials: the sender exchanges AppID/AppSecret through `WeChatAccessTokenCache` first.
///
/// The API returns no message id, so `sent` carries nil. Errors: 45015 outside the 48 h window;
/// 40001/42001/40014 token (the sender refreshes once); -1 "system busy" and 45009 (API call
/// quota) are retried; 45047 "out of response count limit" is final `rateLimited`: it lifts only
/// when the user writes again, which a timed retry cannot wait for.
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
        case 40003:
            return .failed(reason: .recipientUnavailable, detail: detail)
        case -1:
            return .retryAfter(delay: nil, reason: .transient)
        default:
            return .failed(reason: .other, detail: detail)
        }
    }

    /// `GET /cgi-bin/token?grant_type=client_credential&appid=..&secret=..`.
    public func tokenRequest(appID: String, appSecret: String) -> PlatformRequest {
        let query = PercentEncoding.form([
            ("grant_type", "client_credential"), ("appid", appID), ("secret", appSecret),
        ])
        return PlatformRequest(method: "GET", url: "\(endpoint.baseURL)/cgi-bin/token?\(query)")
    }

    /// The token and its lifetime, or the error text (`errcode`/`errmsg`, e.g. 40125 bad secret).
    public func token(from response: PlatformResponse) -> Result<WeChatAccessToken, WeChatTokenError> {
        guard let json = WireJSON.parse(response.body) else {
            return .failure(WeChatTokenError(detail: "WeChat token HTTP \(response.status)", isTransient: true))
        }
        if let token = json["access_token"]?.text, let expiresIn = json["expires_in"]?.integer {
            return .success(WeChatAccessToken(value: token, expiresIn: .seconds(expiresIn)))
        }
        let code = json["errcode"]?.integer ?? 0
        return .failure(
            WeChatTokenError(
                detail: "WeChat token \(code): \(json["errmsg"]?.text ?? "")",
                isTransient: code == -1 || response.status >= 500))
    }
}

/// An access token from `/cgi-bin/token` and how long WeChat said it lives.
public struct WeChatAccessToken: Sendable, Hashable {
    public var value: String
    public var expiresIn: Duration
}

/// Why no access token could be had.
public struct WeChatTokenError: Error, Sendable, Hashable {
    public var detail: String
    public var isTransient: Bool
}
