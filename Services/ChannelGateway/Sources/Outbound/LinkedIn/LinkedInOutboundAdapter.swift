import PlatformJSON

/// LinkedIn Community Management API: comment on a post, or reply to a comment, as the
/// organization (`POST /rest/socialActions/{urn}/comments`, Rest.li 2.0, versioned).
///
/// Decisions where CHANNELS.md §5.4 is unconfirmed: the path URN is the parent comment for a
/// nested reply and the post otherwise; errors are classified on HTTP status (Rest.li bodies
/// carry `status`/`serviceErrorCode`/`message`, used only for the detail text).
///
/// The platform message id is the new comment's URN, `urn:li:comment:(<post>,<id>)`, the form
/// inbound notifications name comments in (CHANNELS.md §5.3), so that a sent reply and its later
/// notifications meet: the body's `commentUrn`; else `x-restli-id` or the body's `id` when it is
/// already a comment URN; else that numeric id (what `x-restli-id` carries for a comment) inside
/// the post's URN (the parent comment's post for a nested reply).
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
        if (200..<300).contains(response.status), let urn = Self.commentURN(in: response, json: json, for: message) {
            return .sent(platformMessageID: urn)
        }
        if response.status == 403 {
            let detail = json?["message"]?.text ?? "forbidden"
            return .failed(reason: .other, detail: "LinkedIn 403: \(detail)")
        }
        return HTTPStatusOutcome.classify(response, platform: "LinkedIn")
    }

    /// The created comment's URN (see the type's comment); nil when the answer names no comment.
    static func commentURN(in response: PlatformResponse, json: WireJSON?, for message: OutboundMessage) -> String? {
        if let urn = json?["commentUrn"]?.text, urn.hasPrefix(commentPrefix) { return urn }
        let ids = [response.headers["x-restli-id"], json?["id"]?.text].compactMap { $0 }.filter { !$0.isEmpty }
        if let urn = ids.first(where: { $0.hasPrefix(commentPrefix) }) { return urn }
        guard let id = ids.first, id.allSatisfy(\.isNumber), case .linkedInComment(let target) = message.kind else {
            return nil
        }
        let post = target.parentComment.flatMap(postURN(ofComment:)) ?? target.object
        return "\(commentPrefix)(\(post),\(id))"
    }

    static let commentPrefix = "urn:li:comment:"

    /// `urn:li:activity:1` from `urn:li:comment:(urn:li:activity:1,2)`.
    static func postURN(ofComment urn: String) -> String? {
        guard urn.hasPrefix(commentPrefix + "("), urn.hasSuffix(")"), let comma = urn.lastIndex(of: ",") else {
            return nil
        }
        let start = urn.index(urn.startIndex, offsetBy: commentPrefix.count + 1)
        return start < comma ? String(urn[start..<comma]) : nil
    }
}
