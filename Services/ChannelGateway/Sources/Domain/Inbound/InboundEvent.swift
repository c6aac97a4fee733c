public import struct Foundation.Date

/// One normalised thing that happened on a platform, before it is assigned to an organisation.
///
/// Ids are the platform's own, kept as strings (some exceed 2^53). `occurredAt` is the platform's
/// time for the event, never the batch or receipt time (except Twilio, which sends none).
public struct InboundEvent: Sendable, Hashable {
    public var platform: Platform
    /// The platform's id of OUR account as found in the payload (Meta `entry.id`, WhatsApp
    /// `phone_number_id`, X `for_user_id`, LinkedIn `organizationalEntity`, TikTok `user_openid`,
    /// Twilio `To`, WeChat `ToUserName`); nil where the payload has none (Telegram).
    public var accountID: String?
    public var kind: InboundEventKind
    /// The deduplication key (CHANNELS.md §0) for this platform and kind. The inbound log keeps
    /// one event per (channel, event id), so it is unique per real platform event and the same for
    /// a re-delivery of that event; each adapter documents how it builds it.
    public var eventID: String
    /// The platform's id of the message, comment or post this event is about.
    public var messageID: String?
    /// What groups messages into one conversation: the customer's id for direct messages;
    /// `<root post id>/<top-level comment id>` for comments (just the post id for posts and
    /// mentions that are not comments).
    public var threadKey: String
    public var parentPostID: String?
    public var parentCommentID: String?
    /// The message this one quotes or answers (Messenger `reply_to`, WhatsApp `context`, Telegram
    /// `reply_to_message`, X `in_reply_to_status_id_str`).
    public var repliesToMessageID: String?
    public var author: InboundAuthor?
    public var text: String?
    public var attachments: [InboundAttachment]
    public var occurredAt: Date
    /// Our own message or post coming back (echo, page-authored comment, admin comment).
    public var isOwn: Bool
    /// Set when a platform rule forbids showing the content; the event is still stored.
    public var hiddenByPlatformRule: HiddenReason?
    /// Content on an ad or dark post.
    public var isPaid: Bool
    /// The platform sent content we cannot represent; show a placeholder.
    public var isUnsupported: Bool
    /// For ``InboundEventKind/deliveryStatus``: which of our messages and what happened to it.
    public var deliveryStatus: DeliveryStatusUpdate?
    /// A customer opting out of (or back into) messages, e.g. an SMS `STOP`.
    public var optOut: OptOutChange?
    /// Set when the payload carries only ids and the content must be read from the platform.
    public var contentFetch: ContentFetch?
    /// For ``InboundEventKind/reaction``: the customer took the reaction back (Messenger `unreact`,
    /// a Facebook feed reaction `remove`, a WhatsApp reaction without an emoji). `text` holds the
    /// reaction otherwise.
    public var reactionRemoved: Bool
    /// For ``InboundEventKind/visibilityChange``: what the comment's visibility became; nil when the
    /// platform's action is one we do not know (the event is then marked unsupported).
    public var visibility: CommentVisibility?
    /// Telegram Business: the connection a message of a business account's chat came through
    /// (`business_connection_id`); replies in its thread go through it. Nil everywhere else.
    public var businessConnectionID: String?

    public init(
        platform: Platform, accountID: String?, kind: InboundEventKind, eventID: String, messageID: String? = nil,
        threadKey: String, parentPostID: String? = nil, parentCommentID: String? = nil,
        repliesToMessageID: String? = nil, author: InboundAuthor? = nil, text: String? = nil,
        attachments: [InboundAttachment] = [], occurredAt: Date, isOwn: Bool = false,
        hiddenByPlatformRule: HiddenReason? = nil, isPaid: Bool = false, isUnsupported: Bool = false,
        deliveryStatus: DeliveryStatusUpdate? = nil, optOut: OptOutChange? = nil, contentFetch: ContentFetch? = nil,
        reactionRemoved: Bool = false, visibility: CommentVisibility? = nil, businessConnectionID: String? = nil
    ) {
        self.platform = platform
        self.accountID = accountID
        self.kind = kind
        self.eventID = eventID
        self.messageID = messageID
        self.threadKey = threadKey
        self.parentPostID = parentPostID
        self.parentCommentID = parentCommentID
        self.repliesToMessageID = repliesToMessageID
        self.author = author
        self.text = text
        self.attachments = attachments
        self.occurredAt = occurredAt
        self.isOwn = isOwn
        self.hiddenByPlatformRule = hiddenByPlatformRule
        self.isPaid = isPaid
        self.isUnsupported = isUnsupported
        self.deliveryStatus = deliveryStatus
        self.optOut = optOut
        self.contentFetch = contentFetch
        self.reactionRemoved = reactionRemoved
        self.visibility = visibility
        self.businessConnectionID = businessConnectionID
    }
}

/// What kind of thing an ``InboundEvent`` is.
public enum InboundEventKind: String, Sendable, Hashable, CaseIterable {
    case directMessage
    case comment
    /// A comment on an ad or unpublished (dark) post.
    case darkPostComment
    /// A visitor's post on the page's wall.
    case wallPost
    case mention
    /// A post by the account or about it that is neither a comment nor a mention (X own tweets,
    /// retweets).
    case post
    case deliveryStatus
    case edit
    case deletion
    /// A comment whose visibility changed (hidden, friends-only, public again).
    case visibilityChange
    case reaction
    /// An account-level event without content (WeChat subscribe, menu click, scan).
    case accountEvent
    /// The account revoked our app's access (X `user_event.revoke`): a channel-level signal, no
    /// content; the pipeline marks the channel SUBSCRIPTION_REVOKED.
    case subscriptionRevoked
}

/// Who wrote the content, in the platform's terms.
public struct InboundAuthor: Sendable, Hashable {
    /// PSID, IGSID, wa_id/BSUID, X user id, LinkedIn URN, TikTok unique_identifier, Telegram user
    /// id, E.164 number, WeChat OpenID.
    public var platformID: String
    /// `@handle`-style name where the platform has one (without the `@`).
    public var handle: String?
    public var displayName: String?

    public init(platformID: String, handle: String? = nil, displayName: String? = nil) {
        self.platformID = platformID
        self.handle = handle
        self.displayName = displayName
    }
}

/// Why a platform rule forbids showing an event's content (DESIGN §3).
public enum HiddenReason: String, Sendable, Hashable {
    case videoAttachment = "video attachment"
    case severalImages = "several images"
}

/// Who may see a comment after a ``InboundEventKind/visibilityChange``.
public enum CommentVisibility: String, Sendable, Hashable {
    /// Public (again): Facebook `unhide`, TikTok `set_to_public`.
    case visible
    /// Hidden by a moderator or the platform, seen by its author (and on TikTok their friends) only:
    /// Facebook `hide`, TikTok `set_to_hidden` and `set_to_friends_only`.
    case hidden
}
