import InboxKit
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Renews X channels' two-hour user tokens for the delivery worker: ahead of expiry (within
/// ``margin`` of the stored `token_expires_at`), and once when X refuses a token (a 401), through
/// X's token endpoint (``XOutboundAdapter/tokenRefreshRequest(refreshToken:client:)``).
///
/// X refresh tokens work once: a renewal spends the one it sends and X answers a new pair. So a
/// renewal runs under the channel row's lock (``ChannelRepository/withLockedCredentials(_:box:now:_:)``):
/// it reads the stored credentials again — another worker or replica may have renewed while this
/// one waited, and then those are used without asking X — calls X, and stores the new access
/// token, refresh token and expiry before the lock is released, in that one transaction.
///
/// The OAuth client that renews: the channel's own X app when the channel sets `app_id` (an
/// organisation that brings its own app; `app_secret` for a confidential client), else the
/// operator's (``GatewayConfiguration/xOAuthClient``, `X_OAUTH_CLIENT_ID`/`X_OAUTH_CLIENT_SECRET`).
/// With neither, or without a refresh token, the token is used until X refuses it.
///
/// A renewal that fails:
/// - X refused the refresh token (400 `invalid_grant`: revoked, expired or already spent): the
///   channel becomes TOKEN_INVALID in the same transaction and its deliveries fail with
///   TOKEN_INVALID, as after a refused access token;
/// - X refused our client (`invalid_client`, 401): a configuration error in the channel's health;
///   the current token is used while it works;
/// - a rate limit, a 5xx, no answer: the current token while it has not expired, else the
///   deliveries wait for the next round. A renewal whose answer was lost after it was sent may
///   have spent the refresh token; the next one then meets `invalid_grant` and the account must be
///   connected again (X offers no way back).
struct XTokenRefresher: Sendable {
    let channels: ChannelRepository
    let box: ChannelSecretsBox
    let http: PlatformHTTPClient
    let adapter: XOutboundAdapter
    /// The operator's X app (nil when not configured).
    let operatorClient: XOAuthClient?
    let logger: Logger
    let now: @Sendable () -> Date
    /// How long before its expiry a token is renewed.
    var margin: TimeInterval = 300

    /// What to send with.
    enum Outcome: Sendable {
        /// These credentials: renewed now, renewed by another worker meanwhile, or the current ones
        /// (no renewal was due or possible; X has the last word on them).
        case credentials(XCredentials)
        /// No send can be made: the deliveries fail with this reason (the channel is TOKEN_INVALID,
        /// or no longer connected).
        case refused(DeliveryFailureReason, String)
        /// The token has expired (or was refused) and could not be renewed now: try again later.
        case unavailable(String)
    }

    /// The credentials to send on the X channel `channelID` with, given the `current` ones a round
    /// read. With `rejected`, X has just refused `current`'s access token (401): it is renewed
    /// whatever its expiry says, unless another worker already stored a new one.
    func credentials(channelID: UUID, current: XCredentials, rejected: Bool = false) async -> Outcome {
        guard rejected || current.needsRefresh(at: self.now(), margin: self.margin) else {
            return .credentials(current)
        }
        guard current.refreshToken != nil else { return .credentials(current) }
        do {
            return try await self.channels.withLockedCredentials(channelID, box: self.box, now: self.now) { locked in
                await self.renew(locked, current: current, rejected: rejected)
            }
        } catch {
            self.logger.warning(
                "the channel could not be read to renew its X token",
                metadata: ["channel": "\(channelID.text)", "error": "\(String(reflecting: error))"])
            return self.fallback(
                current, rejected: rejected, "the channel could not be read to renew its X token; tried again later")
        }
    }

