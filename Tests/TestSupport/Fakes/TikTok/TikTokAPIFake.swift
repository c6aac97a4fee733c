import PlatformJSON
import Synchronization

/// A fake TikTok API for Business: comment reply create, comment list (by `comment_ids`, or every
/// listed comment of a video, newest first, with `reply_list` when `include_replies=true`) and
/// video list (newest first), `Access-Token` header.
/// Failures keep HTTP 200 with a non-zero `code` (40100 rate limit, 40105 token, 40002 bad
/// parameter, 50000 system error) — the codes other than 40100 are our assumption (CHANNELS.md §6.4).
/// A reply text over 150 characters is refused (40002), the limit CHANNELS.md §6.4 reports.
public final class TikTokAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case commentReply
        case commentList
        case videoList
    }

    /// A comment as the list answers it (`registerListedComment`).
    public struct ListedComment: Sendable, Hashable {
        public var id: String
        public var videoID: String
        public var text: String
        public var username: String
        /// Unix seconds.
        public var createTime: Int64
        /// The top-level comment this one replies to; nil for a top-level comment.
        public var parentCommentID: String?
        /// Written by the business account itself.
        public var owner: Bool
    }

    public let accessToken: String
    public let businessID: String
    public let version: String
    let host = FakePlatformHost()
    private let comments = Mutex<[String: (videoID: String, text: String, username: String)]>([:])
    private let listed = Mutex<[ListedComment]>([])
    private let videos = Mutex<[String: Int64]>([:])

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    public var baseURL: String { host.baseURL }

    private init(accessToken: String, businessID: String, version: String) {
        self.accessToken = accessToken
        self.businessID = businessID
        self.version = version
    }

    public static func start(accessToken: String, businessID: String, version: String = "v1.3") async throws
        -> TikTokAPIFake
    {
        let fake = TikTokAPIFake(accessToken: accessToken, businessID: businessID, version: version)
        try await fake.host.start(endpoint: fake.endpoint(of:)) { fake.answer($0, failure: $1) }
        return fake
    }

    public func stop() async { await host.stop() }

    /// Makes the comment list answer for `commentID`.
    public func registerComment(id: String, videoID: String, text: String, username: String) {
        comments.withLock { $0[id] = (videoID, text, username) }
    }

    /// Lists `video` (created at `createTime`, Unix seconds) in the video list.
    public func registerVideo(id: String, createTime: Int64) {
        videos.withLock { $0[id] = createTime }
    }

    /// Lists a comment (or, with `parentCommentID`, a reply) in its video's comment list, and
    /// answers the `comment_ids` lookup for it; its video is listed too when it is not yet.
    public func registerListedComment(
        id: String, videoID: String, text: String, username: String, createTime: Int64,
        parentCommentID: String? = nil, owner: Bool = false
    ) {
        listed.withLock {
            $0.append(
                ListedComment(
                    id: id, videoID: videoID, text: text, username: username, createTime: createTime,
                    parentCommentID: parentCommentID, owner: owner))
        }
        comments.withLock { $0[id] = (videoID, text, username) }
        videos.withLock { $0[videoID] = $0[videoID] ?? createTime }
    }

    private func endpoint(of request: FakeRequest) -> String? {
        switch (request.method, request.path) {
        case ("POST", "/open_api/\(version)/business/comment/reply/create/"): return Endpoint.commentReply.rawValue
        case ("GET", "/open_api/\(version)/business/comment/list/"): return Endpoint.commentList.rawValue
        case ("GET", "/open_api/\(version)/business/video/list/"): return Endpoint.videoList.rawValue
        default: return nil
        }
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        guard request.headers["access-token"] == accessToken else { return envelope(40105, "Access token is invalid") }
        switch failure {
        case .rateLimited: return envelope(40100, "Too many requests. Please retry in some time.")
        case .serverError: return FakeResponse(status: 500, body: Array("Internal Server Error".utf8))
        case .tokenError: return envelope(40105, "Access token is invalid")
        case .recipientUnavailable, .windowError: return envelope(40002, "Comment does not exist or was deleted")
        case .platformError(let code, _): return envelope(code, Self.message(code: code))
        case .hang, .asyncWindowFailure, nil: break
        }
        switch Endpoint(rawValue: endpoint(of: request) ?? "") {
        case .commentList?: return commentList(request)
        case .videoList?: return videoList(request)
        default: break
        }
        guard let body = request.json, body["business_id"]?.text == businessID, let videoID = body["video_id"]?.text,
            body["comment_id"]?.text != nil, let text = body["text"]?.text, !text.isEmpty
        else {
            return envelope(40002, "business_id, video_id, comment_id and text are required")
        }
        guard text.count <= 150 else {
            return envelope(40002, "text: the reply is longer than 150 characters")
        }
        let id = String(7_250_000_000_000_000_000 + Int64(host.nextNumber()))
        return envelope(
            0, "OK",
            data: [
                "comment_id": .string(id), "video_id": .string(videoID), "text": .string(text),
                "create_time": 1_790_002_100, "owner": true,
            ])
    }

    private func commentList(_ request: FakeRequest) -> FakeResponse {
        if request.query["comment_ids"] == nil, request.query["business_id"] == businessID,
            let videoID = request.query["video_id"]
        {
            return commentListing(request, videoID: videoID)
        }
        guard request.query["business_id"] == businessID, let videoID = request.query["video_id"],
            case .array(let ids) = WireJSON.parse(Array((request.query["comment_ids"] ?? "").utf8))
        else {
            return envelope(40002, "business_id, video_id and comment_ids are required")
        }
        let known = comments.withLock { $0 }
        let items: [WireJSON] = ids.compactMap { $0.text }.compactMap { id in
            guard let comment = known[id], comment.videoID == videoID else { return nil }
            return [
                "comment_id": .string(id), "video_id": .string(videoID), "text": .string(comment.text),
                "username": .string(comment.username), "unique_identifier": .string(comment.username),
            ]
        }
        return envelope(0, "OK", data: ["comments": .array(items), "cursor": 0, "has_more": false])
    }

    /// Every listed top-level comment of the video, newest first (`sort_order=asc`: oldest first),
    /// paged by `cursor` (an offset) and `max_count` (≤ 30); with `include_replies=true` each
    /// carries up to three replies, newest first, in `reply_list`.
    private func commentListing(_ request: FakeRequest, videoID: String) -> FakeResponse {
        let all = listed.withLock { $0 }.filter { $0.videoID == videoID }
        let ascending = request.query["sort_order"] == "asc"
        let top = all.filter { $0.parentCommentID == nil }
            .sorted { ascending ? $0.createTime < $1.createTime : $0.createTime > $1.createTime }
        let cursor = max(0, Int(request.query["cursor"] ?? "0") ?? 0)
        let maxCount = min(30, max(1, Int(request.query["max_count"] ?? "20") ?? 20))
        let page = Array(top.dropFirst(cursor).prefix(maxCount))
        let includeReplies = request.query["include_replies"] == "true"
        let items: [WireJSON] = page.map { comment in
            var item = Self.json(comment)
            if includeReplies, case .object(var members) = item {
                let replies = all.filter { $0.parentCommentID == comment.id }.sorted { $0.createTime > $1.createTime }
                members["reply_list"] = .array(replies.prefix(3).map(Self.json))
                item = .object(members)
            }
            return item
        }
        let next = cursor + page.count
        return envelope(
            0, "OK",
            data: ["comments": .array(items), "cursor": .int(Int64(next)), "has_more": .bool(next < top.count)])
    }

    private static func json(_ comment: ListedComment) -> WireJSON {
        var item: [String: WireJSON] = [
            "comment_id": .string(comment.id), "video_id": .string(comment.videoID), "text": .string(comment.text),
            "username": .string(comment.username), "unique_identifier": .string(comment.username),
            "create_time": .int(comment.createTime), "owner": .bool(comment.owner), "status": "PUBLIC",
        ]
        if let parent = comment.parentCommentID { item["parent_comment_id"] = .string(parent) }
        return .object(item)
    }

    /// The account's videos, newest first, paged by `cursor` (an offset) and `max_count` (≤ 20).
    private func videoList(_ request: FakeRequest) -> FakeResponse {
        guard request.query["business_id"] == businessID else {
            return envelope(40002, "business_id is required")
        }
        let all = videos.withLock { $0 }.sorted { ($0.value, $0.key) > ($1.value, $1.key) }
        let cursor = max(0, Int(request.query["cursor"] ?? "0") ?? 0)
        let maxCount = min(20, max(1, Int(request.query["max_count"] ?? "20") ?? 20))
        let page = Array(all.dropFirst(cursor).prefix(maxCount))
        let next = cursor + page.count
        return envelope(
            0, "OK",
            data: [
                "videos": .array(
                    page.map { video -> WireJSON in
                        ["item_id": .string(video.key), "create_time": .string(String(video.value))]
                    }),
                "cursor": .int(Int64(next)), "has_more": .bool(next < all.count),
            ])
    }

    /// TikTok's texts for the codes tests script.
    private static func message(code: Int) -> String {
        switch code {
        case 40101: return "The combination of app_id and secret is invalid."
        case 40103, 40130: return "Access token is invalid or has not been authorized."
        case 40132: return "The system is busy. Please try again later."
        default: return "Scripted error"
        }
    }

    private func envelope(_ code: Int, _ message: String, data: WireJSON = [:]) -> FakeResponse {
        .json(
            200,
            ["code": .int(Int64(code)), "message": .string(message), "request_id": "2026112418000001", "data": data])
    }
}
