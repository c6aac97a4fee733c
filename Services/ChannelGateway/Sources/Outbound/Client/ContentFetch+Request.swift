import PlatformJSON

/// Request building and answer parsing for the inbound adapters' `ContentFetch` steps; pure.
///
/// Unconfirmed (CHANNELS.md §6.3): the TikTok comment list answer. We read
/// `data.comments[]` items with `comment_id`, `text` and `username` (falling back to
/// `unique_identifier`), matching the reply API's envelope.
extension ContentFetch {
    /// The GET that reads this content with the channel's credentials.
    public func request(
        endpoints: OutboundEndpoints, credentials: any ChannelCredentials
    ) throws(OutboundBuildError) -> PlatformRequest {
        switch self {
        case .instagramMention(let igUserID, let mediaID, let commentID):
            guard let instagram = credentials as? InstagramCredentials else {
                throw .wrongCredentials(platform: .instagram)
            }
            let endpoint: PlatformEndpoint
            let token: String
            switch instagram {
            case .facebookLogin(_, let accessToken):
                (endpoint, token) = (endpoints[InstagramOutboundAdapter.facebookLoginAPI], accessToken)
            case .instagramLogin(_, let accessToken):
                (endpoint, token) = (endpoints[InstagramOutboundAdapter.instagramLoginAPI], accessToken)
            }
            let fields =
                commentID.map { "mentioned_comment.comment_id(\($0)){text,username,timestamp}" }
                ?? "mentioned_media.media_id(\(mediaID)){caption,username,timestamp}"
            return Self.get(
                "\(endpoint.baseURL)/\(endpoint.version)/\(PercentEncoding.component(igUserID))",
                query: [("fields", fields)], headers: ["authorization": "Bearer \(token)"])
        case .facebookPostVisibility(let postID):
            guard let page = credentials as? FacebookCredentials else { throw .wrongCredentials(platform: .facebook) }
            let endpoint = endpoints[FacebookOutboundAdapter.api]
            return Self.get(
                "\(endpoint.baseURL)/\(endpoint.version)/\(PercentEncoding.component(postID))",
                query: [("fields", "is_published,promotion_status")],
                headers: ["authorization": "Bearer \(page.accessToken)"])
        case .tiktokComment(let businessID, let videoID, let commentID):
            guard let tiktok = credentials as? TikTokCredentials else { throw .wrongCredentials(platform: .tiktok) }
            let endpoint = endpoints[TikTokOutboundAdapter.api]
            return Self.get(
                "\(endpoint.baseURL)/open_api/\(endpoint.version)/business/comment/list/",
                query: [("business_id", businessID), ("video_id", videoID), ("comment_ids", "[\"\(commentID)\"]")],
                headers: ["access-token": tiktok.accessToken])
        }
    }

    /// Reads the platform's answer to `request(endpoints:credentials:)`.
    public func content(from response: PlatformResponse) -> ContentFetchOutcome {
        let json = WireJSON.parse(response.body)
        switch self {
        case .instagramMention, .facebookPostVisibility:
            if (200..<300).contains(response.status), let json, let content = metaContent(json) {
                return .fetched(content)
            }
            if let error = MetaGraphError(json: json) {
                return Self.fetchOutcome(error.outcome(status: response.status))
            }
            return Self.fetchOutcome(HTTPStatusOutcome.classify(response, platform: "Graph API"))
        case .tiktokComment(_, _, let commentID):
            guard response.status == 200, let json, let code = json["code"]?.integer else {
                return Self.fetchOutcome(HTTPStatusOutcome.classify(response, platform: "TikTok"))
            }
            guard code == 0 else {
                return Self.fetchOutcome(TikTokOutboundAdapter.classify(code: code, json: json) { _ in nil })
            }
            guard case .array(let comments) = json["data"]?["comments"],
                let comment = comments.first(where: { $0["comment_id"]?.text == commentID }),
                let text = comment["text"]?.text
            else {
                return .failed(reason: .other, detail: "TikTok: comment \(commentID) not in the list")
            }
            return .fetched(.text(text, authorHandle: comment["username"]?.text ?? comment["unique_identifier"]?.text))
        }
    }

    private func metaContent(_ json: WireJSON) -> FetchedContent? {
        switch self {
        case .instagramMention:
            if let comment = json["mentioned_comment"], let text = comment["text"]?.text {
                return .text(text, authorHandle: comment["username"]?.text)
            }
            if let media = json["mentioned_media"] {
                return .text(media["caption"]?.text ?? "", authorHandle: media["username"]?.text)
            }
            return nil
        case .facebookPostVisibility:
            guard let published = json["is_published"]?.boolean else { return nil }
            return .postVisibility(isPublished: published, promotionStatus: json["promotion_status"]?.text)
        case .tiktokComment:
            return nil
        }
    }

    private static func get(_ url: String, query: [(String, String)], headers: [String: String]) -> PlatformRequest {
        PlatformRequest(method: "GET", url: url + "?" + PercentEncoding.form(query), headers: headers)
    }

    private static func fetchOutcome(_ outcome: OutboundOutcome) -> ContentFetchOutcome {
        switch outcome {
        case .sent: return .failed(reason: .other, detail: "unexpected answer")
        case .retryAfter(let delay, let reason): return .retryAfter(delay: delay, reason: reason)
        case .failed(let reason, let detail): return .failed(reason: reason, detail: detail)
        }
    }
}
