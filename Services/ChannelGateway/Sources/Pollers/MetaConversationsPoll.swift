import PlatformJSON

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The Graph API's conversations edge, for the gap reconciliation of Messenger (CHANNELS.md §1)
/// and Instagram DMs (§2): request building and answer parsing, pure.
///
/// `GET /{page-id}/conversations?platform=messenger|instagram&fields=id,updated_time,
/// messages.limit(n){id,created_time,from,to,message,attachments}` lists the conversations newest
/// first with their newest messages; `GET /{conversation-id}/messages` pages further back. Both
/// are paged with `paging.cursors.after` (built here, rather than following `paging.next`, so the
/// token never goes to a URL the answer chose). Instagram through Facebook Login reads the linked
/// Page's edge with `platform=instagram`; Instagram Login reads the account's own on
/// graph.instagram.com.
///
/// Assumptions, where CHANNELS.md says nothing: a Graph message's `id` is the webhook's
/// `message.mid` (the Send API's `message_id` is both), so a reconciled message has the webhook's
/// event id (`MetaMessaging`) and the inbound log's unique key stores it once; `created_time`
/// is ISO 8601 with whole seconds (the webhook's `timestamp` is ms: the times may differ by less
/// than a second, the ids do not); a message whose `from.id` is our account is our own (an echo,
/// `isOwn`), its thread the first other participant in `to`; the attachments are
/// `attachments.data[]` with `image_data.url`, `video_data.url` or `file_url` + `mime_type`.
enum MetaConversationsPoll {
    static let messageFields = "id,created_time,from,to,message,attachments"

    /// Where a channel's conversations are read, and with which token.
    struct Target: Sendable, Hashable {
        var endpoint: PlatformEndpoint
        var token: String
        /// The id in the path: the Page (Messenger, Instagram through Facebook Login) or the
        /// Instagram account (Instagram Login).
        var pathID: String
        /// The `platform` parameter.
        var platform: String
    }

    static func target(
        _ credentials: any ChannelCredentials, endpoints: OutboundEndpoints
    ) throws(PollFailure) -> Target {
        if let page = credentials as? FacebookCredentials {
            return Target(
                endpoint: endpoints[FacebookOutboundAdapter.api], token: page.accessToken, pathID: page.pageID,
                platform: "messenger")
        }
        switch credentials as? InstagramCredentials {
        case .facebookLogin(let pageID, let accessToken)?:
            return Target(
                endpoint: endpoints[InstagramOutboundAdapter.facebookLoginAPI], token: accessToken, pathID: pageID,
                platform: "instagram")
        case .instagramLogin(let igUserID, let accessToken)?:
            return Target(
                endpoint: endpoints[InstagramOutboundAdapter.instagramLoginAPI], token: accessToken, pathID: igUserID,
                platform: "instagram")
        case nil:
            throw PollFailure(.configuration, "the channel's credentials are not a Page's or an Instagram account's")
        }
    }

    static func conversationsRequest(
        _ target: Target, after: String?, limit: Int, messageLimit: Int
    ) -> PlatformRequest {
        var query = [
            ("platform", target.platform),
            ("fields", "id,updated_time,messages.limit(\(messageLimit)){\(Self.messageFields)}"),
            ("limit", String(limit)),
        ]
        if let after { query.append(("after", after)) }
        return Self.get(target, path: "\(PercentEncoding.component(target.pathID))/conversations", query: query)
    }

    static func messagesRequest(
        _ target: Target, conversationID: String, after: String, limit: Int
    ) -> PlatformRequest {
        Self.get(
            target, path: "\(PercentEncoding.component(conversationID))/messages",
            query: [("fields", Self.messageFields), ("limit", String(limit)), ("after", after)])
    }

    private static func get(_ target: Target, path: String, query: [(String, String)]) -> PlatformRequest {
        PlatformRequest(
            method: "GET",
            url: "\(target.endpoint.baseURL)/\(target.endpoint.version)/\(path)?\(PercentEncoding.form(query))",
            headers: ["authorization": "Bearer \(target.token)"])
    }

