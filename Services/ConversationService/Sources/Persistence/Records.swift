import InboxAPI
import InboxKit
import InboxRules
import PostgresNIO
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A conversation as stored, with the customer's identity and the latest message joined in: what
/// one list row, a GetConversation and a change-log snapshot show. Decoded by column name.
struct ConversationRecord: Sendable {
    /// The SELECT every conversation read uses; `WHERE` and `ORDER BY` are the caller's.
    static let select = """
        SELECT c.organization_id, c.id, c.channel_id, c.platform, c.kind, c.thread_key, c.status, c.snoozed_until,
            c.contact_id, c.tags, c.is_paid, c.parent_post_id, c.parent_comment_id, c.preview, c.message_count,
            c.assignee_agent_id, c.assignee_team_id, c.assignee_version, c.last_message_at, c.last_customer_message_at,
            c.last_team_reply_at, c.created_at, c.updated_at, c.customer_platform_user_id, c.comment_created_at,
            c.comment_platform_message_id, c.private_replies_sent, c.unread_count, c.last_read_at, c.waiting_since,
            c.first_response_at, c.first_response_due_at, c.last_message_id, c.last_automatic_reply_at,
            c.hidden_count, c.reopen_count, c.account_platform_id, c.business_connection_id,
            coalesce(i.handle, '') AS contact_handle, coalesce(i.display_name, '') AS contact_name,
            coalesce(i.avatar_url, '') AS contact_avatar, coalesce(i.opted_out, false) AS contact_opted_out,
            m.direction AS last_direction, m.author::text AS last_author, m.agent_id AS last_agent,
            m.body AS last_body, m.hidden_reason AS last_hidden, m.delivery_state AS last_state,
            m.automatic AS last_automatic, m.platform_time AS last_time
        FROM conversations c
        LEFT JOIN contact_identities i ON i.organization_id = c.organization_id AND i.channel_id = c.channel_id
            AND i.platform_user_id = c.customer_platform_user_id
        LEFT JOIN messages m ON m.organization_id = c.organization_id AND m.id = c.last_message_id
        """

    var organizationID: String
    var id: UUID
    var channelID: String
    var platform: ReplyPlatform
    var kind: ConversationKind
    var threadKey: String
    var status: StoredStatus
    var snoozedUntil: Date?
    var contactID: UUID?
    var tags: [String]
    var isPaid: Bool
    var parentPostID: String?
    var parentCommentID: String?
    var preview: String
    var messageCount: Int64
    var assigneeAgentID: String?
    var assigneeTeamID: String?
    var assigneeVersion: Int64
    var lastMessageAt: Date
    var lastCustomerMessageAt: Date?
    var lastTeamReplyAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var customerPlatformUserID: String?
    var commentCreatedAt: Date?
    var commentPlatformMessageID: String?
    var privateRepliesSent: Int
    var unreadCount: Int
    var lastReadAt: Date?
    var waitingSince: Date?
    var firstResponseAt: Date?
    var firstResponseDueAt: Date?
    var lastMessageID: UUID?
    var lastAutomaticReplyAt: Date?
    var hiddenCount: Int
    var reopenCount: Int
    var accountPlatformID: String
    /// Telegram Business: the connection replies in this chat go through (migration 5).
    var businessConnectionID: String?
    var contact: Inbox_V1_Author
    var contactOptedOut: Bool
    var lastMessage: Inbox_V1_MessageSummary?

