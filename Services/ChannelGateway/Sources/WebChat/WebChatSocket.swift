import HTTPTypes
import HummingbirdWebSocket
import InboxKit
import Logging
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A visitor's live stream: `GET /chat/v1/<channel-id>/stream?token=...&after=<version>` upgraded
/// to a WebSocket (README "Web chat").
///
/// Every request on that path is upgraded, and the checks (address rate limit, channel, `Origin`,
/// token) run right after: a browser shows a script no status of a refused handshake, only the
/// close, so a refusal is an `error` frame (`code`, `reason`) and a close with code 4400 + the
/// HTTP status it stands for (4401 bad token, 4403 origin not allowed, 4404 unknown chat, 4429
/// rate limited). No transcript data is sent before the checks pass.
///
/// Then: the changes after `after` (the backlog), `ready` with the version reached, and each
/// change as it commits — the stream wakes on ``WebChatHub`` and reads its changes after its own
/// cursor, so a burst is sent once, in version order, and a missed wake costs at most
/// ``WebChatHub/idleRecheck``. An agent typing is a `typing` frame (`typing`, `author`), after
/// the changes of the same wake-up (not on the long-poll). The visitor's `ping` gets `pong`, `receipt` frames act as
/// `POST /receipts`. The server pings every 30 s (the library's auto-ping) so a dead peer closes.
struct WebChatSocket: Sendable {
    let api: WebChatAPI

    /// The path's channel id when `path` is a stream path.
    static func channel(ofStreamPath path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 4, parts[0] == "chat", parts[1] == "v1", parts[3] == "stream" else { return nil }
        return String(parts[2])
    }

    /// Decides whether a request upgrades, and with what handler.
    func shouldUpgrade(_ request: HTTPRequest, channel: any Channel, logger: Logger) -> ShouldUpgradeResult<
        WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
    > {
        let path = request.path ?? ""
        let pathOnly = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard let channelText = Self.channel(ofStreamPath: pathOnly) else { return .dontUpgrade }
        var items: [String: String] = [:]
        if let mark = path.firstIndex(of: "?") {
            let decoded = (try? FormDecoding.decode(Array(path[path.index(after: mark)...].utf8))) ?? []
            for item in decoded { items[item.name] = item.value }
        }
        let query = items
        let origin = request.headerFields[.origin]
        let forwarded = request.headerFields[HTTPField.Name("X-Forwarded-For")!]
        let address = WebChatHTTP.clientAddress(
            peer: channel.remoteAddress, forwardedFor: forwarded, trust: self.api.limits.trustForwardedFor)
        return .upgrade([:]) { inbound, outbound, _ in
            await self.serve(
                channelText: channelText, query: query, origin: origin, address: address, inbound: inbound,
                outbound: outbound)
        }
    }

    private func serve(
        channelText: String, query: [String: String], origin: String?, address: String,
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async {
        let api = self.api
        if let wait = api.ipLimiter.take(address) {
            await Self.refuse(outbound, 429, "rate_limited", "too many requests from this address (\(wait))")
            return
        }
        let channel: WebChatAPI.Channel
        switch await api.channel(channelText) {
        case .success(let found): channel = found
        case .failure: return await Self.refuse(outbound, 404, "not_found", "no such chat")
        }
        if let origin, !channel.settings.allows(origin: origin, own: api.ownOrigin) {
            return await Self.refuse(outbound, 403, "origin_not_allowed", "this website may not use this chat")
        }
        let visitor: VisitorToken
        switch api.visitor(token: query["token"], channel: channel) {
        case .success(let found): visitor = found
        case .failure:
            return await Self.refuse(outbound, 401, "unauthorized", "the visitor token is missing, invalid or expired")
        }
        var cursor: Int64 = 0
        if let text = query["after"] {
            guard let value = Int64(text), value >= 0 else {
                return await Self.refuse(outbound, 400, "bad_request", "after must be a version (0 or more)")
            }
            cursor = value
        }
        let start = cursor
        let subscription = api.hub.subscribe(channelID: channel.account.id, visitorID: visitor.visitorID)
        defer { api.hub.unsubscribe(subscription) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.push(from: start, channel: channel, visitor: visitor, subscription: subscription, outbound)
            }
            // The visitor's frames are read here (the inbound stream stays in this task); their
            // end (the peer closed, or the connection died, which a failed write also means) ends
            // the pushing too.
            await self.read(inbound, channel: channel, visitor: visitor, outbound)
            group.cancelAll()
        }
    }

