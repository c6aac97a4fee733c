#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// The platforms' reply rules (CHANNELS.md; DESIGN.md §3) as one pure function, shared by
/// policy-service (`CheckReply`) and conversation-service (`Conversation.reply_capability`), so a
/// conversation row and a send never disagree. Windows are computed from the platform's own
/// timestamps, never from when we processed an event; every window end is exclusive (a reply at
/// the end instant is outside).
public enum ReplyRules {
    public static let messengerWindow: TimeInterval = 24 * 3600
    public static let humanAgentWindow: TimeInterval = 7 * 86_400
    public static let whatsAppWindow: TimeInterval = 24 * 3600
    public static let weChatWindow: TimeInterval = 48 * 3600
    public static let privateReplyWindow: TimeInterval = 7 * 86_400

    public static func decide(_ facts: ReplyFacts, now: Date) -> ReplyVerdict {
        switch facts.channelStatus {
        case .tokenInvalid:
            return .denied(.channelTokenInvalid, "The channel's access token is invalid; rotate its credentials first.")
        case .disconnected, .subscriptionRevoked:
            return .denied(.channelDisconnected, "The channel is disconnected; connect it again first.")
        case .active, .unknown:
            break
        }
        if facts.contactOptedOut {
            var verdict = ReplyVerdict.denied(
                .optedOut, "The customer opted out (STOP); they must opt back in (START) first.")
            verdict.optedOut = true
            return verdict
        }
        switch facts.sendKind {
        case .privateReply:
            return Self.privateReply(facts, now: now)
        case .publicReply:
            guard facts.conversationKind != .directMessage else {
                return .denied(.unsupported, "A public reply needs a comment or post; this is a direct message.")
            }
            return .allowed("Public replies have no reply window.")
        case .directMessage, .template:
            guard facts.conversationKind == .directMessage else {
                return .denied(
                    .unsupported, "Answer a comment publicly, or with a private reply where the platform allows one.")
            }
            return Self.directMessage(facts, now: now)
        }
    }

    static func privateReply(_ facts: ReplyFacts, now: Date) -> ReplyVerdict {
        let commentKinds: Set<ConversationKind> = [.comment, .darkPostComment, .wallPost]
        guard [.facebook, .instagram].contains(facts.platform), commentKinds.contains(facts.conversationKind) else {
            return .denied(.unsupported, "Private replies exist for Facebook and Instagram comments only.")
        }
        guard let commented = facts.commentCreatedAt else {
            return .denied(.privateReplyWindowClosed, "The comment's time is unknown, so no private reply can be sent.")
        }
        let end = commented.addingTimeInterval(Self.privateReplyWindow)
        guard facts.privateRepliesSent == 0 else {
            var verdict = ReplyVerdict.denied(
                .privateReplyAlreadySent, "A private reply was already sent for this comment (one per comment).")
            verdict.windowEndsAt = end
            return verdict
        }
        guard now < end else {
            var verdict = ReplyVerdict.denied(
                .privateReplyWindowClosed, "Private replies are possible for 7 days after the comment; that has passed."
            )
            verdict.windowEndsAt = end
            return verdict
        }
        var verdict = ReplyVerdict.allowed("One private reply can be sent until 7 days after the comment.")
        verdict.windowEndsAt = end
        verdict.privateReplyAvailableUntil = end
        return verdict
    }

    static func directMessage(_ facts: ReplyFacts, now: Date) -> ReplyVerdict {
        if facts.sendKind == .template, facts.platform != .whatsApp {
            return .denied(.unsupported, "Only WhatsApp sends approved templates.")
        }
        switch facts.platform {
        case .facebook, .instagram:
            guard let last = facts.lastCustomerMessageAt else {
                return .denied(.windowClosed, "The customer has not written yet; Meta allows replies only.")
            }
            let end = last.addingTimeInterval(Self.messengerWindow)
            let tagEnd = last.addingTimeInterval(Self.humanAgentWindow)
            if now < end {
                var verdict = ReplyVerdict.allowed("Reply window open for 24 hours after the customer's message.")
                verdict.windowEndsAt = end
                verdict.humanAgentWindowEndsAt = tagEnd
                return verdict
            }
            if now < tagEnd {
                var verdict: ReplyVerdict
                if facts.humanAuthored {
                    verdict = ReplyVerdict(
                        decision: .needsHumanAgentTag, reason: .humanAgentTagRequired,
                        message: "The 24-hour window closed; a reply written by a person can use the human-agent tag "
                            + "for 7 days after the customer's message.")
                    verdict.requiresHumanAgentTag = true
                } else {
                    verdict = .denied(
                        .tagNotAllowed,
                        "The 24-hour window closed, and automatic replies may not use the human-agent tag.")
                }
                verdict.windowEndsAt = end
                verdict.humanAgentWindowEndsAt = tagEnd
                return verdict
            }
            var verdict = ReplyVerdict.denied(
                .windowClosed, "The reply window closed 7 days after the customer's last message.")
            verdict.windowEndsAt = end
            verdict.humanAgentWindowEndsAt = tagEnd
            return verdict
        case .whatsApp:
            if facts.sendKind == .template {
                return .allowed("Approved templates can be sent at any time.")
            }
            let end = facts.lastCustomerMessageAt?.addingTimeInterval(Self.whatsAppWindow)
            if let end, now < end {
                var verdict = ReplyVerdict.allowed("Customer service window open for 24 hours after their message.")
                verdict.windowEndsAt = end
                return verdict
            }
            var verdict = ReplyVerdict(
                decision: .needsTemplate, reason: .templateRequired,
                message: "The 24-hour customer service window is closed; only an approved template can be sent.")
            verdict.windowEndsAt = end
            verdict.templateOnly = true
            return verdict
        case .weChat:
            guard let last = facts.lastCustomerMessageAt else {
                return .denied(.windowClosed, "The customer has not written yet; WeChat allows replies only.")
            }
            let end = last.addingTimeInterval(Self.weChatWindow)
            var verdict =
                now < end
                ? ReplyVerdict.allowed("Reply window open for 48 hours after the customer's message.")
                : ReplyVerdict.denied(.windowClosed, "The 48-hour reply window closed.")
            verdict.windowEndsAt = end
            return verdict
        case .x, .telegram, .linkedIn, .tikTok, .twilioSMS, .webChat:
            return .allowed("This platform has no reply window.")
        }
    }
}