    init(_ row: PostgresRow) throws {
        let row = row.makeRandomAccess()
        self.organizationID = try row["organization_id"].decode(String.self)
        self.id = try row["id"].decode(UUID.self)
        self.channelID = try row["channel_id"].decode(String.self)
        self.platform = ReplyPlatform(rawValue: try row["platform"].decode(String.self)) ?? .webChat
        self.kind = ConversationKind(rawValue: try row["kind"].decode(String.self)) ?? .directMessage
        self.threadKey = try row["thread_key"].decode(String.self)
        self.status = StoredStatus(rawValue: try row["status"].decode(String.self)) ?? .open
        self.snoozedUntil = try row["snoozed_until"].decode(Date?.self)
        self.contactID = try row["contact_id"].decode(UUID?.self)
        self.tags = try row["tags"].decode([String].self)
        self.isPaid = try row["is_paid"].decode(Bool.self)
        self.parentPostID = try row["parent_post_id"].decode(String?.self)
        self.parentCommentID = try row["parent_comment_id"].decode(String?.self)
        self.preview = try row["preview"].decode(String.self)
        self.messageCount = try row["message_count"].decode(Int64.self)
        self.assigneeAgentID = try row["assignee_agent_id"].decode(String?.self)
        self.assigneeTeamID = try row["assignee_team_id"].decode(String?.self)
        self.assigneeVersion = try row["assignee_version"].decode(Int64.self)
        self.lastMessageAt = try row["last_message_at"].decode(Date.self)
        self.lastCustomerMessageAt = try row["last_customer_message_at"].decode(Date?.self)
        self.lastTeamReplyAt = try row["last_team_reply_at"].decode(Date?.self)
        self.createdAt = try row["created_at"].decode(Date.self)
        self.updatedAt = try row["updated_at"].decode(Date.self)
        self.customerPlatformUserID = try row["customer_platform_user_id"].decode(String?.self)
        self.commentCreatedAt = try row["comment_created_at"].decode(Date?.self)
        self.commentPlatformMessageID = try row["comment_platform_message_id"].decode(String?.self)
        self.privateRepliesSent = Int(try row["private_replies_sent"].decode(Int32.self))
        self.unreadCount = Int(try row["unread_count"].decode(Int32.self))
        self.lastReadAt = try row["last_read_at"].decode(Date?.self)
        self.waitingSince = try row["waiting_since"].decode(Date?.self)
        self.firstResponseAt = try row["first_response_at"].decode(Date?.self)
        self.firstResponseDueAt = try row["first_response_due_at"].decode(Date?.self)
        self.lastMessageID = try row["last_message_id"].decode(UUID?.self)
        self.lastAutomaticReplyAt = try row["last_automatic_reply_at"].decode(Date?.self)
        self.hiddenCount = Int(try row["hidden_count"].decode(Int32.self))
        self.reopenCount = Int(try row["reopen_count"].decode(Int32.self))
        self.accountPlatformID = try row["account_platform_id"].decode(String.self)
        self.businessConnectionID = try row["business_connection_id"].decode(String?.self)
        self.contact = .with {
            $0.platformUserID = (try? row["customer_platform_user_id"].decode(String?.self)) ?? ""
            $0.handle = (try? row["contact_handle"].decode(String.self)) ?? ""
            $0.displayName = (try? row["contact_name"].decode(String.self)) ?? ""
            $0.avatarURL = (try? row["contact_avatar"].decode(String.self)) ?? ""
        }
        self.contactOptedOut = try row["contact_opted_out"].decode(Bool.self)
        if let lastID = self.lastMessageID, let direction = try row["last_direction"].decode(String?.self) {
            let hidden = try row["last_hidden"].decode(String?.self)
            let author = try row["last_author"].decode(String?.self) ?? "{}"
            let body = try row["last_body"].decode(String?.self) ?? ""
            let state = try row["last_state"].decode(String?.self)
            let automatic = try row["last_automatic"].decode(Bool?.self) ?? false
            let agent = try row["last_agent"].decode(String?.self)
            let time = try row["last_time"].decode(Date?.self)
            self.lastMessage = .with {
                $0.messageID = lastID.text
                $0.direction = StoredDirection(rawValue: direction)?.proto ?? .unspecified
                $0.author = (try? Inbox_V1_Author(jsonString: author, options: Self.lenient)) ?? .init()
                $0.agentID = agent ?? ""
                $0.preview = hidden == nil ? Self.preview(body) : ""
                if let state { $0.deliveryState = StoredDeliveryState(rawValue: state)?.proto ?? .unspecified }
                $0.automatic = automatic
                $0.hiddenByPlatformRule = hidden != nil
                if let time { $0.sentAt = Google_Protobuf_Timestamp(date: time) }
            }
        }
    }

