import InboxAPI
import InboxKit
import InboxRules

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// From `DeliverMessage`'s request to the platform operation it asks for, following the comment
/// above `DeliverMessageRequest` in channel_gateway.proto (which fields each platform's send
/// reads), so the gateway never parses a thread key.
///
/// Pure. DeliverMessage maps a request before it queues it, so a combination the platform cannot
/// send is INVALID_ARGUMENT naming the field, at once; the worker maps the stored request again when
/// it sends, with the channel as it is then (a Twilio channel's `messaging_service_sid` may have
/// changed).
extension Inbox_V1_DeliverMessageRequest {
    /// The longest text accepted here; each platform's own limit is conversation-service's check
    /// (ReplyLimits) and the platform's.
    static let maxTextLength = 10_000
    /// Twilio takes at most 10 `MediaUrl`s per message.
    static let maxAttachments = 10

    /// The message to send on `channel`. `publicBaseURL` is where the platforms call the gateway
    /// (Twilio's status callback goes to it).
    func outboundMessage(on channel: ChannelAccount, publicBaseURL: String) throws(DomainError) -> OutboundMessage {
        let kind = try self.outboundKind(on: channel, publicBaseURL: publicBaseURL)
        try self.checkTag(kind, platform: channel.platform)
        try self.checkText(kind)
        return OutboundMessage(
            kind: kind, text: self.text, idempotencyKey: self.idempotencyKey,
            quotedMessageID: Self.quotedMessageID(self.replyToPlatformID, kind: kind),
            businessConnectionID: try self.businessConnection(kind, platform: channel.platform))
    }

