import PlatformJSON

/// TikTok API for Business: reply to a comment on the account's own video
/// (`POST /open_api/{version}/business/comment/reply/create/`, `Access-Token` header).
///
/// TikTok answers HTTP 200 with a non-zero `code` on failure. Codes (CHANNELS.md §6.4 documents
/// only 40100; the rest from the return-code list of TikTok's Business API SDK): 40100 rate limit
/// → retry after 5 minutes (the per-minute quota; the per-day one would need until 00:00 UTC,
/// which the answer does not distinguish); 40132 → retry (TikTok asks to try again); 40102,
/// 40103, 40104, 40105 and 40130 → the access token (expired, invalid, missing, revoked, not
/// authorised): the channel needs reconnecting; 40101 is our app's id/secret pair, not the
/// channel's token (`other`); 5xxxx → TikTok-side transient errors.
///
/// A reply is at most 150 characters (CHANNELS.md §6.4, from a third-party tool): a longer text
/// is refused before sending (``OutboundBuildError/textTooLong(platform:limit:)``). Characters
/// are counted as Swift does (grapheme clusters); how TikTok counts an emoji is unconfirmed.
public struct TikTokOutboundAdapter: OutboundAdapter {
    public let platform = Platform.tiktok
    public var endpoint: PlatformEndpoint

    /// The TikTok API for Business.
    public static let api = PlatformAPI(
        .tiktok, production: .init(baseURL: "https://business-api.tiktok.com", version: "v1.3"))
    public static var apis: [PlatformAPI] { [api] }
    /// The longest comment reply TikTok takes, in characters.
    public static let maxReplyLength = 150

    public init(endpoint: PlatformEndpoint) {
        self.endpoint = endpoint
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(endpoint: endpoints[Self.api])
    }

    public func request(for message: OutboundMessage, credentials: TikTokCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        let (token, businessID) = (credentials.accessToken, credentials.businessID)
        guard case .tiktokCommentReply(let videoID, let commentID) = message.kind else {
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        guard message.text.count <= Self.maxReplyLength else {
            throw .textTooLong(platform: platform, limit: Self.maxReplyLength)
        }
        let body: WireJSON = [
            "business_id": .string(businessID), "video_id": .string(videoID), "comment_id": .string(commentID),
            "text": .string(message.text),
        ]
        return PlatformRequest(
            method: "POST",
            url: "\(endpoint.baseURL)/open_api/\(endpoint.version)/business/comment/reply/create/",
            headers: ["access-token": token, "content-type": "application/json"],
            body: body.encoded)
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        guard response.status == 200, let json = WireJSON.parse(response.body), let code = json["code"]?.integer
        else {
            return HTTPStatusOutcome.classify(response, platform: "TikTok")
        }
        return Self.classify(code: code, json: json) { $0["data"]?["comment_id"]?.text }
    }

    /// Shared with the content fetcher: the business API's `{code, message, data}` envelope.
    static func classify(code: Int64, json: WireJSON, successID: (WireJSON) -> String?) -> OutboundOutcome {
        let detail = "TikTok \(code): \(json["message"]?.text ?? "")"
        switch code {
        case 0:
            guard let id = successID(json) else { return .failed(reason: .other, detail: "TikTok: no id in answer") }
            return .sent(platformMessageID: id)
        case 40100:
            return .retryAfter(delay: .seconds(300), reason: .rateLimited)
        case 40132:
            return .retryAfter(delay: nil, reason: .transient)
        case 40102, 40103, 40104, 40105, 40130:
            return .failed(reason: .tokenInvalid, detail: detail)
        case 40101:
            return .failed(reason: .other, detail: "\(detail) (our TikTok app's id and secret, not the token)")
        case 50000...59999:
            return .retryAfter(delay: nil, reason: .transient)
        default:
            return .failed(reason: .other, detail: detail)
        }
    }
}
