/// Caches WeChat access tokens per AppID until shortly before they expire.
///
/// WeChat allows about 2000 token fetches a day and invalidates the previous token on each fetch,
/// so every sender of one process shares one cache and concurrent callers share one fetch.
/// A token is reused until `refreshMargin` before `expires_in` (but at least half its life).
public actor WeChatAccessTokenCache {
    private struct Entry {
        var token: String
        var validUntil: ContinuousClock.Instant
    }

    private let now: @Sendable () -> ContinuousClock.Instant
    private let refreshMargin: Duration
    private var entries: [String: Entry] = [:]
    private var inFlight: [String: Task<Result<WeChatAccessToken, WeChatTokenError>, Never>] = [:]

    /// - Parameters:
    ///   - refreshMargin: how long before expiry a token is no longer handed out (default 5 min).
    ///   - now: the current instant; tests advance it instead of sleeping.
    public init(
        refreshMargin: Duration = .seconds(300),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.refreshMargin = refreshMargin
        self.now = now
    }

    /// The cached token for `appID`, or a fresh one from `fetch`.
    public func token(
        appID: String,
        fetch: @escaping @Sendable () async -> Result<WeChatAccessToken, WeChatTokenError>
    ) async -> Result<String, WeChatTokenError> {
        if let entry = entries[appID], now() < entry.validUntil {
            return .success(entry.token)
        }
        let task: Task<Result<WeChatAccessToken, WeChatTokenError>, Never>
        if let running = inFlight[appID] {
            task = running
        } else {
            task = Task { await fetch() }
            inFlight[appID] = task
        }
        let result = await task.value
        inFlight[appID] = nil
        switch result {
        case .success(let token):
            let usable = max(token.expiresIn - refreshMargin, token.expiresIn / 2)
            entries[appID] = Entry(token: token.value, validUntil: now() + usable)
            return .success(token.value)
        case .failure(let error):
            return .failure(error)
        }
    }

    /// Forgets `appID`'s token if it is still `token` (WeChat said 40001/42001), so the next call fetches.
    public func invalidate(appID: String, token: String) {
        if entries[appID]?.token == token { entries[appID] = nil }
    }
}
