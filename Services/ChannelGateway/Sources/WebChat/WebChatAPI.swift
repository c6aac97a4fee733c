import InboxKit
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One visitor-API request, as the HTTP layer read it.
struct WebChatCall: Sendable {
    var method: String
    /// The channel id as in the path.
    var channel: String
    /// `sessions`, `messages`, `receipts`, `events` or `stream`.
    var action: String
    var query: [String: String]
    /// Header names in lower case.
    var headers: [String: String]
    var body: [UInt8]
    /// The client's address (the connection's peer, or `X-Forwarded-For` when trusted).
    var clientAddress: String
}

/// What the HTTP layer answers.
struct WebChatReply: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: [UInt8]

    static func json(_ status: Int, _ value: some Encodable) -> WebChatReply {
        WebChatReply(
            status: status, headers: [("Content-Type", "application/json; charset=utf-8")],
            body: WebChatJSON.encode(value))
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> WebChatReply {
        .json(status, WebChatJSON.ErrorBody(error: .init(code: code, message: message)))
    }

    static func rateLimited(_ wait: Duration, _ message: String) -> WebChatReply {
        let seconds = max(1, Int(wait.timeInterval.rounded(.up)))
        var reply = WebChatReply.error(429, "rate_limited", message + "; try again in \(seconds) s")
        reply.headers.append(("Retry-After", "\(seconds)"))
        return reply
    }
}

/// The web-chat visitor API (README "Web chat"): sessions, sends, history, receipts and the
/// long-poll, for the HTTP layer (``WebChatHTTP``) and the WebSocket (``WebChatSocket``).
///
/// A visitor's message enters the inbox exactly as a platform's webhook does: an ``InboundEvent``
/// (a direct message, thread key = the visitor id) committed to the inbound log through the same
/// ``InboundCommitter`` before the widget is answered, then relayed to conversation-service with
/// every guarantee of the other platforms (retries, dead letters, held while the inbox is
/// deactivated). Its event id is the visitor and the widget's `client_id`, so a resend is a
/// duplicate there, and its transcript id is derived from the same pair, so the transcript keeps it
/// once too. The transcript row is written after the commit: should the gateway stop in between,
/// the inbox has the message and the widget, which got no answer, sends it again — the resend
/// writes the transcript row and is a duplicate in the inbox.
struct WebChatAPI: Sendable {
    let directory: ChannelDirectory
    let transcript: WebChatTranscript
    let hub: WebChatHub
    let committer: InboundCommitter
    let limits: WebChatLimits
    let publicBaseURL: String
    let visitorLimiter: RateLimiter
    let ipLimiter: RateLimiter
    let logger: Logger
    let now: @Sendable () -> Date

    init(
        directory: ChannelDirectory, transcript: WebChatTranscript, hub: WebChatHub, committer: InboundCommitter,
        limits: WebChatLimits, publicBaseURL: String, logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        self.directory = directory
        self.transcript = transcript
        self.hub = hub
        self.committer = committer
        self.limits = limits
        self.publicBaseURL = publicBaseURL
        self.visitorLimiter = RateLimiter(burst: limits.visitorBurst, perMinute: limits.visitorPerMinute)
        self.ipLimiter = RateLimiter(burst: limits.ipBurst, perMinute: limits.ipPerMinute)
        self.logger = logger
        self.now = now
    }

    /// A web-chat channel as the API uses it.
    struct Channel: Sendable {
        let account: ChannelAccount
        let settings: WebChatSettings
        let tokenKey: String
    }

    /// The gateway's own origin (its demo page may always call the API).
    var ownOrigin: String { WebChatSettings.origin(ofBaseURL: self.publicBaseURL) }

    // MARK: Entry

    func handle(_ call: WebChatCall) async -> WebChatReply {
        if let wait = self.ipLimiter.take(call.clientAddress) {
            return .rateLimited(wait, "too many requests from this address")
        }
        let channel: Channel
        switch await self.channel(call.channel) {
        case .success(let found): channel = found
        case .failure(let refusal): return refusal.reply
        }
        let origin = call.headers["origin"]
        if let origin, !channel.settings.allows(origin: origin, own: self.ownOrigin) {
            return .error(403, "origin_not_allowed", "this website (\(origin.prefix(200))) may not use this chat")
        }
        var reply = await self.route(call, channel: channel)
        if let origin {
            // The widget reads Retry-After of a 429, which a cross-origin page sees only when exposed.
            reply.headers += [
                ("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", "Retry-After"),
                ("Vary", "Origin"),
            ]
        }
        return reply
    }

