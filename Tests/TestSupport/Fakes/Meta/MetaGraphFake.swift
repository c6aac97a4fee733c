import Synchronization

/// A fake Graph API host for one Meta platform: Facebook Page (Messenger Send API, comment replies,
/// post reads, conversations), Instagram (Send API, comment replies, mention reads, conversations;
/// serves both the Facebook-Login and the Instagram-Login host shapes) or WhatsApp Cloud API
/// (messages).
///
/// Auth as Graph does: the token in `Authorization: Bearer`, or an `access_token` query or form
/// parameter; anything else is error 190 (OAuthException). Answers, errors and ids follow
/// CHANNELS.md §1.4, §2.4, §3.4.
public final class MetaGraphFake: Sendable {
    /// Which Meta platform this instance plays.
    public enum Flavour: Sendable, Hashable {
        case facebook
        case instagram
        case whatsApp
    }

    /// Endpoint names for `FailureScript.enqueue(_:on:)`.
    public enum Endpoint: String, Sendable {
        /// `POST /{version}/{account-id}/messages`.
        case messages
        /// `POST /{version}/{comment-id}/comments` (Facebook) or `/replies` (Instagram).
        case commentReply
        /// `GET /{version}/{object-id}?fields=...` (post visibility, mention reads).
        case objectRead
        /// `GET /{version}/{account-id}/conversations` (MetaGraphFake+Conversations.swift).
        case conversations
        /// `GET /{version}/{conversation-id}/messages`.
        case conversationMessages
    }

    public let flavour: Flavour
    public let version: String
    /// The ids whose `/messages` edge exists: the Page id, IG user id, or phone number id (and `me`).
    public let accountIDs: Set<String>
    public let accessToken: String
    let host = FakePlatformHost()
    let posts = Mutex<[String: (isPublished: Bool, promotionStatus: String)]>([:])
    let mentions = Mutex<[String: (text: String, username: String)]>([:])
    /// Messages by conversation id, as registered.
    let conversationStore = Mutex<[String: [FakeGraphMessage]]>([:])
    let statusWebhook = Mutex<(target: WebhookTarget, poster: WebhookPoster)?>(nil)
    /// Every message this fake accepted, by the id it answered: to whom and what (text or template
    /// name), so it can post the webhooks the platform sends about them (MetaGraphFake+Webhooks.swift).
    let sentMessages = Mutex<[String: (recipientID: String, text: String)]>([:])
    /// Comments and visitor posts already answered with a private reply.
    let privateReplies = Mutex<Set<String>>([])

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    /// `http://127.0.0.1:<port>`; the API version is the first path segment.
    public var baseURL: String { host.baseURL }

    private init(flavour: Flavour, version: String, accountIDs: Set<String>, accessToken: String) {
        self.flavour = flavour
        self.version = version
        self.accountIDs = accountIDs.union(["me"])
        self.accessToken = accessToken
    }

    public static func start(
        _ flavour: Flavour, accountIDs: Set<String>, accessToken: String, version: String = "v26.0"
    ) async throws -> MetaGraphFake {
        let fake = MetaGraphFake(flavour: flavour, version: version, accountIDs: accountIDs, accessToken: accessToken)
        try await fake.host.start(endpoint: fake.endpoint(of:)) { request, failure in
            await fake.answer(request, failure: failure)
        }
        return fake
    }

    public func stop() async { await host.stop() }

    /// Makes `GET /{post-id}?fields=is_published,promotion_status` answer for `postID`.
    public func registerPost(id: String, isPublished: Bool, promotionStatus: String) {
        posts.withLock { $0[id] = (isPublished, promotionStatus) }
    }

    /// Makes the IG mention read answer for `objectID` (a comment id, or a media id for captions).
    public func registerMention(objectID: String, text: String, username: String) {
        mentions.withLock { $0[objectID] = (text, username) }
    }

    /// Where the webhooks this fake sends go, signed with `target.secret` as Meta signs with the app
    /// secret: WhatsApp's `failed` status of `.asyncWindowFailure`, and those a test asks for with
    /// ``postStatus(_:of:errorCode:)`` (WhatsApp) and ``postEcho(of:)`` (Messenger).
    public func deliverStatusWebhooks(to target: WebhookTarget, using poster: WebhookPoster) {
        statusWebhook.withLock { $0 = (target, poster) }
    }

    private func endpoint(of request: FakeRequest) -> String? {
        let segments = request.segments
        guard segments.first == version else { return nil }
        switch (request.method, segments.count) {
        case ("POST", 3) where segments[2] == "messages" && accountIDs.contains(segments[1]):
            return Endpoint.messages.rawValue
        case ("POST", 3) where flavour == .facebook && segments[2] == "comments",
            ("POST", 3) where flavour == .instagram && segments[2] == "replies":
            return Endpoint.commentReply.rawValue
        case ("GET", 2) where flavour != .whatsApp:
            return Endpoint.objectRead.rawValue
        case ("GET", 3) where flavour != .whatsApp && segments[2] == "conversations":
            return accountIDs.contains(segments[1]) ? Endpoint.conversations.rawValue : nil
        case ("GET", 3) where flavour != .whatsApp && segments[2] == "messages":
            return Endpoint.conversationMessages.rawValue
        default:
            return nil
        }
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) async -> FakeResponse {
        guard presentedToken(request) == accessToken else {
            return MetaGraphErrors.response(code: 190, flavour: flavour)
        }
        if let failure, failure != .asyncWindowFailure {
            return MetaGraphErrors.response(for: failure, flavour: flavour)
        }
        switch Endpoint(rawValue: endpoint(of: request) ?? "") {
        case .messages:
            return flavour == .whatsApp
                ? whatsAppSend(request, failAsynchronously: failure == .asyncWindowFailure) : sendAPI(request)
        case .commentReply:
            return commentReply(request)
        case .objectRead:
            return objectRead(request)
        case .conversations:
            return conversationsPage(request)
        case .conversationMessages:
            return conversationMessagesPage(request)
        case nil:
            return .json(404, [:])
        }
    }

    private func presentedToken(_ request: FakeRequest) -> String? {
        if let authorization = request.headers["authorization"], authorization.hasPrefix("Bearer ") {
            return String(authorization.dropFirst("Bearer ".count))
        }
        return request.query["access_token"] ?? request.form.first { $0.0 == "access_token" }?.1
    }
}
