import PlatformJSON

/// Instagram professional account: DMs, HUMAN_AGENT DMs, private replies to comments, public
/// replies (`POST /{comment-id}/replies`). With `.facebookLogin` credentials it uses Facebook Login
/// (graph.facebook.com, the linked Page's id); with `.instagramLogin` it uses graph.instagram.com.
///
/// Unconfirmed (CHANNELS.md §2.4): whether graph.instagram.com accepts the HUMAN_AGENT tag; we send
/// the Messenger syntax on both hosts and let the platform's error, if any, classify the outcome.
public struct InstagramOutboundAdapter: OutboundAdapter {
    public let platform = Platform.instagram
    public var facebookLogin: PlatformEndpoint
    public var instagramLogin: PlatformEndpoint

    /// graph.facebook.com for Instagram through Facebook Login.
    public static let facebookLoginAPI = PlatformAPI(
        .instagram, name: "facebookLogin", production: .init(baseURL: "https://graph.facebook.com", version: "v26.0"))
    /// graph.instagram.com: Instagram API with Instagram Login.
    public static let instagramLoginAPI = PlatformAPI(
        .instagram, name: "instagramLogin", production: .init(baseURL: "https://graph.instagram.com", version: "v26.0")
    )
    public static var apis: [PlatformAPI] { [facebookLoginAPI, instagramLoginAPI] }

    public init(facebookLogin: PlatformEndpoint, instagramLogin: PlatformEndpoint) {
        self.facebookLogin = facebookLogin
        self.instagramLogin = instagramLogin
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(facebookLogin: endpoints[Self.facebookLoginAPI], instagramLogin: endpoints[Self.instagramLoginAPI])
    }

    public func request(for message: OutboundMessage, credentials: InstagramCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        let endpoint: PlatformEndpoint
        let accountID: String
        let token: String
        let isFacebookLogin: Bool
        switch credentials {
        case .facebookLogin(let pageID, let accessToken):
            (endpoint, accountID, token, isFacebookLogin) = (facebookLogin, pageID, accessToken, true)
        case .instagramLogin(let igUserID, let accessToken):
            (endpoint, accountID, token, isFacebookLogin) = (instagramLogin, igUserID, accessToken, false)
        }
        let root = "\(endpoint.baseURL)/\(endpoint.version)"
        if case .publicCommentReply(let commentID) = message.kind {
            return MetaSendAPI.jsonRequest(
                url: "\(root)/\(PercentEncoding.component(commentID))/replies", token: token,
                body: ["message": .string(message.text)])
        }
        guard let body = MetaSendAPI.body(for: message, includeResponseType: isFacebookLogin, metadata: nil) else {
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        return MetaSendAPI.jsonRequest(
            url: "\(root)/\(PercentEncoding.component(accountID))/messages", token: token, body: body)
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        MetaGraphOutcome.classify(
            response, isPrivateReply: MetaSendAPI.isPrivateReply(message.kind), successID: MetaSendAPI.successID)
    }
}