    private func route(_ call: WebChatCall, channel: Channel) async -> WebChatReply {
        if call.method == "OPTIONS" {
            return WebChatReply(
                status: 204,
                headers: [
                    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                    ("Access-Control-Allow-Headers", "Authorization, Content-Type"),
                    ("Access-Control-Max-Age", "600"),
                ], body: [])
        }
        switch (call.action, call.method) {
        case ("sessions", "POST"): return self.startSession(call, channel: channel)
        case ("messages", "POST"): return await self.authorized(call, channel) { await self.send(call, channel, $0) }
        case ("messages", "GET"): return await self.authorized(call, channel) { await self.history(call, channel, $0) }
        case ("receipts", "POST"):
            return await self.authorized(call, channel) { visitor in
                guard let request = WebChatJSON.decode(WebChatJSON.ReceiptRequest.self, from: call.body) else {
                    return .error(400, "bad_request", "the body must be JSON: {\"ids\": [...], \"state\": \"read\"}")
                }
                return await self.acknowledge(request, channel, visitor)
            }
        case ("events", "GET"): return await self.authorized(call, channel) { await self.events(call, channel, $0) }
        case ("stream", "GET"):
            return .error(400, "bad_request", "the stream is a WebSocket: connect with an Upgrade: websocket request")
        case ("sessions", _), ("messages", _), ("receipts", _), ("events", _), ("stream", _):
            return .error(405, "method_not_allowed", "\(call.method) is not accepted on \(call.action)")
        default:
            return .error(404, "not_found", "no such endpoint: see README \"Web chat\"")
        }
    }

    struct Refusal: Error {
        let reply: WebChatReply
    }

    /// The web-chat channel a path names: 404 for an unknown or disconnected one, or one of
    /// another platform.
    func channel(_ text: String) async -> Result<Channel, Refusal> {
        guard let id = UUID(uuidString: text) else {
            return .failure(Refusal(reply: .error(404, "not_found", "no such chat")))
        }
        do {
            guard let found = try await self.directory.channel(id: id), found.account.platform == .webChat,
                found.account.status == .active
            else {
                return .failure(Refusal(reply: .error(404, "not_found", "no such chat")))
            }
            guard let key = (found.secrets as? WebChatSecrets)?.tokenKey else {
                self.logger.error("a web-chat channel has no token key", metadata: ["channel": "\(id.text)"])
                return .failure(Refusal(reply: .error(503, "unavailable", "the chat is misconfigured")))
            }
            return .success(
                Channel(
                    account: found.account, settings: WebChatSettings(settings: found.account.settings), tokenKey: key))
        } catch {
            self.logger.error("could not read a web-chat channel", metadata: ["error": "\(String(reflecting: error))"])
            return .failure(Refusal(reply: .error(503, "unavailable", "the chat could not be read; try again")))
        }
    }

    /// The visitor a token names, checked for `channel`.
    func visitor(token: String?, channel: Channel) -> Result<VisitorToken, Refusal> {
        guard let token, !token.isEmpty else {
            return .failure(Refusal(reply: .error(401, "unauthorized", "a visitor token is required; start a session")))
        }
        switch VisitorToken.verify(token, key: channel.tokenKey, channelID: channel.account.id, now: self.now()) {
        case .success(let visitor): return .success(visitor)
        case .failure(let refusal): return .failure(Refusal(reply: .error(401, "unauthorized", refusal.message)))
        }
    }