    /// The renewal itself, under the row's lock: what to send with, and what to store.
    private func renew(_ locked: LockedChannelCredentials?, current: XCredentials, rejected: Bool) async
        -> (Outcome, ChannelCredentialsChange)
    {
        guard let locked else {
            return (.refused(.channelDisconnected, "The channel no longer has credentials to send with."), .unchanged)
        }
        switch locked.account.status {
        case .active:
            break
        case .tokenInvalid:
            return (
                .refused(
                    .tokenInvalid,
                    "The channel's access token is invalid or expired; rotate its credentials and send again."),
                .unchanged
            )
        case .disconnected, .subscriptionRevoked:
            return (
                .refused(.channelDisconnected, "The channel was disconnected before the message could be sent."),
                .unchanged
            )
        }
        let stored = locked.secrets.xCredentials(expiresAt: locked.account.tokenExpiresAt)
        // Renewed by another worker or replica while this one waited for the lock: those tokens.
        if stored.userAccessToken != current.userAccessToken { return (.credentials(stored), .unchanged) }
        if !rejected, !stored.needsRefresh(at: self.now(), margin: self.margin) {
            return (.credentials(stored), .unchanged)
        }
        guard let refreshToken = stored.refreshToken,
            let client = Self.client(for: locked.secrets, operatorClient: self.operatorClient)
        else {
            // Nothing to renew with: X decides on the current token.
            return (.credentials(stored), .unchanged)
        }
        let response: PlatformResponse
        do {
            response = try await self.http.execute(
                self.adapter.tokenRefreshRequest(refreshToken: refreshToken, client: client))
        } catch {
            self.logger.warning(
                "X's token endpoint did not answer a renewal",
                metadata: [
                    "channel": "\(locked.account.id.text)", "request": "\(error.request)",
                    "may_have_reached_x": "\(error.mayHaveReachedPlatform)",
                ])
            return (
                self.fallback(
                    stored, rejected: rejected, "X's token endpoint did not answer; the renewal is tried again"),
                .unchanged
            )
        }
        switch self.adapter.refreshedCredentials(from: response, replacing: stored, now: self.now()) {
        case .success(let renewed):
            var secrets = locked.secrets
            secrets.accessToken = renewed.userAccessToken
            secrets.refreshToken = renewed.refreshToken ?? ""
            self.logger.info(
                "renewed an X channel's token",
                metadata: [
                    "channel": "\(locked.account.id.text)",
                    "expires_at": "\(renewed.expiresAt.map { "\($0.timeIntervalSince1970)" } ?? "unknown")",
                ])
            return (.credentials(renewed), .renewed(secrets, expiresAt: renewed.expiresAt))
        case .failure(let error):
            let detail = String(error.detail.prefix(300))
            switch error.outcome {
            case .failed(.tokenInvalid, _):
                let text = "X refused the channel's refresh token (\(detail)); connect the account again."
                return (.refused(.tokenInvalid, text), .tokenInvalid(text))
            case .failed:
                let text =
                    "X refused our app's OAuth client when renewing the channel's token (\(detail)); check "
                    + "X_OAUTH_CLIENT_ID and X_OAUTH_CLIENT_SECRET, or the channel's app_id and app_secret."
                return (.credentials(stored), .error(text, reason: "configuration"))
            case .retryAfter, .sent:
                return (
                    self.fallback(stored, rejected: rejected, "X could not renew the channel's token now (\(detail))"),
                    .unchanged
                )
            }
        }
    }

    /// When a renewal could not happen now: the current token while it has not expired (and was
    /// not refused), else the deliveries wait.
    private func fallback(_ current: XCredentials, rejected: Bool, _ detail: String) -> Outcome {
        if !rejected, current.expiresAt.map({ $0 > self.now() }) ?? true { return .credentials(current) }
        return .unavailable(detail)
    }

    /// The OAuth client that renews a channel's tokens: its own X app's (`app_id`, `app_secret`)
    /// when it names one, else the operator's.
    static func client(for secrets: ChannelSecrets, operatorClient: XOAuthClient?) -> XOAuthClient? {
        guard !secrets.appID.isEmpty else { return operatorClient }
        return XOAuthClient(clientID: secrets.appID, clientSecret: secrets.appSecret.isEmpty ? nil : secrets.appSecret)
    }

    /// Whether an X channel's token can be renewed, from what the channel says it holds (no secret
    /// opened): a refresh token, and an OAuth client (its own app, or the operator's).
    static func canRenew(_ account: ChannelAccount, operatorClient: XOAuthClient?) -> Bool {
        account.platform == .x && account.configuredCredentials.contains("refresh_token")
            && (account.configuredCredentials.contains("app_id") || operatorClient != nil)
    }
}
