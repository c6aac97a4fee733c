import PlatformJSON

/// Facebook Page: Messenger replies (RESPONSE, HUMAN_AGENT), private replies to comments and
/// visitor posts, public replies under comments. The Page token goes in `Authorization: Bearer`
/// rather than the `access_token` query parameter so it stays out of URLs and logs. Send API
/// messages carry the idempotency key as `message.metadata`, echoed back by `message_echoes`.
public struct FacebookOutboundAdapter: OutboundAdapter {
    public let platform = Platform.facebook
    public var endpoint: PlatformEndpoint

    /// The Graph API for Pages (graph.facebook.com).
    public static let api = PlatformAPI(
        .facebook, production: .init(baseURL: "https://graph.facebook.com", version: "v26.0"))
    public static var apis: [PlatformAPI] { [api] }

    public init(endpoint: PlatformEndpoint) {
        self.endpoint = endpoint
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(endpoint: endpoints[Self.api])
    }

    public func request(for message: OutboundMessage, credentials: FacebookCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        let (pageID, token) = (credentials.pageID, credentials.accessToken)
        let root = "\(endpoint.baseURL)/\(endpoint.version)"
        if case .publicCommentReply(let commentID) = message.kind {
            return MetaSendAPI.jsonRequest(
                url: "\(root)/\(PercentEncoding.component(commentID))/comments", token: token,
                body: ["message": .string(message.text)])
        }
        guard let body = MetaSendAPI.body(for: message, includeResponseType: true, metadata: message.idempotencyKey)
        else {
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        return MetaSendAPI.jsonRequest(
            url: "\(root)/\(PercentEncoding.component(pageID))/messages", token: token, body: body)
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        MetaGraphOutcome.classify(
            response, isPrivateReply: MetaSendAPI.isPrivateReply(message.kind), successID: MetaSendAPI.successID)
    }
}
