import PlatformJSON
import Synchronization

/// A fake TikTok API for Business: comment reply create and comment list, `Access-Token` header.
/// Failures keep HTTP 200 with a non-zero `code` (40100 rate limit, 40105 token, 40002 bad
/// parameter, 50000 system error) — the codes other than 40100 are our assumption (CHANNELS.md §6.4).
/// A reply text over 150 characters is refused (40002), the limit CHANNELS.md §6.4 reports.
public final class TikTokAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case commentReply
        case commentList
    }

    public let accessToken: String
    public let businessID: String
    public let version: String
    let host = FakePlatformHost()
    private let comments = Mutex<[String: (videoID: String, text: String, username: String)]>([:])

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

    private func endpoint(of request: FakeRequest) -> String? {
        switch (request.method, request.path) {
        case ("POST", "/open_api/\(version)/business/comment/reply/create/"): return Endpoint.commentReply.rawValue
        case ("GET", "/open_api/\(version)/business/comment/list/"): return Endpoint.commentList.rawValue
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
        if Endpoint(rawValue: endpoint(of: request) ?? "") == .commentList {
            return commentList(request)
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
