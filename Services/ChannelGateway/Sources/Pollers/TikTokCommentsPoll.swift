import PlatformJSON

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// TikTok API for Business list APIs for the comments' gap reconciliation (CHANNELS.md §6):
/// `GET /business/video/list/` (the account's videos, newest first) and `GET
/// /business/comment/list/` per video (newest first, with up to three replies each in
/// `reply_list`). Request building and answer parsing, pure.
///
/// Decisions where CHANNELS.md marks the shapes unconfirmed (§6.3, §6.5), taken from the
/// documented parameters: `video/list` takes `business_id`, `fields`, `cursor`, `max_count` (≤ 20)
/// and answers `data.videos[].item_id`, `data.cursor`, `data.has_more`; `comment/list` takes
/// `business_id`, `video_id`, `include_replies`, `status`, `sort_field=create_time`,
/// `sort_order=desc`, `cursor`, `max_count` (≤ 30) and answers `data.comments[]` with
/// `comment_id`, `video_id`, `unique_identifier`, `username`, `create_time` (seconds), `text`,
/// `owner`, `parent_comment_id`, `reply_list[]`, and `data.cursor`, `data.has_more`. Only PUBLIC
/// comments are read (a hidden one may be spam the webhook never announces).
///
/// The event id: the webhook's is `<comment_id>:insert:<content.timestamp ms>` (`TikTokComment`);
/// a listed comment gets `<comment_id>:insert:<create_time × 1000>`, the same id if the webhook's
/// timestamp is the comment's creation time. Because that is unconfirmed, the poller also drops a
/// listed comment whose `<comment_id>:insert:` is stored already under any time
/// (``ChannelPollerRepository/storedTikTokComments(channelID:commentIDs:receivedSince:)``), and
/// conversation-service keeps one message per platform message id whatever the event id.
///
/// Known gaps, left to the webhook: a video older than the sweep's newest videos, replies beyond
/// the three `include_replies` gives, and new replies under a page of comments all older than the
/// window.
enum TikTokCommentsPoll {
    /// Where and as whom the API is called.
    struct Target: Sendable, Hashable {
        var endpoint: PlatformEndpoint
        var token: String
        var businessID: String
    }

    static func target(
        _ credentials: any ChannelCredentials, endpoints: OutboundEndpoints
    ) throws(PollFailure) -> Target {
        guard let tiktok = credentials as? TikTokCredentials else {
            throw PollFailure(.configuration, "the channel's credentials are not a TikTok business account's")
        }
        return Target(
            endpoint: endpoints[TikTokOutboundAdapter.api], token: tiktok.accessToken, businessID: tiktok.businessID)
    }

    static func videosRequest(_ target: Target, cursor: String?, maxCount: Int) -> PlatformRequest {
        var query = [
            ("business_id", target.businessID), ("fields", "[\"item_id\",\"create_time\"]"),
            ("max_count", String(maxCount)),
        ]
        if let cursor { query.append(("cursor", cursor)) }
        return Self.get(target, path: "business/video/list/", query: query)
    }

    static func commentsRequest(_ target: Target, videoID: String, cursor: String?, maxCount: Int) -> PlatformRequest {
        var query = [
            ("business_id", target.businessID), ("video_id", videoID), ("include_replies", "true"),
            ("status", "PUBLIC"), ("sort_field", "create_time"), ("sort_order", "desc"),
            ("max_count", String(maxCount)),
        ]
        if let cursor { query.append(("cursor", cursor)) }
        return Self.get(target, path: "business/comment/list/", query: query)
    }

    private static func get(_ target: Target, path: String, query: [(String, String)]) -> PlatformRequest {
        let endpoint = target.endpoint
        let url = "\(endpoint.baseURL)/open_api/\(endpoint.version)/\(path)?\(PercentEncoding.form(query))"
        return PlatformRequest(method: "GET", url: url, headers: ["access-token": target.token])
    }

    /// Why an answer is not a page: nil for HTTP 200 with `code` 0. Failures keep HTTP 200 with a
    /// non-zero `code` (§6.4), classified as the reply API's are.
    static func failure(_ response: PlatformResponse, what: String) -> PollFailure? {
        guard response.status == 200, let json = WireJSON.parse(response.body), let code = json["code"]?.integer else {
            return PollFailure.http(
                response, outcome: HTTPStatusOutcome.classify(response, platform: "TikTok"), what: what)
        }
        guard code == 0 else {
            return PollFailure(TikTokOutboundAdapter.classify(code: code, json: json) { _ in nil }, what: what)
        }
        return nil
    }

