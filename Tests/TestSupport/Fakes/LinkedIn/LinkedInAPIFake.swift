import PlatformJSON
import Synchronization

/// A fake LinkedIn Community Management API: `POST /rest/socialActions/{urn}/comments`, and the
/// notifications pull finder `GET /rest/organizationalEntityNotifications?q=criteria` (answering
/// the notifications registered with `registerNotification`, filtered by organization, `actions`
/// and `timeRange` on `lastModifiedAt`, paged with `start`/`count`).
/// Requires `Authorization: Bearer`, a `LinkedIn-Version` header (426 if missing, as LinkedIn's
/// versioned API does) and `X-Restli-Protocol-Version: 2.0.0`; answers 201 with the new comment's
/// URN (`urn:li:comment:(<post>,<id>)`, the form inbound notifications use) in `x-restli-id` and,
/// unless started with `createdBody: false`, the comment in the body with `commentUrn` and its
/// numeric `id`. Started with `numericRestliID: true`, `x-restli-id` carries the numeric id only
/// (what Rest.li's create answers for an entity keyed by a number). Decisions where CHANNELS.md
/// §5.4 is unconfirmed. Errors are Rest.li JSON `{"status","serviceErrorCode","message"}`.
public final class LinkedInAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case comments
        case notifications
    }

    public let accessToken: String
    public let version: String
    /// Whether a created comment comes back in the body (else only `x-restli-id`).
    public let createdBody: Bool
    /// Whether `x-restli-id` is the comment's numeric id (else its URN).
    public let numericRestliID: Bool
    let host = FakePlatformHost()
    private let notifications = Mutex<[WireJSON]>([])

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    public var baseURL: String { host.baseURL }

    private init(accessToken: String, version: String, createdBody: Bool, numericRestliID: Bool) {
        self.accessToken = accessToken
        self.version = version
        self.createdBody = createdBody
        self.numericRestliID = numericRestliID
    }

    public static func start(
        accessToken: String, version: String = "202611", createdBody: Bool = true, numericRestliID: Bool = false
    ) async throws -> LinkedInAPIFake {
        let fake = LinkedInAPIFake(
            accessToken: accessToken, version: version, createdBody: createdBody, numericRestliID: numericRestliID)
        try await fake.host.start(endpoint: Self.endpoint(of:)) { fake.answer($0, failure: $1) }
        return fake
    }

    public func stop() async { await host.stop() }

    /// Makes the pull finder list `notification` (one object of a webhook's `notifications[]`,
    /// e.g. `WebhookPayloads.linkedInComment(...)["notifications"]?[0]`).
    public func registerNotification(_ notification: WireJSON) {
        notifications.withLock { $0.append(notification) }
    }

    private static func endpoint(of request: FakeRequest) -> String? {
        let segments = request.segments
        if request.method == "GET", segments == ["rest", "organizationalEntityNotifications"] {
            return Endpoint.notifications.rawValue
        }
        guard request.method == "POST", segments.count == 4, segments[0] == "rest", segments[1] == "socialActions",
            segments[3] == "comments"
        else { return nil }
        return Endpoint.comments.rawValue
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        guard request.headers["authorization"] == "Bearer \(accessToken)" else {
            return restliError(401, 65600, "Invalid access token")
        }
        guard request.headers["linkedin-version"] == version else {
            return restliError(
                426, 0, "Requested version \(request.headers["linkedin-version"] ?? "none") is not active")
        }
        guard request.headers["x-restli-protocol-version"] == "2.0.0" else {
            return restliError(400, 0, "Rest.li protocol version 2.0.0 required")
        }
        switch failure {
        case .rateLimited(let seconds):
            return restliError(
                429, 101, "Resource level throttle limit reached", headers: ["retry-after": String(seconds)])
        case .serverError: return restliError(500, 0, "Internal Server Error")
        case .tokenError: return restliError(401, 65601, "The token used in the request has expired")
        case .recipientUnavailable, .windowError: return restliError(403, 100, "Not enough permissions to comment")
        case .platformError(let code, _): return restliError(code, 0, "Scripted error")
        case .hang, .asyncWindowFailure, nil: break
        }
        if Self.endpoint(of: request) == Endpoint.notifications.rawValue {
            return notificationsPage(request)
        }
        let pathURN = request.segments[2]
        guard let body = request.json, let actor = body["actor"]?.text, let object = body["object"]?.text,
            let text = body["message"]?["text"]?.text, !text.isEmpty
        else {
            return restliError(422, 0, "/actor, /object and /message/text are required")
        }
        let expected = body["parentComment"]?.text ?? object
        guard pathURN == expected, actor.hasPrefix("urn:li:organization:") || actor.hasPrefix("urn:li:person:") else {
            return restliError(400, 0, "Path entity \(pathURN) does not match the comment")
        }
        let activity = object.hasPrefix("urn:li:activity:") ? object : "urn:li:activity:7094637247890620418"
        let id = String(7_100_000_000_000_000_000 + Int64(host.nextNumber()))
        let urn = "urn:li:comment:(\(activity),\(id))"
        let headers = ["x-restli-id": numericRestliID ? id : urn]
        guard createdBody else { return FakeResponse(status: 201, headers: headers) }
        var comment: [String: WireJSON] = [
            "id": .string(id), "commentUrn": .string(urn), "actor": .string(actor), "object": .string(object),
            "message": ["text": .string(text)],
        ]
        if let parent = body["parentComment"]?.text { comment["parentComment"] = .string(parent) }
        return .json(201, .object(comment), headers: headers)
    }

    /// One page of the finder. `actions=List(A,B)` and `timeRange=(start:<ms>,end:<ms>)` arrive
    /// with their Rest.li punctuation unescaped.
    private func notificationsPage(_ request: FakeRequest) -> FakeResponse {
        guard request.query["q"] == "criteria", let organization = request.query["organizationalEntity"] else {
            return restliError(400, 0, "q=criteria and organizationalEntity are required")
        }
        var actions: Set<String>?
        if let list = request.query["actions"] {
            guard list.hasPrefix("List("), list.hasSuffix(")") else { return restliError(400, 0, "actions: List(...)") }
            actions = Set(list.dropFirst(5).dropLast().split(separator: ",").map(String.init))
        }
        var range: (start: Int64, end: Int64)?
        if let text = request.query["timeRange"] {
            var bounds: [String: Int64] = [:]
            var inner = Substring(text)
            if inner.hasPrefix("(") { inner = inner.dropFirst() }
            if inner.hasSuffix(")") { inner = inner.dropLast() }
            for part in inner.split(separator: ",") {
                let pair = part.split(separator: ":", maxSplits: 1)
                if pair.count == 2, let value = Int64(pair[1]) { bounds[String(pair[0])] = value }
            }
            guard let start = bounds["start"], let end = bounds["end"] else {
                return restliError(400, 0, "timeRange: (start:<ms>,end:<ms>)")
            }
            range = (start, end)
        }
        let matching = notifications.withLock { $0 }.filter { notification in
            guard notification["organizationalEntity"]?.text == organization else { return false }
            if let actions, !actions.contains(notification["action"]?.text ?? "") { return false }
            if let range {
                guard let at = notification["lastModifiedAt"]?.integer, at >= range.start, at <= range.end else {
                    return false
                }
            }
            return true
        }
        let start = max(0, Int(request.query["start"] ?? "0") ?? 0)
        let count = max(1, Int(request.query["count"] ?? "10") ?? 10)
        let page = Array(matching.dropFirst(start).prefix(count))
        var links: [WireJSON] = []
        let next = start + page.count
        if next < matching.count {
            let href = "/rest/organizationalEntityNotifications?q=criteria&start=\(next)&count=\(count)"
            links.append(["rel": "next", "type": "application/json", "href": .string(href)])
        }
        return .json(
            200,
            [
                "elements": .array(page),
                "paging": [
                    "start": .int(Int64(start)), "count": .int(Int64(count)), "total": .int(Int64(matching.count)),
                    "links": .array(links),
                ],
            ])
    }

    private func restliError(_ status: Int, _ code: Int, _ message: String, headers: [String: String] = [:])
        -> FakeResponse
    {
        .json(
            status,
            ["status": .int(Int64(status)), "serviceErrorCode": .int(Int64(code)), "message": .string(message)],
            headers: headers)
    }
}