    /// The operation and its addressing, per platform and send kind.
    func outboundKind(on channel: ChannelAccount, publicBaseURL: String) throws(DomainError) -> OutboundKind {
        let platform = channel.platform
        if !self.attachments.isEmpty, platform != .twilio {
            throw .invalidArgument(
                "attachments: sending attachments to \(platform.rawValue) is not supported yet", field: "attachments")
        }
        switch (platform, self.sendKind) {
        case (_, .unspecified):
            throw .invalidArgument("send_kind is required", field: "send_kind")

        // Facebook and Instagram: Send API DMs (RESPONSE, or MESSAGE_TAG + HUMAN_AGENT), private
        // replies to a comment (or a Facebook visitor post), public replies.
        case (.facebook, .directMessage), (.instagram, .directMessage):
            let recipient = try Self.required(self.recipientID, field: "recipient_id", platform: platform)
            return self.tag == .humanAgent
                ? .humanAgentMessage(recipientID: recipient) : .directMessage(recipientID: recipient)
        case (.facebook, .privateReply):
            // A visitor post is answered through `recipient.post_id`: conversation-service names the
            // post as the conversation's top-level message (parent_comment_id) or as its post.
            if self.conversationKind == .wallPost {
                guard let post = Self.first(self.parentPostID, self.parentCommentID) else {
                    throw .invalidArgument(
                        "parent_post_id is required for a private reply to a visitor post", field: "parent_post_id")
                }
                return .privateReply(.visitorPost(id: post))
            }
            if let comment = Self.first(self.parentCommentID) { return .privateReply(.comment(id: comment)) }
            if let post = Self.first(self.parentPostID) { return .privateReply(.visitorPost(id: post)) }
            throw .invalidArgument(
                "parent_comment_id (or parent_post_id for a visitor post) is required for a private reply",
                field: "parent_comment_id")
        case (.instagram, .privateReply):
            let comment = try Self.required(self.parentCommentID, field: "parent_comment_id", platform: platform)
            return .privateReply(.comment(id: comment))
        case (.facebook, .publicReply):
            // `POST /{id}/comments` answers a comment, or a post (a visitor post, a mention).
            guard let target = Self.first(self.parentCommentID, self.parentPostID) else {
                throw .invalidArgument(
                    "parent_comment_id (or parent_post_id for a reply on a post) is required for a public reply",
                    field: "parent_comment_id")
            }
            return .publicCommentReply(commentID: target)
        case (.instagram, .publicReply):
            // A mention is on someone else's media: Instagram answers it through
            // `/{ig-user-id}/mentions`, which no adapter builds yet.
            guard self.conversationKind != .mention else {
                throw .invalidArgument(
                    "public replies to Instagram mentions are not supported; send a private reply", field: "send_kind")
            }
            let comment = try Self.required(self.parentCommentID, field: "parent_comment_id", platform: platform)
            return .publicCommentReply(commentID: comment)

        case (.whatsapp, .directMessage):
            return .whatsAppText(to: try Self.required(self.recipientID, field: "recipient_id", platform: platform))
        case (.whatsapp, .template):
            let recipient = try Self.required(self.recipientID, field: "recipient_id", platform: platform)
            guard self.hasTemplate else {
                throw .invalidArgument("template.name is required for send_kind TEMPLATE", field: "template.name")
            }
            return .whatsAppTemplate(to: recipient, template: try self.template.whatsAppTemplate())

        case (.x, .directMessage):
            return .xDirectMessage(
                participantID: try Self.required(self.recipientID, field: "recipient_id", platform: platform))
        case (.x, .publicReply):
            guard let post = Self.first(self.replyToPlatformID, self.parentCommentID, self.parentPostID) else {
                throw .invalidArgument(
                    "reply_to_platform_id (the post answered) is required for an X reply",
                    field: "reply_to_platform_id")
            }
            return .xReply(inReplyToPostID: post)

        case (.linkedin, .publicReply):
            let post = try Self.required(self.parentPostID, field: "parent_post_id", platform: platform)
            return .linkedInComment(
                LinkedInCommentTarget(
                    actor: Self.organizationURN(channel.externalAccountID), object: post,
                    parentComment: Self.first(self.parentCommentID)))

        case (.webChat, .directMessage):
            return .webChatMessage(
                visitorID: try Self.required(self.recipientID, field: "recipient_id", platform: platform))

        case (.tiktok, .publicReply):
            return .tiktokCommentReply(
                videoID: try Self.required(self.parentPostID, field: "parent_post_id", platform: platform),
                commentID: try Self.required(self.parentCommentID, field: "parent_comment_id", platform: platform))

        case (.telegram, .directMessage):
            return .telegramMessage(chatID: try self.telegramChat())

        case (.twilio, .directMessage):
            let recipient = try Self.required(self.recipientID, field: "recipient_id", platform: platform)
            guard self.attachments.count <= Self.maxAttachments else {
                throw .invalidArgument(
                    "attachments: Twilio takes at most \(Self.maxAttachments) per message", field: "attachments")
            }
            var media: [String] = []
            for (index, attachment) in self.attachments.enumerated() {
                let url = attachment.url.trimmingCharacters(in: .whitespaces)
                guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                    throw .invalidArgument(
                        "attachments[\(index)].url must be an http(s) URL Twilio can fetch",
                        field: "attachments[\(index)].url")
                }
                media.append(url)
            }
            // Our number sends, or the Messaging Service the channel names (which picks one).
            let sender: TwilioAddressing.Sender =
                Self.first(channel.settings["messaging_service_sid"] ?? "").map {
                    TwilioAddressing.Sender.messagingService(sid: $0)
                } ?? .phoneNumber(channel.externalAccountID)
            return .twilioMessage(
                TwilioAddressing(
                    to: recipient, sender: sender, mediaURLs: media,
                    statusCallback: Self.trimmedBase(publicBaseURL) + channel.webhookPath))

        case (.wechat, .directMessage):
            return .weChatText(openID: try Self.required(self.recipientID, field: "recipient_id", platform: platform))

        default:
            throw .invalidArgument(
                "\(platform.rawValue) cannot send \(Self.word(self.sendKind))", field: "send_kind")
        }
    }

    /// The chat a Telegram reply goes to (the comment above DeliverMessageRequest). A bot's own chat
    /// is its thread key, which the gateway made the chat id (``TelegramThread``; a group's id is no
    /// member's, so `recipient_id` would reach one person privately). A Telegram Business chat's
    /// thread key is not a chat id: it is the customer's private chat, whose id is the customer's,
    /// `recipient_id`; so is a request that names no thread.
    private func telegramChat() throws(DomainError) -> String {
        if Self.first(self.businessConnectionID) == nil, let thread = Self.first(self.threadKey), Int64(thread) != nil {
            return thread
        }
        return try Self.required(self.recipientID, field: "recipient_id", platform: .telegram)
    }

    /// The Telegram Business connection a reply goes through; refused on any other platform, whose
    /// threads have none.
    private func businessConnection(_ kind: OutboundKind, platform: Platform) throws(DomainError) -> String? {
        guard let connection = Self.first(self.businessConnectionID) else { return nil }
        guard case .telegramMessage = kind else {
            throw .invalidArgument(
                "business_connection_id is for Telegram Business chats, not \(platform.rawValue)",
                field: "business_connection_id")
        }
        return connection
    }

    /// The human-agent tag goes only on a Meta DM a person wrote.
    private func checkTag(_ kind: OutboundKind, platform: Platform) throws(DomainError) {
        switch self.tag {
        case .unspecified:
            return
        case .humanAgent:
            guard !self.automatic else {
                throw .invalidArgument("an automatic reply is never sent with the human-agent tag", field: "tag")
            }
            guard case .humanAgentMessage = kind else {
                throw .invalidArgument(
                    "tag HUMAN_AGENT is for Facebook and Instagram direct messages, not \(platform.rawValue) "
                        + Self.word(self.sendKind),
                    field: "tag")
            }
        default:
            throw .invalidArgument("tag is not a message tag", field: "tag")
        }
    }

    /// A text is required, except for a template (its text is the approved one) and a Twilio
    /// message with media.
    private func checkText(_ kind: OutboundKind) throws(DomainError) {
        guard self.text.count <= Self.maxTextLength else {
            throw .invalidArgument("text must be at most \(Self.maxTextLength) characters", field: "text")
        }
        switch kind {
        case .whatsAppTemplate:
            return
        case .twilioMessage(let addressing) where !addressing.mediaURLs.isEmpty:
            return
        default:
            guard !self.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .invalidArgument("text is required", field: "text")
            }
        }
    }

    /// The platform message a reply quotes, as the adapter wants it: a Telegram message id without
    /// the `<chat id>:` its inbound ids carry (TelegramMessage); nothing for an X reply, whose
    /// target is the kind itself.
    static func quotedMessageID(_ id: String, kind: OutboundKind) -> String? {
        let id = id.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty else { return nil }
        switch kind {
        case .xReply, .xDirectMessage: return nil
        case .telegramMessage: return id.split(separator: ":").last.map(String.init) ?? id
        default: return id
        }
    }

    /// The LinkedIn actor: the channel's organisation URN (a bare id is the organisation's number).
    static func organizationURN(_ account: String) -> String {
        account.hasPrefix("urn:li:") ? account : "urn:li:organization:\(account)"
    }

    // MARK: Fields

    /// The field's value trimmed, or INVALID_ARGUMENT naming it.
    static func required(_ value: String, field: String, platform: Platform) throws(DomainError) -> String {
        guard let value = Self.first(value) else {
            throw .invalidArgument("\(field) is required for this \(platform.rawValue) send", field: field)
        }
        return value
    }

    /// The first of `values` that is not empty once trimmed.
    static func first(_ values: String...) -> String? {
        values.lazy.map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
    }

    static func trimmedBase(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    static func word(_ kind: Inbox_V1_SendKind) -> String {
        switch kind {
        case .directMessage: "a direct message"
        case .publicReply: "a public reply"
        case .privateReply: "a private reply"
        case .template: "a template"
        default: "this send kind"
        }
    }
}