    struct VideosPage: Sendable {
        var videoIDs: [String]
        /// The next page's cursor; nil on the last page.
        var nextCursor: String?
    }

    static func videosPage(_ body: [UInt8]) throws(WebhookError) -> VideosPage {
        let data = try JSONNode.parse(body).field("data")
        var ids: [String] = []
        for video in try data.optionalArray("videos") {
            ids.append(try video.id("item_id"))
        }
        let more = try data.optionalBool("has_more") == true
        let cursor = try data.optionalID("cursor")
        return VideosPage(videoIDs: ids, nextCursor: more && !ids.isEmpty ? cursor : nil)
    }

    struct CommentsPage: Sendable {
        var events: [InboundEvent] = []
        var unparsed: [UnparsedEntry] = []
        /// Whether anything on the page (a comment or a reply) was no older than `since`: a page
        /// without is where the video's comments stop being read.
        var reachedWindow = false
        var nextCursor: String?
    }

    /// Reads an answer to ``commentsRequest(_:videoID:cursor:maxCount:)``: the comments and
    /// replies no older than `since`. `videoID` stands in for a comment without `video_id`.
    static func commentsPage(
        _ body: [UInt8], businessID: String, videoID: String?, since: Date, receivedAt: Date
    ) throws(WebhookError) -> CommentsPage {
        let data = try JSONNode.parse(body).field("data")
        var page = CommentsPage()
        for comment in try data.optionalArray("comments") {
            var items: [(node: JSONNode, parentID: String?)] = [(comment, nil)]
            if let parentID = try? comment.id("comment_id") {
                for reply in (try? comment.optionalArray("reply_list")) ?? [] { items.append((reply, parentID)) }
            }
            for item in items {
                do {
                    let event = try Self.comment(
                        item.node, businessID: businessID, videoID: videoID, parentID: item.parentID)
                    if event.occurredAt >= since {
                        page.events.append(event)
                        page.reachedWindow = true
                    }
                } catch {
                    page.unparsed.append(
                        UnparsedEntry(
                            platform: .tiktok, accountID: businessID, path: "data.comments[]",
                            rawText: item.node.value.jsonText, error: error, receivedAt: receivedAt))
                }
            }
        }
        if try data.optionalBool("has_more") == true { page.nextCursor = try data.optionalID("cursor") }
        return page
    }

    /// One listed comment as the webhook's `insert` would have given it (`TikTokComment`).
    /// `parentID` is the comment whose `reply_list` holds it; a comment outside a `reply_list` is
    /// a reply only when its own `parent_comment_id` names another comment.
    static func comment(
        _ node: JSONNode, businessID: String, videoID fallback: String?, parentID: String?
    ) throws(WebhookError) -> InboundEvent {
        let commentID = try node.id("comment_id")
        let videoID: String
        if let listed = try node.optionalID("video_id") {
            videoID = listed
        } else if let fallback {
            videoID = fallback
        } else {
            throw .missingField(node.path + ".video_id")
        }
        let created = try node.field("create_time")
        let occurredAt = try created.unixSeconds()
        // unixSeconds bounds it within ±2^40, so times 1000 cannot overflow.
        let millis = try created.int64() * 1000
        var parent = parentID
        if parent == nil, let listed = try node.optionalID("parent_comment_id"),
            listed != "0", listed != videoID, listed != commentID
        {
            parent = listed
        }
        var author: InboundAuthor?
        if let identifier = try node.optionalID("unique_identifier") {
            author = InboundAuthor(platformID: identifier, handle: try node.optionalString("username"))
        }
        let text = try node.optionalString("text")
        return InboundEvent(
            platform: .tiktok, accountID: businessID, kind: .comment, eventID: "\(commentID):insert:\(millis)",
            messageID: commentID, threadKey: "\(videoID)/\(parent ?? commentID)", parentPostID: videoID,
            parentCommentID: parent, author: author, text: text, occurredAt: occurredAt,
            isOwn: try node.optionalBool("owner") == true, isUnsupported: text == nil)
    }

    /// The events of a stored comment list answer (a reparse after a parser fix: no window).
    static func events(
        inAnswer body: [UInt8], businessID: String, receivedAt: Date
    ) throws(WebhookError) -> (events: [InboundEvent], unparsed: [UnparsedEntry]) {
        let page = try Self.commentsPage(
            body, businessID: businessID, videoID: nil, since: .distantPast, receivedAt: receivedAt)
        return (page.events, page.unparsed)
    }
}
