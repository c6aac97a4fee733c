/// Caches WeChat access tokens per AppID until shortly before they expire.
///
/// Tokens come from WeChat's stable-token endpoint (`WeChatOutboundAdapter.tokenRequest`), whose
/// normal mode hands out the token in force, so a fetch here never invalidates the token another
/// replica or process is using. Still, every sender of one process shares one cache, concurrent
/// callers share one fetch, and the replicas of the gateway share one token through
/// ``WeChatTokenStore`` (a row in the gateway schema, fetched under an advisory lock). A token is
/// reused until `refreshMargin` before `expires_in` (but at least half its life).
///
/// The cache remembers when each token was fetched and how long WeChat said it lives. A token
/// rejected (40001) while that life has not run out was dropped by WeChat early; asking in normal
/// mode would hand the same dead token back, so the next fetch for that AppID, and only that one,
/// asks with `force_refresh` (``WeChatTokenFetchMode/forceRefresh``). WeChat allows 20 forced
/// refreshes a day and ignores one within 30 s of the previous: within ``forceRefreshSpacing`` of
/// the last forced fetch the cache asks in normal mode instead. A rejected token whose life had
/// run out is simply fetched again in normal mode.
///
/// Only the task that started a fetch installs its result: a caller that waited on it merely
/// reads it, so a late waiter can never install an older token over a newer one, nor clear the
/// record of a fetch started after it.
public actor WeChatAccessTokenCache {
    private struct Entry {
        var token: String
        /// Handed out until then.
        var validUntil: ContinuousClock.Instant
        /// When WeChat said it stops working (fetch time + `expires_in`).
        var expiresAt: ContinuousClock.Instant
    }

    private struct Fetch {
        var id: Int
        var task: Task<Result<WeChatAccessToken, WeChatTokenError>, Never>
    }

    /// The least time between two forced refreshes of one AppID's token.
    public static let forceRefreshSpacing: Duration = .seconds(30)

    private let now: @Sendable () -> ContinuousClock.Instant
    private let refreshMargin: Duration
    private let store: (any WeChatTokenStore)?
    private var entries: [String: Entry] = [:]
    private var inFlight: [String: Fetch] = [:]
    private var nextFetchID = 0
    /// AppIDs whose token was rejected before its expiry: their next fetch forces a refresh.
    private var forceNext: Set<String> = []
    private var lastForced: [String: ContinuousClock.Instant] = [:]

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
    /// `fetch` gets the mode to ask WeChat in: pass it on to `WeChatOutboundAdapter.tokenRequest`.
    public func token(
        appID: String,
        fetching fetch: @escaping @Sendable (WeChatTokenFetchMode) async -> Result<WeChatAccessToken, WeChatTokenError>
    ) async -> Result<String, WeChatTokenError> {
        if let entry = self.entries[appID], self.now() < entry.validUntil {
            return .success(entry.token)
        }
        if let running = self.inFlight[appID] {
            return await running.task.value.map(\.value)
        }
        let id = self.nextFetchID
        self.nextFetchID += 1
        let mode = self.takeFetchMode(for: appID)
        let store = self.store
        let margin = self.refreshMargin
        let task = Task {
            if let store { return await store.token(appID: appID, validFor: margin, fetch: { await fetch(mode) }) }
            return await fetch(mode)
        }
        self.inFlight[appID] = Fetch(id: id, task: task)
        let result = await task.value
        if self.inFlight[appID]?.id == id { self.inFlight[appID] = nil }
        switch result {
        case .success(let token):
            let fetchedAt = self.now()
            let usable = max(token.expiresIn - self.refreshMargin, token.expiresIn / 2)
            self.entries[appID] = Entry(
                token: token.value, validUntil: fetchedAt + usable, expiresAt: fetchedAt + token.expiresIn)
            if mode == .forceRefresh { self.lastForced[appID] = fetchedAt }
        case .failure:
            // The rejected token is still the one WeChat would hand out: force again next time.
            if mode == .forceRefresh { self.forceNext.insert(appID) }
        }
        return result.map(\.value)
    }

    /// ``token(appID:fetching:)`` for a caller whose fetch cannot choose the mode: it always asks
    /// in normal mode, so a token WeChat dropped early is only replaced once it would have expired.
    public func token(
        appID: String,
        fetch: @escaping @Sendable () async -> Result<WeChatAccessToken, WeChatTokenError>
    ) async -> Result<String, WeChatTokenError> {
        await self.token(appID: appID, fetching: { _ in await fetch() })
    }

    /// Forgets `appID`'s token if it is still `token` (WeChat said 40001/42001), here and in the
    /// shared store, so the next call fetches; forcing a refresh if WeChat's announced life for the
    /// token had not run out.
    public func invalidate(appID: String, token: String) async {
        if let entry = self.entries[appID], entry.token == token {
            self.entries[appID] = nil
            if self.now() < entry.expiresAt { self.forceNext.insert(appID) }
        }
        await self.store?.invalidate(appID: appID, token: token)
    }

    /// `.forceRefresh` once after a rejection, unless a forced fetch happened too recently.
    private func takeFetchMode(for appID: String) -> WeChatTokenFetchMode {
        guard self.forceNext.remove(appID) != nil else { return .normal }
        if let last = self.lastForced[appID], last.duration(to: self.now()) < Self.forceRefreshSpacing {
            return .normal
        }
        return .forceRefresh
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