    private func authorized(
        _ call: WebChatCall, _ channel: Channel, _ body: (VisitorToken) async -> WebChatReply
    ) async -> WebChatReply {
        var token: String?
        if let header = call.headers["authorization"], header.lowercased().hasPrefix("bearer ") {
            token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        switch self.visitor(token: token, channel: channel) {
        case .success(let visitor): return await body(visitor)
        case .failure(let refusal): return refusal.reply
        }
    }

    // MARK: Sessions

    func startSession(_ call: WebChatCall, channel: Channel) -> WebChatReply {
        var request = WebChatJSON.SessionRequest()
        if !call.body.isEmpty {
            guard let decoded = WebChatJSON.decode(WebChatJSON.SessionRequest.self, from: call.body) else {
                return .error(
                    400, "bad_request", "the body must be JSON: {\"token\": ..., \"name\": ...} (both optional)")
            }
            request = decoded
        }
        let name = request.name?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let name, name.count > 100 {
            return .error(400, "bad_request", "name must be at most 100 characters")
        }
        let now = self.now()
        var visitor = VisitorToken(
            channelID: channel.account.id, visitorID: VisitorToken.newVisitorID(), name: nil,
            expiresAt: now.addingTimeInterval(self.limits.tokenTTL.timeInterval))
        var resumed = false
        if let previous = request.token,
            case .success(let known) = VisitorToken.verify(
                previous, key: channel.tokenKey, channelID: channel.account.id, now: now)
        {
            visitor.visitorID = known.visitorID
            visitor.name = known.name
            resumed = true
        }
        if let name, !name.isEmpty { visitor.name = name }
        let settings = channel.settings
        return .json(
            200,
            WebChatJSON.Session(
                token: visitor.signed(key: channel.tokenKey), visitorId: visitor.visitorID,
                expiresAt: WebChatJSON.timestamp(visitor.expiresAt), resumed: resumed,
                config: WebChatJSON.Config(
                    displayName: channel.account.displayName, greeting: settings.greeting,
                    offlineMessage: settings.offlineMessage, online: settings.isOpen(at: now),
                    outsideHours: settings.outsideHours.rawValue, maxMessageChars: self.limits.maxMessageCharacters)))
    }

    // MARK: Messages

    func send(_ call: WebChatCall, _ channel: Channel, _ visitor: VisitorToken) async -> WebChatReply {
        if let wait = self.visitorLimiter.take(channel.account.id.text + " " + visitor.visitorID) {
            return .rateLimited(wait, "too many messages")
        }
        guard let request = WebChatJSON.decode(WebChatJSON.SendRequest.self, from: call.body) else {
            return .error(400, "bad_request", "the body must be JSON: {\"client_id\": \"...\", \"text\": \"...\"}")
        }
        guard let clientID = request.clientId, Self.isValidClientID(clientID) else {
            return .error(400, "bad_request", "client_id must be 1 to 100 characters of A-Z a-z 0-9 . _ : -")
        }
        guard let text = request.text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .error(400, "bad_request", "text must not be empty")
        }
        guard text.count <= self.limits.maxMessageCharacters else {
            return .error(400, "bad_request", "text must be at most \(self.limits.maxMessageCharacters) characters")
        }
        let receivedAt = self.now()
        let messageID = WebChatMessage.visitorMessageID(visitorID: visitor.visitorID, clientID: clientID)
        let account = channel.account
        let event = InboundEvent(
            platform: .webChat, accountID: account.externalAccountID, kind: .directMessage,
            eventID: "message:\(visitor.visitorID):\(clientID)", messageID: messageID, threadKey: visitor.visitorID,
            author: InboundAuthor(platformID: visitor.visitorID, displayName: visitor.name), text: text,
            occurredAt: receivedAt)
        let row = WebhookEndpoint.row(event, channel: account, receivedAt: receivedAt)
        do {
            let new = try await self.committer.commit(
                InboundWrite(delivery: self.storedDelivery(call, channel: account, at: receivedAt), rows: [row]))
            InboundMetrics.webhook(.webChat, new.isEmpty ? "duplicate" : "accepted")
        } catch {
            InboundMetrics.webhook(.webChat, "unavailable")
            return .error(503, "unavailable", "the message could not be stored; send it again")
        }
        do {
            let (message, created) = try await self.transcript.append(
                channelID: account.id, visitorID: visitor.visitorID,
                NewWebChatMessage(
                    id: messageID, direction: .visitor, clientID: clientID, text: text, author: visitor.name,
                    createdAt: receivedAt))
            if created { self.hub.wake(channelID: account.id, visitorID: visitor.visitorID) }
            return .json(200, WebChatJSON.Sent(message: .init(message), duplicate: !created))
        } catch {
            self.logger.error(
                "a web-chat message is in the inbox but not yet in the visitor's transcript",
                metadata: ["channel": "\(account.id.text)", "error": "\(String(reflecting: error))"])
            return .error(503, "unavailable", "the message could not be stored; send it again")
        }
    }

    /// What the inbound log keeps as the "delivery" of a visitor's request: the body and the
    /// headers that say where it came from, never the visitor's token.
    private func storedDelivery(_ call: WebChatCall, channel: ChannelAccount, at receivedAt: Date) -> StoredDelivery {
        let path = "/chat/v1/\(channel.id.text)/\(call.action)"
        let kept = ["content-type", "origin", "user-agent"].compactMap { name in
            call.headers[name].map { WebhookRequest.Header(name: name, value: String($0.prefix(500))) }
        }
        return StoredDelivery(
            id: UUID.timeOrdered(at: receivedAt), platform: .webChat, channelID: channel.id, path: path, query: "",
            publicURL: self.publicBaseURL + path, headers: kept, body: call.body, receivedAt: receivedAt)
    }

    func history(_ call: WebChatCall, _ channel: Channel, _ visitor: VisitorToken) async -> WebChatReply {
        var before: Int64?
        if let text = call.query["before"] {
            guard let value = Int64(text), value > 0 else {
                return .error(400, "bad_request", "before must be a message's seq (a positive number)")
            }
            before = value
        }
        var limit = 50
        if let text = call.query["limit"] {
            guard let value = Int(text), (1...100).contains(value) else {
                return .error(400, "bad_request", "limit must be 1 to 100")
            }
            limit = value
        }
        do {
            let (messages, hasMore) = try await self.transcript.history(
                channelID: channel.account.id, visitorID: visitor.visitorID, before: before, limit: limit)
            return .json(200, WebChatJSON.History(messages: messages.map(WebChatJSON.Message.init), hasMore: hasMore))
        } catch {
            return self.unavailable(error)
        }
    }

