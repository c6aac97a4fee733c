import PlatformJSON

/// A fake LinkedIn Community Management API: `POST /rest/socialActions/{urn}/comments`.
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
    }

    public let accessToken: String
    public let version: String
    /// Whether a created comment comes back in the body (else only `x-restli-id`).
    public let createdBody: Bool
    /// Whether `x-restli-id` is the comment's numeric id (else its URN).
    public let numericRestliID: Bool
    let host = FakePlatformHost()

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

    private static func endpoint(of request: FakeRequest) -> String? {
        let segments = request.segments
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

    private func restliError(_ status: Int, _ code: Int, _ message: String, headers: [String: String] = [:])
        -> FakeResponse
    {
        .json(
            status,
            ["status": .int(Int64(status)), "serviceErrorCode": .int(Int64(code)), "message": .string(message)],
            headers: headers)
    }
}
