import Foundation
import PlatformJSON

/// X API v2: DMs (`POST /2/dm_conversations/with/{participant}/messages`) and reply posts
/// (`POST /2/tweets`), with the connected account's user-context OAuth 2.0 token.
///
/// Error bodies are unconfirmed (CHANNELS.md §4.4), so a 403 is read for what it names (see
/// `XForbiddenAnswer`): our app's access (a missing `dm.write` scope, an API tier without DMs,
/// a client not in a Project) is `other` with a detail saying so, for every message of the
/// channel; a DM recipient who does not take our DMs is `recipientUnavailable`; a 403 that names
/// neither is `other`. A 429 waits until the spent window resets, the 24-hour caps included
/// (`XRateLimitHeaders`). A 401 is `tokenInvalid`: the two-hour token expired or was revoked;
/// the caller renews it with the refresh token (`tokenRefreshRequest`) and sends once more
/// before it calls the channel's token invalid.
public struct XOutboundAdapter: OutboundAdapter {
    public let platform = Platform.x
    public var endpoint: PlatformEndpoint
    private let nowUnixSeconds: @Sendable () -> Double

    /// API v2.
    public static let api = PlatformAPI(.x, production: .init(baseURL: "https://api.x.com", version: "2"))
    public static var apis: [PlatformAPI] { [api] }

    /// `nowUnixSeconds` (default: the system clock) turns `x-rate-limit-reset` into a delay.
    public init(endpoint: PlatformEndpoint, nowUnixSeconds: (@Sendable () -> Double)? = nil) {
        self.endpoint = endpoint
        self.nowUnixSeconds = nowUnixSeconds ?? { Date().timeIntervalSince1970 }
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(endpoint: endpoints[Self.api])
    }

    public func request(for message: OutboundMessage, credentials: XCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        let token = credentials.userAccessToken
        let url: String
        let body: WireJSON
        switch message.kind {
        case .xDirectMessage(let participantID):
            url = "\(endpoint.baseURL)/2/dm_conversations/with/\(PercentEncoding.component(participantID))/messages"
            body = ["text": .string(message.text)]
        case .xReply(let postID):
            url = "\(endpoint.baseURL)/2/tweets"
            body = ["text": .string(message.text), "reply": ["in_reply_to_tweet_id": .string(postID)]]
        default:
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        return PlatformRequest(
            method: "POST", url: url,
            headers: ["authorization": "Bearer \(token)", "content-type": "application/json"],
            body: body.encoded)
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        let json = WireJSON.parse(response.body)
        if (200..<300).contains(response.status) {
            if let id = json?["data"]?["dm_event_id"]?.text ?? json?["data"]?["id"]?.text {
                return .sent(platformMessageID: id)
            }
        }
        switch response.status {
        case 403:
            let detail = json?["detail"]?.text ?? json?["errors"]?[0]?["message"]?.text ?? "forbidden"
            switch XForbiddenAnswer.cause(of: json) {
            case .access:
                return .failed(reason: .other, detail: "X 403, our app's access (scope or API tier): \(detail)")
            case .recipient:
                if case .xDirectMessage = message.kind {
                    return .failed(reason: .recipientUnavailable, detail: "X 403: \(detail)")
                }
                return .failed(reason: .other, detail: "X 403: \(detail)")
            case .unnamed:
                return .failed(reason: .other, detail: "X 403: \(detail)")
            }
        case 429:
            return .retryAfter(
                delay: XRateLimitHeaders.delay(in: response.headers, nowUnixSeconds: nowUnixSeconds()),
                reason: .rateLimited)
        default:
            return HTTPStatusOutcome.classify(response, platform: "X", nowUnixSeconds: nowUnixSeconds())
        }
    }
}
