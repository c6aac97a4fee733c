import Logging
import PostgresNIO

/// WeChat access tokens shared by every gateway replica: one row per AppID in
/// `gateway.wechat_access_tokens`. A replica that needs a new token takes a transaction-scoped
/// advisory lock for that AppID, reads the row again (another replica may have just fetched),
/// and only then fetches and stores — so a burst across replicas costs one fetch, and no replica
/// invalidates another's fresh token by fetching again.
struct PostgresWeChatTokenStore: WeChatTokenStore {
    let client: PostgresClient
    let logger: Logger

    func token(
        appID: String, validFor: Duration,
        fetch: @escaping @Sendable () async -> Result<WeChatAccessToken, WeChatTokenError>
    ) async -> Result<WeChatAccessToken, WeChatTokenError> {
        let seconds = Int(validFor.components.seconds)
        do {
            return try await self.client.withTransaction(logger: self.logger) { connection in
                let lockKey = "social-inbox.wechat-token.\(appID)"
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: self.logger)
                let rows = try await connection.query(
                    """
                    SELECT token, floor(extract(epoch FROM expires_at - now()))::int8
                    FROM wechat_access_tokens
                    WHERE app_id = \(appID) AND expires_at > now() + make_interval(secs => \(seconds))
                    """,
                    logger: self.logger
                )
                for try await (token, left) in rows.decode((String, Int).self) {
                    return .success(WeChatAccessToken(value: token, expiresIn: .seconds(left)))
                }
                let fetched = await fetch()
                if case .success(let token) = fetched {
                    let expiresIn = Int(token.expiresIn.components.seconds)
                    try await connection.query(
                        """
                        INSERT INTO wechat_access_tokens (app_id, token, expires_at, fetched_at)
                        VALUES (\(appID), \(token.value), now() + make_interval(secs => \(expiresIn)), now())
                        ON CONFLICT (app_id) DO UPDATE
                            SET token = excluded.token, expires_at = excluded.expires_at, fetched_at = excluded.fetched_at
                        """,
                        logger: self.logger
                    )
                }
                return fetched
            }
        } catch {
            self.logger.warning(
                "shared WeChat token store unavailable", metadata: ["error": "\(String(reflecting: error))"])
            return .failure(WeChatTokenError(detail: "the shared token store is unavailable", isTransient: true))
        }
    }

    func invalidate(appID: String, token: String) async {
        do {
            try await self.client.query(
                "DELETE FROM wechat_access_tokens WHERE app_id = \(appID) AND token = \(token)", logger: self.logger)
        } catch {
            self.logger.warning("could not forget a WeChat token", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