    static let lenient: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        return options
    }()

    /// The first line of a text, at most 200 characters.
    static func preview(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 200 ? String(line.prefix(199)) + "…" : line
    }

    /// What the rules need to know, for a human-written reply of `sendKind` (the conversation's
    /// default when nil).
    func replyFacts(sendKind: ReplySendKind? = nil, humanAuthored: Bool = true) -> ReplyFacts {
        ReplyFacts(
            platform: self.platform, conversationKind: self.kind,
            sendKind: sendKind ?? .defaultFor(self.kind), humanAuthored: humanAuthored,
            lastCustomerMessageAt: self.lastCustomerMessageAt, commentCreatedAt: self.commentCreatedAt,
            privateRepliesSent: self.privateRepliesSent, contactOptedOut: self.contactOptedOut)
    }

    /// ReplyCapability: the shared rules for a human-written reply of the default send kind, and
    /// for comments whether a private reply is still possible.
    func capability(now: Date) -> Inbox_V1_ReplyCapability {
        let verdict = ReplyRules.decide(self.replyFacts(), now: now)
        return .with {
            $0.decision = verdict.decision.proto
            if let reason = verdict.reason { $0.reason = reason.proto }
            $0.message = verdict.message
            if let end = verdict.windowEndsAt { $0.windowEndsAt = Google_Protobuf_Timestamp(date: end) }
            if let end = verdict.humanAgentWindowEndsAt {
                $0.humanAgentWindowEndsAt = Google_Protobuf_Timestamp(date: end)
            }
            $0.templateOnly = verdict.templateOnly
            $0.optedOut = self.contactOptedOut
            if self.kind != .directMessage, [.facebook, .instagram].contains(self.platform) {
                let privateReply = ReplyRules.decide(self.replyFacts(sendKind: .privateReply), now: now)
                if privateReply.decision == .allowed, let until = privateReply.privateReplyAvailableUntil {
                    $0.privateReplyAvailable = true
                    $0.privateReplyAvailableUntil = Google_Protobuf_Timestamp(date: until)
                }
            }
            $0.computedAt = Google_Protobuf_Timestamp(date: now)
        }
    }

    func proto(now: Date) -> Inbox_V1_Conversation {
        .with {
            $0.id = self.id.text
            $0.organizationID = self.organizationID
            $0.channelID = self.channelID
            $0.platform = self.platform.proto
            $0.kind = self.kind.proto
            $0.threadKey = self.threadKey
            $0.status = self.status.proto
            if let snoozed = self.snoozedUntil { $0.snoozedUntil = Google_Protobuf_Timestamp(date: snoozed) }
            $0.contactID = self.contactID?.text ?? ""
            $0.contact = self.contact
            $0.preview = self.preview
            $0.tags = self.tags
            $0.assigneeAgentID = self.assigneeAgentID ?? ""
            $0.assigneeTeamID = self.assigneeTeamID ?? ""
            $0.lastMessageAt = Google_Protobuf_Timestamp(date: self.lastMessageAt)
            if let at = self.lastCustomerMessageAt { $0.lastCustomerMessageAt = Google_Protobuf_Timestamp(date: at) }
            if let at = self.lastTeamReplyAt { $0.lastTeamReplyAt = Google_Protobuf_Timestamp(date: at) }
            $0.messageCount = self.messageCount
            $0.isPaid = self.isPaid
            $0.parentPostID = self.parentPostID ?? ""
            $0.parentCommentID = self.parentCommentID ?? ""
            $0.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
            $0.updatedAt = Google_Protobuf_Timestamp(date: self.updatedAt)
            $0.replyCapability = self.capability(now: now)
            $0.unreadCount = Int32(clamping: self.unreadCount)
            if let at = self.lastReadAt { $0.lastReadAt = Google_Protobuf_Timestamp(date: at) }
            if let last = self.lastMessage { $0.lastMessage = last }
            if let at = self.waitingSince { $0.waitingSince = Google_Protobuf_Timestamp(date: at) }
            if let at = self.firstResponseAt { $0.firstResponseAt = Google_Protobuf_Timestamp(date: at) }
            if let at = self.firstResponseDueAt { $0.firstResponseDueAt = Google_Protobuf_Timestamp(date: at) }
            $0.privateRepliesSent = Int32(clamping: self.privateRepliesSent)
        }
    }
}

/// A message as stored.
struct MessageRecord: Sendable {
    static let columns = """
        organization_id, id, conversation_id, channel_id, direction, platform_message_id, author::text AS author,
        agent_id, body, attachments::text AS attachments, platform_time, received_at, hidden_reason, unsupported,
        delivery_state, failure_reason, failure_detail, idempotency_key, automatic, edited, deleted, send_kind,
        template::text AS template, reply_to_message_id, reply_to_platform_message_id, content_at, origin,
        idempotency_fingerprint
        """

    var organizationID: String
    var id: UUID
    var conversationID: UUID
    var channelID: String
    var direction: StoredDirection
    var platformMessageID: String?
    var author: Inbox_V1_Author
    var agentID: String?
    var body: String
    var attachments: [Inbox_V1_Attachment]
    var platformTime: Date
    var receivedAt: Date
    var hiddenReason: StoredHiddenReason?
    var unsupported: Bool
    var deliveryState: StoredDeliveryState?
    var failureReason: StoredFailureReason?
    var failureDetail: String?
    var idempotencyKey: String?
    var automatic: Bool
    var edited: Bool
    var deleted: Bool
    var sendKind: StoredSendKind?
    var template: Inbox_V1_Template?
    var replyToMessageID: UUID?
    var replyToPlatformMessageID: String?
    var contentAt: Date?
    var origin: String
    var idempotencyFingerprint: String?