/// What the rules need to know about a reply.
public struct ReplyFacts: Sendable, Hashable {
    public var platform: ReplyPlatform
    public var conversationKind: ConversationKind
    public var sendKind: ReplySendKind
    /// False for automatic replies: they never get the human-agent tag.
    public var humanAuthored: Bool
    /// Platform time of the customer's latest message.
    public var lastCustomerMessageAt: Date?
    /// For private replies: the comment's platform time, and the private replies it already has.
    public var commentCreatedAt: Date?
    public var privateRepliesSent: Int
    public var contactOptedOut: Bool
    public var channelStatus: ChannelState

    public init(
        platform: ReplyPlatform, conversationKind: ConversationKind, sendKind: ReplySendKind,
        humanAuthored: Bool = true, lastCustomerMessageAt: Date? = nil, commentCreatedAt: Date? = nil,
        privateRepliesSent: Int = 0, contactOptedOut: Bool = false, channelStatus: ChannelState = .unknown
    ) {
        self.platform = platform
        self.conversationKind = conversationKind
        self.sendKind = sendKind
        self.humanAuthored = humanAuthored
        self.lastCustomerMessageAt = lastCustomerMessageAt
        self.commentCreatedAt = commentCreatedAt
        self.privateRepliesSent = privateRepliesSent
        self.contactOptedOut = contactOptedOut
        self.channelStatus = channelStatus
    }
}

/// What the rules decided, with the window ends a UI counts down from.
public struct ReplyVerdict: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        case allowed, needsHumanAgentTag, needsTemplate, denied
    }

    public var decision: Decision
    public var reason: RefusalReason?
    /// A sentence a person understands.
    public var message: String
    public var windowEndsAt: Date?
    public var humanAgentWindowEndsAt: Date?
    public var privateReplyAvailableUntil: Date?
    public var requiresHumanAgentTag = false
    public var templateOnly = false
    public var optedOut = false

    public init(decision: Decision, reason: RefusalReason?, message: String) {
        self.decision = decision
        self.reason = reason
        self.message = message
    }

    static func allowed(_ message: String) -> ReplyVerdict {
        ReplyVerdict(decision: .allowed, reason: nil, message: message)
    }

    static func denied(_ reason: RefusalReason, _ message: String) -> ReplyVerdict {
        ReplyVerdict(decision: .denied, reason: reason, message: message)
    }
}

public enum RefusalReason: Sendable, Hashable {
    case windowClosed, templateRequired, privateReplyAlreadySent, privateReplyWindowClosed, optedOut
    case unsupported, tagNotAllowed, humanAgentTagRequired, channelDisconnected, channelTokenInvalid
}

/// A platform, as the rules (and the services' stored rows: the raw values) name it.
public enum ReplyPlatform: String, Sendable, Hashable, CaseIterable, Codable {
    case facebook, instagram
    case whatsApp = "whatsapp"
    case x
    case linkedIn = "linkedin"
    case tikTok = "tiktok"
    case telegram
    case twilioSMS = "twilio_sms"
    case weChat = "wechat"
    case webChat = "web_chat"
}

/// What kind of conversation a reply answers (the raw values are stored).
public enum ConversationKind: String, Sendable, Hashable, CaseIterable, Codable {
    case directMessage = "direct_message"
    case comment
    case darkPostComment = "dark_post_comment"
    case wallPost = "wall_post"
    case mention, post
}

public enum ReplySendKind: Sendable, Hashable, CaseIterable {
    case directMessage, publicReply, privateReply, template

    /// The send kind a reply gets when the caller names none: a direct message in DM
    /// conversations, a public reply under everything else.
    public static func defaultFor(_ kind: ConversationKind) -> ReplySendKind {
        kind == .directMessage ? .directMessage : .publicReply
    }
}

public enum ChannelState: Sendable, Hashable {
    case unknown, active, tokenInvalid, disconnected, subscriptionRevoked
}