    /// Why a Graph answer is not a page: nil for a 2xx answer without a Graph error.
    static func failure(_ response: PlatformResponse, what: String) -> PollFailure? {
        let json = WireJSON.parse(response.body)
        if let error = MetaGraphError(json: json) {
            return PollFailure.http(response, outcome: error.outcome(status: response.status), what: what)
        }
        guard (200..<300).contains(response.status) else {
            return PollFailure.http(
                response, outcome: HTTPStatusOutcome.classify(response, platform: "Graph API"), what: what)
        }
        return nil
    }

    /// One conversations page, normalised: the messages no older than `since`.
    struct ConversationsPage: Sendable {
        var events: [InboundEvent] = []
        var unparsed: [UnparsedEntry] = []
        /// Conversations whose embedded messages were all in the window and that have more: where
        /// their next messages page starts.
        var moreMessages: [(conversationID: String, after: String)] = []
        /// The next conversations page; nil on the last one, or once a conversation last updated
        /// before `since` was seen (the list is newest first: the rest are older still).
        var nextCursor: String?
    }

    /// One messages page of a conversation: the messages no older than `since`.
    struct MessagesPage: Sendable {
        var events: [InboundEvent] = []
        var unparsed: [UnparsedEntry] = []
        /// The next page; nil on the last one, or once a message older than `since` was seen.
        var nextCursor: String?
    }

    /// Reads an answer to ``conversationsRequest(_:after:limit:messageLimit:)``. `accountID` is
    /// the channel's external account id (the webhook's `entry.id`). Throws only when the answer as
    /// a whole is not a Graph list; a conversation or message that does not parse is kept UNPARSED
    /// (at a path without its position, so the next, overlapping, poll stores it once).
    static func conversationsPage(
        _ body: [UInt8], platform: Platform, accountID: String, since: Date, receivedAt: Date
    ) throws(WebhookError) -> ConversationsPage {
        let root = try JSONNode.parse(body)
        var page = ConversationsPage()
        var reachedOlder = false
        for conversation in try root.array("data") {
            do {
                let conversationID = try conversation.id("id")
                if let updated = try conversation.optionalString("updated_time").flatMap(GraphTime.parse),
                    updated < since
                {
                    reachedOlder = true
                    continue
                }
                let messages = try conversation.optional("messages")
                let items = (try messages?.optionalArray("data")) ?? []
                let read = Self.messages(
                    items, platform: platform, accountID: accountID, since: since, receivedAt: receivedAt,
                    path: "data[].messages.data[]")
                page.events += read.events
                page.unparsed += read.unparsed
                if !items.isEmpty, !read.reachedOlder, let after = try Self.nextCursor(messages) {
                    page.moreMessages.append((conversationID, after))
                }
            } catch {
                page.unparsed.append(
                    UnparsedEntry(
                        platform: platform, accountID: accountID, path: "data[]", rawText: conversation.value.jsonText,
                        error: error, receivedAt: receivedAt))
            }
        }
        if !reachedOlder { page.nextCursor = try Self.nextCursor(root) }
        return page
    }

    /// Reads an answer to ``messagesRequest(_:conversationID:after:limit:)``.
    static func messagesPage(
        _ body: [UInt8], platform: Platform, accountID: String, since: Date, receivedAt: Date
    ) throws(WebhookError) -> MessagesPage {
        let root = try JSONNode.parse(body)
        let read = Self.messages(
            try root.array("data"), platform: platform, accountID: accountID, since: since, receivedAt: receivedAt,
            path: "data[]")
        var page = MessagesPage(events: read.events, unparsed: read.unparsed)
        if !read.reachedOlder { page.nextCursor = try Self.nextCursor(root) }
        return page
    }

    /// The events of a stored answer of either kind (a reparse after a parser fix: no window).
    static func events(
        inAnswer body: [UInt8], platform: Platform, accountID: String, receivedAt: Date
    ) throws(WebhookError) -> (events: [InboundEvent], unparsed: [UnparsedEntry]) {
        let root = try JSONNode.parse(body)
        let isConversations = try root.array("data").contains { $0.has("messages") || $0.has("updated_time") }
        if isConversations {
            let page = try Self.conversationsPage(
                body, platform: platform, accountID: accountID, since: .distantPast, receivedAt: receivedAt)
            return (page.events, page.unparsed)
        }
        let page = try Self.messagesPage(
            body, platform: platform, accountID: accountID, since: .distantPast, receivedAt: receivedAt)
        return (page.events, page.unparsed)
    }

