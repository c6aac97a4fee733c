/// Sends one outbound message: builds the request with the platform's adapter, executes it once,
/// classifies the answer. Resolves WeChat AppID/AppSecret into a cached access token and, when
/// WeChat rejects the token (40001/42001), fetches a new one and sends once more.
///
/// A transport failure is told apart by whether the request may have reached the platform
/// (``PlatformTransportError/mayHaveReachedPlatform``): a request that never left (refused
/// connection, DNS, connect timeout) is `retryAfter(nil, .transient)`; one whose answer was lost
/// after it went out (a timeout while waiting, a reset) is `failed(.maybeSent)`, since the platform
/// may have acted on it and none of these send APIs takes an idempotency key (CHANNELS.md;
/// ``PlatformIdempotency``; only an echo can tell afterwards, Facebook's `message.metadata` carries
/// the key for that). Apart from the one WeChat token refresh, nothing is retried here: the
/// delivery worker owns retries and backoff.
public struct OutboundSender: Sendable {
    private let http: PlatformHTTPClient
    private let adapters: OutboundAdapters
    private let weChatTokens: WeChatAccessTokenCache
    /// Where web-chat replies go (nil: web chat cannot send, as in tests of the platform adapters).
    private let webChat: WebChatReplies?

    public init(http: PlatformHTTPClient, adapters: OutboundAdapters, weChatTokens: WeChatAccessTokenCache) {
        self.init(http: http, adapters: adapters, weChatTokens: weChatTokens, webChat: nil)
    }

    init(
        http: PlatformHTTPClient, adapters: OutboundAdapters, weChatTokens: WeChatAccessTokenCache,
        webChat: WebChatReplies?
    ) {
        self.http = http
        self.adapters = adapters
        self.weChatTokens = weChatTokens
        self.webChat = webChat
    }

    /// Sends `message` on `platform` with the channel's `credentials`.
    public func send(
        _ message: OutboundMessage, on platform: Platform, credentials: any ChannelCredentials
    ) async throws(OutboundBuildError) -> OutboundOutcome {
        if platform == .webChat, let webChat {
            guard case .webChatMessage(let visitorID) = message.kind else {
                throw .unsupportedKind(platform: platform, kind: message.kind)
            }
            guard let channel = credentials as? WebChatCredentials else { throw .wrongCredentials(platform: platform) }
            return await webChat.deliver(message, visitorID: visitorID, channelID: channel.channelID)
        }
        guard let adapter = adapters[platform] else { throw .noAdapter(platform) }
        guard case .app(let appID, let appSecret)? = credentials as? WeChatCredentials,
            let weChat = adapter as? WeChatOutboundAdapter
        else {
            return try await attempt(message, adapter: adapter, credentials: credentials)
        }
        var refreshed = false
        while true {
            let token: String
            let fetched = await weChatTokens.token(
                appID: appID, fetching: { mode in await fetchToken(weChat, appID, appSecret, mode) })
            switch fetched {
            case .success(let value): token = value
            // 45009 is a rate limit, 40164 the IP allow-list, a bad secret a token error (§9.4).
            case .failure(let error): return error.outcome
            }
            let outcome = try await attempt(message, adapter: weChat, credentials: WeChatCredentials.accessToken(token))
            guard case .failed(.tokenInvalid, _) = outcome, !refreshed else { return outcome }
            await weChatTokens.invalidate(appID: appID, token: token)
            refreshed = true
        }
    }

    private func attempt(
        _ message: OutboundMessage, adapter: any OutboundAdapter, credentials: any ChannelCredentials
    ) async throws(OutboundBuildError) -> OutboundOutcome {
        let request = try adapter.request(for: message, anyCredentials: credentials)
        do {
            let response = try await http.execute(request)
            return adapter.outcome(of: response, for: message)
        } catch {
            guard error.mayHaveReachedPlatform else { return .retryAfter(delay: nil, reason: .transient) }
            return .failed(
                reason: .maybeSent,
                detail: "\(adapter.platform.rawValue) gave no answer after the request was sent (\(error.request): "
                    + "\(error.underlying.prefix(200))); the message may have been delivered")
        }
    }

    private func fetchToken(
        _ adapter: WeChatOutboundAdapter, _ appID: String, _ appSecret: String, _ mode: WeChatTokenFetchMode
    ) async -> Result<WeChatAccessToken, WeChatTokenError> {
        do {
            return adapter.token(
                from: try await http.execute(adapter.tokenRequest(appID: appID, appSecret: appSecret, mode: mode)))
        } catch {
            return .failure(WeChatTokenError(detail: "WeChat token: \(error.request) failed", isTransient: true))
        }
    }
}
