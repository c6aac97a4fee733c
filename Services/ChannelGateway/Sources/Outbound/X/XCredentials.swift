import Foundation

/// An X account: the user-context OAuth 2.0 token of the connected account and, when the account
/// was connected with the `offline.access` scope, the refresh token that renews it.
///
/// X user tokens live two hours (CHANNELS.md §4.4 and X's OAuth 2.0 guide): the channel keeps
/// `refreshToken` and `expiresAt` beside the token and renews ahead of expiry (``needsRefresh(at:margin:)``)
/// and on a 401, through `XOutboundAdapter.tokenRefreshRequest`. X rotates
/// the refresh token on every refresh: the old one stops working, so the new credentials must be
/// stored before they are used.
public struct XCredentials: ChannelCredentials, Hashable {
    public var userAccessToken: String
    /// Nil when the account was connected without `offline.access`: the token cannot be renewed.
    public var refreshToken: String?
    /// When `userAccessToken` stops working; nil when unknown.
    public var expiresAt: Date?

    public init(userAccessToken: String, refreshToken: String? = nil, expiresAt: Date? = nil) {
        self.userAccessToken = userAccessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
    }

    /// Whether to renew before sending: a refresh token is held and the access token expires
    /// within `margin` of `now` (an unknown expiry is not renewed ahead; a 401 still is).
    public func needsRefresh(at now: Date, margin: TimeInterval = 300) -> Bool {
        guard refreshToken != nil, let expiresAt else { return false }
        return expiresAt.timeIntervalSince(now) <= margin
    }
}

/// Our X app's OAuth 2.0 client: the Client ID, and the Client Secret of a confidential client
/// (sent as HTTP Basic to the token endpoint; a public client sends only `client_id`).
public struct XOAuthClient: Sendable, Hashable {
    public var clientID: String
    public var clientSecret: String?

    public init(clientID: String, clientSecret: String? = nil) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}
