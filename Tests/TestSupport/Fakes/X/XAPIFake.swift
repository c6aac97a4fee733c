import Foundation

/// A fake X API v2: DMs (`POST /2/dm_conversations/with/{id}/messages`, 201 `dm_conversation_id` +
/// `dm_event_id`) and posts (`POST /2/tweets`, 201 `id` + `text`). Bearer user token required
/// (401 problem JSON otherwise); 429 carries `x-rate-limit-*` headers and `Retry-After`.
public final class XAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case directMessage
        case tweet
    }

    public let userAccessToken: String
    /// The connected account's user id (used to form DM conversation ids `<low>-<high>`).
    public let accountUserID: String
    let host = FakePlatformHost()
    private let now: @Sendable () -> Double

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    public var baseURL: String { host.baseURL }

    private init(userAccessToken: String, accountUserID: String, now: @escaping @Sendable () -> Double) {
        self.userAccessToken = userAccessToken
        self.accountUserID = accountUserID
        self.now = now
    }

    public static func start(
        userAccessToken: String, accountUserID: String = "2244994945",
        now: (@Sendable () -> Double)? = nil
    ) async throws -> XAPIFake {
        let fake = XAPIFake(
            userAccessToken: userAccessToken, accountUserID: accountUserID,
            now: now ?? { Date().timeIntervalSince1970 })
        try await fake.host.start(endpoint: Self.endpoint(of:)) { await fake.answer($0, failure: $1) }
        return fake
    }

    public func stop() async { await host.stop() }

    private static func endpoint(of request: FakeRequest) -> String? {
        let segments = request.segments
        guard request.method == "POST" else { return nil }
        if segments.count == 5, segments[0] == "2", segments[1] == "dm_conversations", segments[2] == "with",
            segments[4] == "messages"
        {
            return Endpoint.directMessage.rawValue
        }
        return segments == ["2", "tweets"] ? Endpoint.tweet.rawValue : nil
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) async -> FakeResponse {
        guard request.headers["authorization"] == "Bearer \(userAccessToken)" else {
            return problem(401, "Unauthorized", "Unauthorized")
        }
        switch failure {
        case .rateLimited(let seconds):
            let reset = Int(now()) + seconds
            return problem(
                429, "Too Many Requests", "Too Many Requests",
                headers: [
                    "x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": String(reset),
                ])
        case .serverError: return problem(500, "Internal Server Error", "Internal error")
        case .tokenError: return problem(401, "Unauthorized", "Unauthorized")
        case .recipientUnavailable, .windowError:
            return problem(403, "Forbidden", "You cannot send messages to this user.")
        case .platformError(let code, _): return problem(code, "Error", "Scripted error \(code)")
        case .hang, .asyncWindowFailure, nil: break
        }
        guard let text = request.json?["text"]?.text, !text.isEmpty else {
            return .json(
                400,
                [
                    "errors": [["parameters": ["text": []], "message": "The `text` field is required."]],
                    "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                ])
        }
        let id = String(1_800_000_000_000_000_000 + Int64(host.nextNumber()))
        if Endpoint(rawValue: Self.endpoint(of: request) ?? "") == .directMessage {
            let participant = request.segments[3]
            let pair = [participant, accountUserID].sorted { ($0.count, $0) < ($1.count, $1) }
            return .json(
                201, ["data": ["dm_conversation_id": .string(pair.joined(separator: "-")), "dm_event_id": .string(id)]])
        }
        return .json(
            201, ["data": ["id": .string(id), "text": .string(text), "edit_history_tweet_ids": [.string(id)]]])
    }

    private func problem(_ status: Int, _ title: String, _ detail: String, headers: [String: String] = [:])
        -> FakeResponse
    {
        return .json(
            status,
            [
                "title": .string(title), "detail": .string(detail), "type": "about:blank",
                "status": .int(Int64(status)),
            ], headers: headers)
    }
}
