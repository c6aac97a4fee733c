import Foundation
import Synchronization

/// A fake X API v2: DMs (`POST /2/dm_conversations/with/{id}/messages`, 201 `dm_conversation_id` +
/// `dm_event_id`), posts (`POST /2/tweets`, 201 `id` + `text`) and the OAuth 2.0 token refresh
/// (`POST /2/oauth2/token`, `grant_type=refresh_token`). Bearer user token required (401 problem
/// JSON otherwise); 429 carries `x-rate-limit-*` headers and `Retry-After`.
///
/// Tokens behave as X's do: the access token lives two hours (``expireAccessToken()`` ends it
/// early), a refresh issues a new access token and a new refresh token and retires the old
/// refresh token (a second use is `invalid_request`), and a confidential client must send HTTP
/// Basic `client_id:client_secret`.
///
/// Besides the shared failures, `.platformError(code:)` plays these X answers (X's own codes):
/// 453 a 403 for an app whose access level lacks the endpoint (`client-forbidden`,
/// `client-not-enrolled`), 349 a 403 for a recipient who does not take our DMs, 185 a 429 for a
/// spent 24-hour user cap (`x-user-limit-24hour-remaining: 0`, reset 20 hours ahead) while the
/// 15-minute window has room; any other code is answered with that HTTP status.
public final class XAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case directMessage
        case tweet
        case token
    }

    /// The access token accepted now (it changes on every refresh).
    public var userAccessToken: String { tokens.withLock { $0.access ?? "" } }
    /// The refresh token accepted now; nil when the fake was started without one.
    public var refreshToken: String? { tokens.withLock { $0.refresh } }
    /// The connected account's user id (used to form DM conversation ids `<low>-<high>`).
    public let accountUserID: String
    /// Our app's OAuth 2.0 client id and, for a confidential client, secret.
    public let clientID: String
    public let clientSecret: String?
    let host = FakePlatformHost()
    private let now: @Sendable () -> Double
    private let tokens: Mutex<(access: String?, refresh: String?)>

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    public var baseURL: String { host.baseURL }

    private init(
        userAccessToken: String, refreshToken: String?, accountUserID: String, clientID: String,
        clientSecret: String?, now: @escaping @Sendable () -> Double
    ) {
        self.tokens = Mutex((access: Optional(userAccessToken), refresh: refreshToken))
        self.accountUserID = accountUserID
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.now = now
    }

    public static func start(
        userAccessToken: String, accountUserID: String = "2244994945",
        now: (@Sendable () -> Double)? = nil, refreshToken: String? = nil, clientID: String = "x-oauth-client-id",
        clientSecret: String? = nil
    ) async throws -> XAPIFake {
        let fake = XAPIFake(
            userAccessToken: userAccessToken, refreshToken: refreshToken, accountUserID: accountUserID,
            clientID: clientID, clientSecret: clientSecret, now: now ?? { Date().timeIntervalSince1970 })
        try await fake.host.start(endpoint: Self.endpoint(of:)) { await fake.answer($0, failure: $1) }
        return fake
    }

    public func stop() async { await host.stop() }

    /// The current access token stops working, as it does two hours after it was issued.
    public func expireAccessToken() {
        tokens.withLock { $0.access = nil }
    }

    private static func endpoint(of request: FakeRequest) -> String? {
        let segments = request.segments
        guard request.method == "POST" else { return nil }
        if segments.count == 5, segments[0] == "2", segments[1] == "dm_conversations", segments[2] == "with",
            segments[4] == "messages"
        {
            return Endpoint.directMessage.rawValue
        }
        switch segments {
        case ["2", "tweets"]: return Endpoint.tweet.rawValue
        case ["2", "oauth2", "token"]: return Endpoint.token.rawValue
        default: return nil
        }
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) async -> FakeResponse {
        if Endpoint(rawValue: Self.endpoint(of: request) ?? "") == .token {
            return refresh(request, failure: failure)
        }
        let current = tokens.withLock { $0.access }
        guard let current, request.headers["authorization"] == "Bearer \(current)" else {
            return problem(401, "Unauthorized", "Unauthorized")
        }
        switch failure {
        case .rateLimited(let seconds):
            let reset = Int(now()) + seconds
            return problem(
                429, "Too Many Requests", "Too Many Requests",
                headers: [
                    "x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": String(reset),
                ])
        case .serverError: return problem(500, "Internal Server Error", "Internal error")
        case .tokenError: return problem(401, "Unauthorized", "Unauthorized")
        case .recipientUnavailable, .windowError:
            return problem(403, "Forbidden", "You cannot send messages to this user.")
        case .platformError(let code, _): return platformError(code)
        case .hang, .asyncWindowFailure, nil: break
        }
        guard let text = request.json?["text"]?.text, !text.isEmpty else {
            return .json(
                400,
                [
                    "errors": [["parameters": ["text": []], "message": "The `text` field is required."]],
                    "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                ])
        }
        let id = String(1_800_000_000_000_000_000 + Int64(host.nextNumber()))
        if Endpoint(rawValue: Self.endpoint(of: request) ?? "") == .directMessage {
            let participant = request.segments[3]
            let pair = [participant, accountUserID].sorted { ($0.count, $0) < ($1.count, $1) }
            return .json(
                201, ["data": ["dm_conversation_id": .string(pair.joined(separator: "-")), "dm_event_id": .string(id)]])
        }
        return .json(
            201, ["data": ["id": .string(id), "text": .string(text), "edit_history_tweet_ids": [.string(id)]]])
    }

    /// `POST /2/oauth2/token` with `grant_type=refresh_token`: a new pair for the current refresh token.
    private func refresh(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        switch failure {
        case .rateLimited(let seconds):
            return problem(429, "Too Many Requests", "Too Many Requests", headers: ["retry-after": String(seconds)])
        case .serverError: return problem(500, "Internal Server Error", "Internal error")
        case .tokenError: return oauthError(400, "invalid_request", "Value passed for the token was invalid.")
        case .recipientUnavailable, .windowError, .platformError, .hang, .asyncWindowFailure, nil: break
        }
        let form = Dictionary(request.form, uniquingKeysWith: { first, _ in first })
        if let clientSecret {
            let expected = "Basic " + Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
            guard request.headers["authorization"] == expected else {
                return oauthError(401, "unauthorized_client", "Missing valid authorization header")
            }
        }
        guard form["client_id"] == clientID else {
            return oauthError(400, "invalid_request", "Missing required parameter [client_id].")
        }
        guard form["grant_type"] == "refresh_token" else {
            return oauthError(400, "unsupported_grant_type", "Unsupported grant type.")
        }
        let number = host.nextNumber()
        let issued = tokens.withLock { tokens -> (String, String)? in
            guard let current = tokens.refresh, form["refresh_token"] == current else { return nil }
            let pair = ("x-user-token-\(number)", "x-refresh-token-\(number)")
            tokens = (access: Optional(pair.0), refresh: Optional(pair.1))
            return pair
        }
        guard let (access, refresh) = issued else {
            return oauthError(400, "invalid_request", "Value passed for the token was invalid.")
        }
        return .json(
            200,
            [
                "token_type": "bearer", "expires_in": 7200, "access_token": .string(access),
                "scope": "tweet.read tweet.write users.read dm.read dm.write offline.access",
                "refresh_token": .string(refresh),
            ])
    }

    private func platformError(_ code: Int) -> FakeResponse {
        switch code {
        case 453:
            return .json(
                403,
                [
                    "client_id": .string(clientID),
                    "detail": .string(
                        "When authenticating requests to the X API v2 endpoints, you must use keys and tokens"
                            + " from an X developer App that is attached to a Project with the appropriate level of"
                            + " API access."),
                    "registration_url": "https://developer.x.com/en/docs/projects/overview",
                    "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
                    "reason": "client-not-enrolled", "type": "https://api.twitter.com/2/problems/client-forbidden",
                ])
        case 349:
            return .json(
                403,
                [
                    "title": "Forbidden", "type": "about:blank", "status": 403,
                    "detail": "You cannot send messages to this user.",
                    "errors": [["code": 349, "message": "You cannot send messages to this user."]],
                ])
        case 185:
            let second = Int(self.now())
            return problem(
                429, "Too Many Requests", "Too Many Requests",
                headers: [
                    "x-rate-limit-limit": "200", "x-rate-limit-remaining": "150",
                    "x-rate-limit-reset": String(second + 900), "x-user-limit-24hour-limit": "1000",
                    "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": String(second + 72_000),
                ])
        default:
            return problem(code, "Error", "Scripted error \(code)")
        }
    }

    private func problem(_ status: Int, _ title: String, _ detail: String, headers: [String: String] = [:])
        -> FakeResponse
    {
        return .json(
            status,
            [
                "title": .string(title), "detail": .string(detail), "type": "about:blank",
                "status": .int(Int64(status)),
            ], headers: headers)
    }

    private func oauthError(_ status: Int, _ error: String, _ description: String) -> FakeResponse {
        .json(status, ["error": .string(error), "error_description": .string(description)])
    }
}