extension Inbox_V1_Template {
    /// The template as the WhatsApp adapter sends it, once ``TemplateRules`` found its form right
    /// (INVALID_ARGUMENT naming the field otherwise).
    func whatsAppTemplate() throws(DomainError) -> WhatsAppTemplate {
        try TemplateRules.check(self)
        var header: WhatsAppTemplate.Header?
        switch self.header.value {
        case .text(let parameter):
            header = .text(
                parameter.text, parameterName: parameter.parameterName.isEmpty ? nil : parameter.parameterName)
        case .image(let media):
            header = .image(Self.media(media))
        case .video(let media):
            header = .video(Self.media(media))
        case .document(let media):
            header = .document(Self.media(media), filename: media.filename.isEmpty ? nil : media.filename)
        case nil:
            header = nil
        }
        return WhatsAppTemplate(
            name: self.name.trimmingCharacters(in: .whitespaces),
            languageCode: self.languageCode.trimmingCharacters(in: .whitespaces),
            bodyParameters: self.bodyParameters,
            namedBodyParameters: self.namedBodyParameters.map { .init(name: $0.parameterName, text: $0.text) },
            header: header)
    }

    /// A checked media: its link, else its media id.
    private static func media(_ media: Inbox_V1_TemplateMedia) -> WhatsAppTemplate.Media {
        let link = media.link.trimmingCharacters(in: .whitespaces)
        return link.isEmpty ? .id(media.mediaID.trimmingCharacters(in: .whitespaces)) : .link(link)
    }
}

extension OutboundKind {
    /// The platform message id to record for a sent message, in the form the platform's webhooks
    /// name it, so statuses and echoes find our message: Telegram answers `message_id` alone, its
    /// inbound ids are `<chat id>:<message id>` (``TelegramThread``). A Telegram Business reply's
    /// id also names its connection: ``OutboundMessage/recordedPlatformMessageID(_:)``.
    func recordedPlatformMessageID(_ id: String?) -> String? {
        OutboundMessage(kind: self, text: "", idempotencyKey: "").recordedPlatformMessageID(id)
    }
}

extension OutboundMessage {
    /// The platform message id to record for this message once sent, as its platform's webhooks
    /// name it (``OutboundKind/recordedPlatformMessageID(_:)``).
    func recordedPlatformMessageID(_ id: String?) -> String? {
        guard let id, !id.isEmpty else { return nil }
        if case .telegramMessage(let chatID) = self.kind, !id.contains(":") {
            return TelegramThread.messageID(id, chatID: chatID, businessConnectionID: self.businessConnectionID)
        }
        return id
    }
}
