import PlatformJSON

/// LinkedIn Community Management API: comment on a post, or reply to a comment, as the
/// organization (`POST /rest/socialActions/{urn}/comments`, Rest.li 2.0, versioned).
///
/// Decisions where CHANNELS.md §5.4 is unconfirmed: the path URN is the parent comment for a
/// nested reply and the post otherwise; the new comment's id is read from the `x-restli-id`
/// header, then from the body's `id`; errors are classified on HTTP status (Rest.li bodies carry
/// `status`/`serviceErrorCode`/`message`, used only for the detail text).
public struct LinkedInOutboundAdapter: OutboundAdapter {
    public let platform = Platform.linkedin
    public var endpoint: PlatformEndpoint

    /// `version` is sent as `LinkedIn-Version` (YYYYMM); LinkedIn sunsets versions, keep it current.
    public static let api = PlatformAPI(
        .linkedin, production: .init(baseURL: "https://api.linkedin.com", version: "202611"))
    public static var apis: [PlatformAPI] { [api] }

    public init(endpoint: PlatformEndpoint) {
        self.endpoint = endpoint
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(endpoint: endpoints[Self.api])
    }

    public func request(for message: OutboundMessage, credentials: LinkedInCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        let token = credentials.accessToken
        guard case .linkedInComment(let target) = message.kind else {
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        var body: [String: WireJSON] = [
            "actor": .string(target.actor), "object": .string(target.object),
            "message": ["text": .string(message.text)],
        ]
        if let parent = target.parentComment { body["parentComment"] = .string(parent) }
        let pathURN = PercentEncoding.component(target.parentComment ?? target.object)
        return PlatformRequest(
            method: "POST", url: "\(endpoint.baseURL)/rest/socialActions/\(pathURN)/comments",
            headers: [
                "authorization": "Bearer \(token)", "content-type": "application/json",
                "linkedin-version": endpoint.version, "x-restli-protocol-version": "2.0.0",
            ],
            body: WireJSON.object(body).encoded)
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        let json = WireJSON.parse(response.body)
        if (200..<300).contains(response.status) {
            if let id = response.headers["x-restli-id"] ?? json?["id"]?.text ?? json?["commentUrn"]?.text {
                return .sent(platformMessageID: id)
            }
        }
        if response.status == 403 {
            let detail = json?["message"]?.text ?? "forbidden"
            return .failed(reason: .other, detail: "LinkedIn 403: \(detail)")
        }
        return HTTPStatusOutcome.classify(response, platform: "LinkedIn")
    }
}
