/// Caches WeChat access tokens per AppID until shortly before they expire.
///
/// WeChat allows about 2000 token fetches a day and invalidates the previous token on each fetch,
/// so every sender of one process shares one cache, concurrent callers share one fetch, and the
/// replicas of the gateway share one token through ``WeChatTokenStore`` (a row in the gateway
/// schema, fetched under an advisory lock). A token is reused until `refreshMargin` before
/// `expires_in` (but at least half its life).
///
/// Only the task that started a fetch installs its result: a caller that waited on it merely
/// reads it, so a late waiter can never install an older token over a newer one, nor clear the
/// record of a fetch started after it.
public actor WeChatAccessTokenCache {
    private struct Entry {
        var token: String
        var validUntil: ContinuousClock.Instant
    }

    private struct Fetch {
        var id: Int
        var task: Task<Result<WeChatAccessToken, WeChatTokenError>, Never>
    }

    private let now: @Sendable () -> ContinuousClock.Instant
    private let refreshMargin: Duration
    private let store: (any WeChatTokenStore)?
    private var entries: [String: Entry] = [:]
    private var inFlight: [String: Fetch] = [:]
    private var nextFetchID = 0

    /// - Parameters:
    ///   - refreshMargin: how long before expiry a token is no longer handed out (default 5 min).
    ///   - store: the token shared by every replica; nil keeps tokens in this process only.
    ///   - now: the current instant; tests advance it instead of sleeping.
    public init(
        refreshMargin: Duration = .seconds(300),
        store: (any WeChatTokenStore)? = nil,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.refreshMargin = refreshMargin
        self.store = store
        self.now = now
    }

    /// The cached token for `appID`, or a fresh one (from the shared store, or from `fetch`).
    public func token(
        appID: String,
        fetch: @escaping @Sendable () async -> Result<WeChatAccessToken, WeChatTokenError>
    ) async -> Result<String, WeChatTokenError> {
        if let entry = self.entries[appID], self.now() < entry.validUntil {
            return .success(entry.token)
        }
        if let running = self.inFlight[appID] {
            return await running.task.value.map(\.value)
        }
        let id = self.nextFetchID
        self.nextFetchID += 1
        let store = self.store
        let margin = self.refreshMargin
        let task = Task {
            if let store { return await store.token(appID: appID, validFor: margin, fetch: fetch) }
            return await fetch()
        }
        self.inFlight[appID] = Fetch(id: id, task: task)
        let result = await task.value
        if self.inFlight[appID]?.id == id { self.inFlight[appID] = nil }
        if case .success(let token) = result {
            let usable = max(token.expiresIn - self.refreshMargin, token.expiresIn / 2)
            self.entries[appID] = Entry(token: token.value, validUntil: self.now() + usable)
        }
        return result.map(\.value)
    }

    /// Forgets `appID`'s token if it is still `token` (WeChat said 40001/42001), here and in the
    /// shared store, so the next call fetches.
    public func invalidate(appID: String, token: String) async {
        if self.entries[appID]?.token == token { self.entries[appID] = nil }
        await self.store?.invalidate(appID: appID, token: token)
    }
}

/// Where the gateway's replicas share WeChat access tokens.
public protocol WeChatTokenStore: Sendable {
    /// A token for `appID` valid for at least `validFor`: the stored one, or — holding a lock
    /// that other replicas wait on, so only one fetches — a new one from `fetch`, stored.
    func token(
        appID: String, validFor: Duration,
        fetch: @escaping @Sendable () async -> Result<WeChatAccessToken, WeChatTokenError>
    ) async -> Result<WeChatAccessToken, WeChatTokenError>

    /// Forgets the stored token if it is still `token`.
    func invalidate(appID: String, token: String) async
}
