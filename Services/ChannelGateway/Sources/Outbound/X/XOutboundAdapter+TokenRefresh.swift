import Foundation
import PlatformJSON

/// Renewing a two-hour X user token with its refresh token (X's OAuth 2.0 Authorization Code
/// with PKCE guide; CHANNELS.md §4.4 lists the scopes): `POST /2/oauth2/token`, form-encoded
/// `grant_type=refresh_token`, `refresh_token`, `client_id`; a confidential client also sends
/// `Authorization: Basic base64(client_id:client_secret)`. The answer is
/// `{"token_type":"bearer","expires_in":7200,"access_token":"...","scope":"...","refresh_token":"..."}`.
///
/// Pure like the rest of the adapter: the caller executes the request, stores the new credentials
/// (the refresh token rotates) and only then sends with them.
extension XOutboundAdapter {
    /// The refresh request for `refreshToken`, authenticated as `client`.
    public func tokenRefreshRequest(refreshToken: String, client: XOAuthClient) -> PlatformRequest {
        var headers = ["content-type": "application/x-www-form-urlencoded"]
        if let secret = client.clientSecret {
            headers["authorization"] = "Basic " + Data("\(client.clientID):\(secret)".utf8).base64EncodedString()
        }
        let form = PercentEncoding.form([
            ("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", client.clientID),
        ])
        return PlatformRequest(
            method: "POST", url: "\(endpoint.baseURL)/2/oauth2/token", headers: headers, body: Array(form.utf8))
    }

    /// The renewed credentials from the token endpoint's answer: the new access token, the new
    /// refresh token (the previous one if X sent none) and `now + expires_in`. A refusal says what
    /// the channel should become (see ``XTokenRefreshError``).
    public func refreshedCredentials(
        from response: PlatformResponse, replacing previous: XCredentials, now: Date
    ) -> Result<XCredentials, XTokenRefreshError> {
        let json = WireJSON.parse(response.body)
        if (200..<300).contains(response.status), let token = json?["access_token"]?.text, !token.isEmpty {
            let expiresAt = (json?["expires_in"]?.integer).map { now.addingTimeInterval(TimeInterval($0)) }
            return .success(
                XCredentials(
                    userAccessToken: token, refreshToken: json?["refresh_token"]?.text ?? previous.refreshToken,
                    expiresAt: expiresAt))
        }
        let error = json?["error"]?.text ?? ""
        let detail =
            "X token refresh HTTP \(response.status): "
            + (json?["error_description"]?.text ?? json?["detail"]?.text ?? error)
        switch (response.status, error) {
        case (_, "invalid_client"), (_, "unauthorized_client"), (401, _):
            return .failure(
                XTokenRefreshError(
                    detail: detail,
                    outcome: .failed(reason: .other, detail: "\(detail) (our X app's client id or secret)")))
        case (400, _), (_, "invalid_grant"):
            return .failure(XTokenRefreshError(detail: detail, outcome: .failed(reason: .tokenInvalid, detail: detail)))
        case (429, _):
            let delay = XRateLimitHeaders.delay(in: response.headers, nowUnixSeconds: now.timeIntervalSince1970)
            return .failure(
                XTokenRefreshError(detail: detail, outcome: .retryAfter(delay: delay, reason: .rateLimited)))
        case (408, _), (500...599, _):
            return .failure(XTokenRefreshError(detail: detail, outcome: .retryAfter(delay: nil, reason: .transient)))
        default:
            return .failure(XTokenRefreshError(detail: detail, outcome: .failed(reason: .other, detail: detail)))
        }
    }
}

/// Why an X token could not be renewed, and what that means for the delivery and the channel:
/// `outcome` is `failed(.tokenInvalid)` when X refused the refresh token (revoked, expired, or
/// already used: X rotates it on every refresh; the account must be reconnected),
/// `failed(.other)` when X refused our app's client credentials (configuration, not the
/// channel), `retryAfter` for a rate limit or an X-side failure (try the refresh again later; the
/// old refresh token still works).
public struct XTokenRefreshError: Error, Sendable, Hashable {
    public var detail: String
    public var outcome: OutboundOutcome

    public init(detail: String, outcome: OutboundOutcome) {
        self.detail = detail
        self.outcome = outcome
    }
}