    /// Sends the backlog, `ready`, then every change as it commits, until cancelled or a write fails.
    private func push(
        from start: Int64, channel: WebChatAPI.Channel, visitor: VisitorToken, subscription: WebChatHub.Subscription,
        _ outbound: WebSocketOutboundWriter
    ) async {
        var cursor = start
        var ready = false
        do {
            while !Task.isCancelled {
                let changes = try await self.api.transcript.changes(
                    channelID: channel.account.id, visitorID: visitor.visitorID, after: cursor)
                for message in changes {
                    try await Self.send(outbound, WebChatJSON.Frame(type: "message", message: .init(message)))
                    cursor = max(cursor, message.version)
                }
                // A full page: more is waiting, read on before sleeping.
                if changes.count >= 500 { continue }
                if !ready {
                    try await Self.send(outbound, WebChatJSON.Frame(type: "ready", version: cursor))
                    ready = true
                }
                if let typing = subscription.takeTyping() {
                    try await Self.send(
                        outbound,
                        WebChatJSON.Frame(
                            type: "typing", typing: typing.typing,
                            author: typing.author.isEmpty ? channel.account.displayName : typing.author))
                }
                await subscription.signal.wait(timeout: WebChatHub.idleRecheck)
            }
        } catch {
            if !Task.isCancelled {
                self.api.logger.debug("a web-chat stream ended", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Answers the visitor's frames until they close.
    private func read(
        _ inbound: WebSocketInboundStream, channel: WebChatAPI.Channel, visitor: VisitorToken,
        _ outbound: WebSocketOutboundWriter
    ) async {
        do {
            for try await message in inbound.messages(maxSize: self.api.limits.maxBodyBytes) {
                guard case .text(let text) = message,
                    let frame = WebChatJSON.decode(WebChatJSON.ReceiptRequest.self, from: Array(text.utf8))
                else {
                    try await Self.send(
                        outbound,
                        WebChatJSON.Frame(
                            type: "error", code: "bad_request", text: "frames are JSON objects with a type"))
                    continue
                }
                switch frame.type {
                case "ping":
                    try await Self.send(outbound, WebChatJSON.Frame(type: "pong"))
                case "receipt":
                    let reply = await self.api.acknowledge(frame, channel, visitor)
                    if reply.status != 200 {
                        try await Self.send(
                            outbound,
                            WebChatJSON.Frame(
                                type: "error", code: "bad_request", text: String(decoding: reply.body, as: UTF8.self)))
                    }
                default:
                    try await Self.send(
                        outbound, WebChatJSON.Frame(type: "error", code: "bad_request", text: "unknown frame type"))
                }
            }
        } catch {
            // The peer went away or sent an oversized frame: the stream ends.
        }
    }

    private static func send(_ outbound: WebSocketOutboundWriter, _ frame: WebChatJSON.Frame) async throws {
        try await outbound.write(.text(String(decoding: WebChatJSON.encode(frame), as: UTF8.self)))
    }

    private static func refuse(_ outbound: WebSocketOutboundWriter, _ status: Int, _ code: String, _ reason: String)
        async
    {
        // A refusal is decided without a database round trip, so its frames would leave in the same
        // TCP segment as the 101 response; HummingbirdWSClient (the tests' and the bench's client)
        // then loses them and waits for the close timeout. A browser reads them either way; the
        // pause costs a refused client 50 ms.
        try? await Task.sleep(for: .milliseconds(50))
        try? await Self.send(outbound, WebChatJSON.Frame(type: "error", code: code, text: reason))
        try? await outbound.close(.unknown(UInt16(4000 + status)), reason: code)
    }
}
