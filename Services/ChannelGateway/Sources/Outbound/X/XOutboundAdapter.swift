import Foundation
import PlatformJSON

/// X API v2: DMs (`POST /2/dm_conversations/with/{participant}/messages`) and reply posts
/// (`POST /2/tweets`), with the connected account's user-context OAuth 2.0 token.
///
/// Unconfirmed error bodies (CHANNELS.md §4.4): we classify on the HTTP status. A 403 on a DM is
/// taken as "this person does not accept DMs from us" (recipient unavailable); a 403 on a post as
/// other (usually a permission or duplicate-content refusal). 429 waits until `x-rate-limit-reset`.
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
        if response.status == 403 {
            let detail = json?["detail"]?.text ?? json?["errors"]?[0]?["message"]?.text ?? "forbidden"
            if case .xDirectMessage = message.kind {
                return .failed(reason: .recipientUnavailable, detail: "X 403: \(detail)")
            }
            return .failed(reason: .other, detail: "X 403: \(detail)")
        }
        return HTTPStatusOutcome.classify(response, platform: "X", nowUnixSeconds: nowUnixSeconds())
    }
}