    /// `paging.cursors.after` when `paging.next` says there is a next page.
    private static func nextCursor(_ list: JSONNode?) throws(WebhookError) -> String? {
        guard let paging = try list?.optional("paging"), try paging.optionalString("next") != nil else { return nil }
        return try paging.optional("cursors")?.optionalString("after")
    }

    private static func messages(
        _ items: [JSONNode], platform: Platform, accountID: String, since: Date, receivedAt: Date, path: String
    ) -> (events: [InboundEvent], unparsed: [UnparsedEntry], reachedOlder: Bool) {
        var events: [InboundEvent] = []
        var unparsed: [UnparsedEntry] = []
        var reachedOlder = false
        for item in items {
            do {
                let event = try Self.message(item, platform: platform, accountID: accountID)
                if event.occurredAt < since {
                    reachedOlder = true
                } else {
                    events.append(event)
                }
            } catch {
                unparsed.append(
                    UnparsedEntry(
                        platform: platform, accountID: accountID, path: path, rawText: item.value.jsonText,
                        error: error, receivedAt: receivedAt))
            }
        }
        return (events, unparsed, reachedOlder)
    }

    /// One Graph message as the webhook would have given it (`MetaMessaging`): event and message
    /// id the `mid`, the thread the customer's id.
    static func message(_ node: JSONNode, platform: Platform, accountID: String) throws(WebhookError) -> InboundEvent {
        let mid = try node.id("id")
        let created = try node.string("created_time")
        guard let occurredAt = GraphTime.parse(created) else {
            throw .invalidValue(node.path + ".created_time", reason: "\(created.prefix(40)) is not an ISO 8601 time")
        }
        let from = try node.field("from")
        let senderID = try from.id("id")
        let isOwn = senderID == accountID
        var customerID = senderID
        if isOwn {
            for recipient in (try node.optional("to")?.optionalArray("data")) ?? [] {
                if let id = try recipient.optionalID("id"), id != accountID {
                    customerID = id
                    break
                }
            }
        }
        var attachments: [InboundAttachment] = []
        var isUnsupported = false
        for item in (try node.optional("attachments")?.optionalArray("data")) ?? [] {
            let attachment = try Self.attachment(item)
            if attachment.kind == .other { isUnsupported = true }
            attachments.append(attachment)
        }
        let text = try node.optionalString("message").flatMap { $0.isEmpty ? nil : $0 }
        if text == nil, attachments.isEmpty { isUnsupported = true }
        return InboundEvent(
            platform: platform, accountID: accountID, kind: .directMessage, eventID: mid, messageID: mid,
            threadKey: customerID,
            author: InboundAuthor(
                platformID: senderID, handle: try from.optionalString("username"),
                displayName: try from.optionalString("name")),
            text: text, attachments: attachments, occurredAt: occurredAt, isOwn: isOwn, isUnsupported: isUnsupported)
    }

    private static func attachment(_ item: JSONNode) throws(WebhookError) -> InboundAttachment {
        let mimeType = try item.optionalString("mime_type")
        let title = try item.optionalString("name")
        if let image = try item.optional("image_data") {
            let url = try image.optionalString("url")
            return InboundAttachment(kind: .image, url: url, mimeType: mimeType, title: title)
        }
        if let video = try item.optional("video_data") {
            let url = try video.optionalString("url")
            return InboundAttachment(kind: .video, url: url, mimeType: mimeType, title: title)
        }
        if let url = try item.optionalString("file_url") {
            let kind: InboundAttachment.Kind
            switch mimeType?.split(separator: "/").first.map(String.init) {
            case "audio"?: kind = .audio
            case "video"?: kind = .video
            case "image"?: kind = .image
            default: kind = .file
            }
            return InboundAttachment(kind: kind, url: url, mimeType: mimeType, title: title)
        }
        return InboundAttachment(kind: .other, mimeType: mimeType, title: title)
    }
}
