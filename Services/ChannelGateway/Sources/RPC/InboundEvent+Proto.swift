import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Domain -> proto mapping of normalised inbound events (what the relay hands to
// conversation.IngestEvents), and nowhere else. The platform's own mapping is `Platform.proto`
// in Channel+Proto.swift.

extension InboundEvent {
    /// The event as conversation-service ingests it (ConversationRPC+Ingest.swift checks it).
    ///
    /// `id` is the gateway's id of the stored event; `organizationID` and `channelID` name the
    /// channel the event was bound to (``ChannelBinding``); `receivedAt` is when the gateway received
    /// the delivery. `flags.content_incomplete` stays false: the pipeline sets it when a
    /// ``contentFetch`` failed for good.
    ///
    /// Event types: the content kinds are MESSAGE with that kind; any event with ``optOut`` set is
    /// OPT_OUT (Twilio sends STOP/START as an ordinary message); ``InboundEventKind/accountEvent``
    /// is CONTACT_ACTION. ``InboundEventKind/subscriptionRevoked`` becomes CONTACT_ACTION too, only
    /// so that the mapping is total: the pipeline handles it itself (the channel becomes
    /// SUBSCRIPTION_REVOKED) and never relays it — conversation-service would open a conversation
    /// with our own account for it.
    func proto(id: UUID, organizationID: String, channelID: UUID, receivedAt: Date) -> Inbox_V1_InboundEvent {
        .with {
            $0.id = id.text
            $0.organizationID = organizationID
            $0.channelID = channelID.text
            $0.platform = self.platform.proto
            $0.type = self.protoType
            $0.kind = self.protoKind
            $0.platformEventID = self.eventID
            $0.platformMessageID = self.protoPlatformMessageID
            $0.threadKey = self.threadKey
            $0.parentPostID = self.parentPostID ?? ""
            $0.parentCommentID = self.parentCommentID ?? ""
            // For a reaction the message it answers is the one reacted to: `platform_message_id`.
            if self.kind != .reaction { $0.replyToPlatformMessageID = self.repliesToMessageID ?? "" }
            $0.platformAccountID = self.accountID ?? ""
            if let author = self.author { $0.author = author.proto }
            $0.text = self.text ?? ""
            $0.attachments = self.attachments.map(\.proto)
            $0.occurredAt = Google_Protobuf_Timestamp(date: self.occurredAt)
            $0.receivedAt = Google_Protobuf_Timestamp(date: receivedAt)
            $0.flags = self.protoFlags
            if let status = self.deliveryStatus {
                $0.deliveryStatus = self.protoDeliveryStatus(
                    status, organizationID: organizationID, channelID: channelID.text)
            }
            if let optOut = self.optOut {
                $0.optOut = .with {
                    $0.optedOut = optOut.optedOut
                    $0.keyword = optOut.keyword
                }
            }
            if self.kind == .reaction {
                $0.reaction = .with {
                    $0.reaction = self.text ?? ""
                    $0.removed = self.reactionRemoved
                }
            }
            // Unset for an action we do not know (TikTok's, marked unsupported): conversation-service
            // refuses a VISIBILITY_CHANGED without PUBLIC or HIDDEN rather than guess.
            if let visibility = self.visibility {
                $0.visibilityChange = .with { $0.visibility = visibility.proto }
            }
            $0.businessConnectionID = self.businessConnectionID ?? ""
        }
    }

    private var protoType: Inbox_V1_EventType {
        if self.optOut != nil { return .optOut }
        switch self.kind {
        case .directMessage, .comment, .darkPostComment, .wallPost, .mention, .post: return .message
        case .edit: return .messageEdited
        case .deletion: return .messageDeleted
        case .deliveryStatus: return .deliveryStatus
        case .reaction: return .reaction
        case .visibilityChange: return .visibilityChanged
        case .accountEvent, .subscriptionRevoked: return .contactAction
        }
    }

    /// A content event's own kind; for the others the kind of the conversation they belong to,
    /// derived from the ids. It matters for edits and deletions: one that arrives before its
    /// message opens the conversation with this kind (conversation-service requires one).
    ///
    /// A parent post or comment means a comment thread (on a paid post: dark-post comment); a
    /// message that is its own thread is a post (a visitor's on a Facebook page: wall post);
    /// anything else is a direct message. The ids cannot tell a mention: one first seen through
    /// its edit opens as a wall post, post or comment.
    private var protoKind: Inbox_V1_MessageKind {
        switch self.kind {
        case .directMessage: return .directMessage
        case .comment: return .comment
        case .darkPostComment: return .darkPostComment
        case .wallPost: return .wallPost
        case .mention: return .mention
        case .post: return .post
        case .edit, .deletion, .deliveryStatus, .visibilityChange, .reaction, .accountEvent, .subscriptionRevoked:
            break
        }
        if self.parentPostID != nil || self.parentCommentID != nil {
            return self.isPaid ? .darkPostComment : .comment
        }
        if let messageID = self.messageID, messageID == self.threadKey {
            return self.platform == .facebook && !self.isOwn ? .wallPost : .post
        }
        return .directMessage
    }

    /// The message the event is about; for a reaction the message reacted to, which Messenger,
    /// Instagram and WhatsApp name as ``repliesToMessageID`` (``messageID`` is then nil or the
    /// reaction's own id) and Facebook feed reactions as ``messageID``.
    private var protoPlatformMessageID: String {
        if self.kind == .reaction { return self.repliesToMessageID ?? self.messageID ?? "" }
        return self.messageID ?? ""
    }

    private var protoFlags: Inbox_V1_EventFlags {
        .with {
            $0.isEcho = self.isOwn
            if let reason = self.hiddenByPlatformRule {
                $0.hiddenByPlatformRule = true
                $0.hiddenReason = reason.proto
            }
            $0.isPaid = self.isPaid
            $0.unsupported = self.isUnsupported
        }
    }

    /// One message by its platform id, or — only when the status names no message (Messenger
    /// reads) — every message of the thread up to the watermark: conversation-service refuses a
    /// watermark beside a message id. A Messenger delivery lists its `mids` with a watermark; each
    /// is then applied to its own message, which is exact.
    ///
    /// A failure's reason is classified only for the few codes whose meaning is certain; any other
    /// is UNSPECIFIED, which conversation-service stores as PLATFORM_ERROR, with the platform's code
    /// and text as the detail.
    private func protoDeliveryStatus(
        _ status: DeliveryStatusUpdate, organizationID: String, channelID: String
    ) -> Inbox_V1_DeliveryStatusUpdate {
        .with {
            $0.organizationID = organizationID
            $0.channelID = channelID
            $0.state = status.state.proto
            $0.occurredAt = Google_Protobuf_Timestamp(date: self.occurredAt)
            if let messageID = status.messageID {
                $0.platformMessageID = messageID
            } else if let watermark = status.watermark {
                $0.watermark = Google_Protobuf_Timestamp(date: watermark)
                $0.threadKey = self.threadKey
            }
            guard status.state == .failed else { return }
            $0.failureReason = FailureCode.reason(platform: self.platform, code: status.errorCode)
            let detail = [status.errorCode, status.errorText].compactMap { $0 }.joined(separator: ": ")
            $0.failureDetail = detail.isEmpty ? status.platformStatus : detail
        }
    }
}

/// The platform error codes of asynchronous delivery failures whose reason is unambiguous: the
/// WhatsApp codes MetaGraphError classifies a send by, Twilio's STOP code (as in
/// TwilioOutboundAdapter) and its delivery errors for numbers that cannot receive.
private enum FailureCode {
    static func reason(platform: Platform, code: String?) -> Inbox_V1_FailureReason {
        guard let code else { return .unspecified }
        switch (platform, code) {
        // WhatsApp: re-engagement (24 h window closed), undeliverable, user stopped marketing,
        // throughput and pair rate limits.
        case (.whatsapp, "131047"): return .outsideWindow
        case (.whatsapp, "131026"): return .recipientUnavailable
        case (.whatsapp, "131050"): return .optedOut
        case (.whatsapp, "130429"), (.whatsapp, "131056"): return .rateLimited
        // Twilio: the recipient sent STOP; unreachable, unknown, landline or unreachable carrier.
        case (.twilio, "21610"): return .optedOut
        case (.twilio, "30003"), (.twilio, "30005"), (.twilio, "30006"): return .recipientUnavailable
        default: return .unspecified
        }
    }
}

extension InboundAuthor {
    fileprivate var proto: Inbox_V1_Author {
        .with {
            $0.platformUserID = self.platformID
            $0.handle = self.handle ?? ""
            $0.displayName = self.displayName ?? ""
        }
    }
}

extension InboundAttachment {
    /// `title` is the platform's caption, title or label, whichever it sent.
    fileprivate var proto: Inbox_V1_Attachment {
        .with {
            $0.type = self.kind.proto
            $0.url = self.url ?? ""
            $0.mimeType = self.mimeType ?? ""
            $0.platformMediaID = self.platformMediaID ?? ""
            $0.title = self.title ?? ""
        }
    }
}

extension InboundAttachment.Kind {
    /// A shared post, reel or story is a LINK: what we have of it is a URL to open (and maybe a
    /// title), which is what a link shows; OTHER would be a placeholder for content we cannot show.
    fileprivate var proto: Inbox_V1_AttachmentType {
        switch self {
        case .image: .image
        case .video: .video
        case .audio: .audio
        case .file: .file
        case .sticker: .sticker
        case .location: .location
        case .contact: .contact
        case .link, .share: .link
        case .other: .other
        }
    }
}

extension HiddenReason {
    fileprivate var proto: Inbox_V1_HiddenReason {
        switch self {
        case .videoAttachment: .videoAttachment
        case .severalImages: .multipleImages
        }
    }
}

extension DeliveryStatusUpdate.State {
    fileprivate var proto: Inbox_V1_DeliveryState {
        switch self {
        case .pending: .pending
        case .sent: .sent
        case .delivered: .delivered
        case .read: .read
        case .failed: .failed
        }
    }
}

extension CommentVisibility {
    fileprivate var proto: Inbox_V1_Visibility {
        switch self {
        case .visible: .public
        case .hidden: .hidden
        }
    }
}