    // MARK: Receipts

    /// Moves the team's messages the widget received (`delivered`) or showed (`read`) forward.
    ///
    /// The receipts enter the inbound log first, as delivery-status events of those messages
    /// (their platform ids), which the relay applies to the deliveries as any platform's status
    /// webhook, so the agent sees DELIVERED and READ; then the transcript moves, and the widget's
    /// other tabs see the ticks. A repeated receipt is a duplicate there and moves nothing here.
    func acknowledge(_ request: WebChatJSON.ReceiptRequest, _ channel: Channel, _ visitor: VisitorToken) async
        -> WebChatReply
    {
        guard let ids = request.ids, (1...100).contains(ids.count), ids.allSatisfy({ (1...100).contains($0.count) })
        else {
            return .error(400, "bad_request", "ids must hold 1 to 100 message ids")
        }
        guard let word = request.state, let state = WebChatMessage.State(rawValue: word), state != .sent else {
            return .error(400, "bad_request", "state must be delivered or read")
        }
        let account = channel.account
        let receivedAt = self.now()
        do {
            // Only this visitor's team messages that move: another visitor's ids are ignored.
            let moving = try await self.transcript.agentMessages(
                channelID: account.id, visitorID: visitor.visitorID, ids: ids
            ).filter { $0.state < state }
            if !moving.isEmpty {
                let rows = moving.map { message in
                    WebhookEndpoint.row(
                        InboundEvent(
                            platform: .webChat, accountID: account.externalAccountID, kind: .deliveryStatus,
                            eventID: "receipt:\(message.id):\(state.rawValue)", messageID: message.id,
                            threadKey: visitor.visitorID, occurredAt: receivedAt,
                            deliveryStatus: DeliveryStatusUpdate(
                                messageID: message.id, state: state == .read ? .read : .delivered,
                                platformStatus: state.rawValue)),
                        channel: account, receivedAt: receivedAt)
                }
                let call = WebChatCall(
                    method: "POST", channel: account.id.text, action: "receipts", query: [:], headers: [:],
                    body: WebChatJSON.encode(["ids": moving.map(\.id), "state": [state.rawValue]]), clientAddress: "")
                _ = try await self.committer.commit(
                    InboundWrite(delivery: self.storedDelivery(call, channel: account, at: receivedAt), rows: rows))
            }
            let moved = try await self.transcript.acknowledge(
                channelID: account.id, visitorID: visitor.visitorID, ids: ids, state: state)
            if !moved.isEmpty { self.hub.wake(channelID: account.id, visitorID: visitor.visitorID) }
            return .json(200, WebChatJSON.Updated(updated: moved.count))
        } catch {
            return self.unavailable(error)
        }
    }

    // MARK: Long-poll

    func events(_ call: WebChatCall, _ channel: Channel, _ visitor: VisitorToken) async -> WebChatReply {
        var after: Int64 = 0
        if let text = call.query["after"] {
            guard let value = Int64(text), value >= 0 else {
                return .error(400, "bad_request", "after must be a version (0 or more)")
            }
            after = value
        }
        var wait = self.limits.maxLongPoll
        if let text = call.query["wait"] {
            guard let value = Int(text), value >= 0, Duration.seconds(value) <= self.limits.maxLongPoll else {
                return .error(
                    400, "bad_request", "wait must be 0 to \(self.limits.maxLongPoll.components.seconds) seconds")
            }
            wait = .seconds(value)
        }
        let subscription = self.hub.subscribe(channelID: channel.account.id, visitorID: visitor.visitorID)
        defer { self.hub.unsubscribe(subscription) }
        let deadline = ContinuousClock.now + wait
        do {
            while true {
                let changes = try await self.transcript.changes(
                    channelID: channel.account.id, visitorID: visitor.visitorID, after: after)
                let now = ContinuousClock.now
                if !changes.isEmpty || now >= deadline || Task.isCancelled {
                    return .json(
                        200,
                        WebChatJSON.Events(
                            events: changes.map { WebChatJSON.Frame(type: "message", message: .init($0)) },
                            version: changes.last?.version ?? after))
                }
                await subscription.signal.wait(timeout: deadline - now)
            }
        } catch {
            return self.unavailable(error)
        }
    }

    // MARK: Helpers

    func unavailable(_ error: any Error) -> WebChatReply {
        self.logger.error("a web-chat request failed", metadata: ["error": "\(String(reflecting: error))"])
        return .error(503, "unavailable", "the chat could not be read; try again")
    }

    static func isValidClientID(_ text: String) -> Bool {
        (1...100).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
            }
    }
}