    init(_ row: PostgresRow) throws {
        let row = row.makeRandomAccess()
        self.organizationID = try row["organization_id"].decode(String.self)
        self.id = try row["id"].decode(UUID.self)
        self.conversationID = try row["conversation_id"].decode(UUID.self)
        self.channelID = try row["channel_id"].decode(String.self)
        self.direction = StoredDirection(rawValue: try row["direction"].decode(String.self)) ?? .inbound
        self.platformMessageID = try row["platform_message_id"].decode(String?.self)
        self.author =
            (try? Inbox_V1_Author(
                jsonString: try row["author"].decode(String.self), options: ConversationRecord.lenient)) ?? .init()
        self.agentID = try row["agent_id"].decode(String?.self)
        self.body = try row["body"].decode(String.self)
        self.attachments =
            (try? Inbox_V1_Attachment.array(
                fromJSONString: try row["attachments"].decode(String.self), options: ConversationRecord.lenient)) ?? []
        self.platformTime = try row["platform_time"].decode(Date.self)
        self.receivedAt = try row["received_at"].decode(Date.self)
        self.hiddenReason = try row["hidden_reason"].decode(String?.self).map {
            StoredHiddenReason(rawValue: $0) ?? .unspecified
        }
        self.unsupported = try row["unsupported"].decode(Bool.self)
        self.deliveryState = try row["delivery_state"].decode(String?.self).flatMap(StoredDeliveryState.init(rawValue:))
        self.failureReason = try row["failure_reason"].decode(String?.self).flatMap(StoredFailureReason.init(rawValue:))
        self.failureDetail = try row["failure_detail"].decode(String?.self)
        self.idempotencyKey = try row["idempotency_key"].decode(String?.self)
        self.automatic = try row["automatic"].decode(Bool.self)
        self.edited = try row["edited"].decode(Bool.self)
        self.deleted = try row["deleted"].decode(Bool.self)
        self.sendKind = try row["send_kind"].decode(String?.self).flatMap(StoredSendKind.init(rawValue:))
        self.template = try row["template"].decode(String?.self).flatMap {
            try? Inbox_V1_Template(jsonString: $0, options: ConversationRecord.lenient)
        }
        self.replyToMessageID = try row["reply_to_message_id"].decode(UUID?.self)
        self.replyToPlatformMessageID = try row["reply_to_platform_message_id"].decode(String?.self)
        self.contentAt = try row["content_at"].decode(Date?.self)
        self.origin = try row["origin"].decode(String.self)
        self.idempotencyFingerprint = try row["idempotency_fingerprint"].decode(String?.self)
    }

    var proto: Inbox_V1_Message {
        .with {
            $0.id = self.id.text
            $0.organizationID = self.organizationID
            $0.conversationID = self.conversationID.text
            $0.direction = self.direction.proto
            $0.platformMessageID = self.platformMessageID ?? ""
            $0.author = self.author
            $0.agentID = self.agentID ?? ""
            $0.text = self.body
            $0.attachments = self.attachments
            $0.platformTime = Google_Protobuf_Timestamp(date: self.platformTime)
            $0.receivedAt = Google_Protobuf_Timestamp(date: self.receivedAt)
            if let hidden = self.hiddenReason {
                $0.hiddenByPlatformRule = true
                $0.hiddenReason = hidden.proto
            }
            $0.unsupported = self.unsupported
            if let state = self.deliveryState { $0.deliveryState = state.proto }
            if let reason = self.failureReason { $0.failureReason = reason.proto }
            $0.failureDetail = self.failureDetail ?? ""
            $0.idempotencyKey = self.idempotencyKey ?? ""
            if let kind = self.sendKind { $0.sendKind = kind.proto }
            $0.automatic = self.automatic
            if let template = self.template { $0.template = template }
            $0.replyToMessageID = self.replyToMessageID?.text ?? ""
            $0.edited = self.edited
            $0.deleted = self.deleted
        }
    }
}

/// JSON for the jsonb columns, written with the proto JSON mapping (what the Records read back).
enum StoredJSON {
    static func author(_ author: Inbox_V1_Author) -> String {
        (try? author.jsonString()) ?? "{}"
    }

    static func attachments(_ attachments: [Inbox_V1_Attachment]) -> String {
        (try? Inbox_V1_Attachment.jsonString(from: attachments)) ?? "[]"
    }

    static func template(_ template: Inbox_V1_Template?) -> String? {
        template.flatMap { try? $0.jsonString() }
    }
}
