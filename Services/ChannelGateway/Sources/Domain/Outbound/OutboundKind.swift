/// The platform operation an outbound message performs, with its recipient or target.
public enum OutboundKind: Sendable, Hashable {
    /// Meta Send API, `messaging_type: RESPONSE` (inside the 24 h window). Facebook and Instagram.
    case directMessage(recipientID: String)
    /// Meta Send API, `messaging_type: MESSAGE_TAG` + `tag: HUMAN_AGENT` (up to 7 days, human-written only).
    case humanAgentMessage(recipientID: String)
    /// Meta private reply: `recipient.comment_id` (a comment) or `recipient.post_id` (a visitor post).
    case privateReply(PrivateReplyTarget)
    /// Public reply under a comment: Facebook `POST /{comment-id}/comments`, Instagram `POST /{comment-id}/replies`.
    case publicCommentReply(commentID: String)
    /// WhatsApp free-form text (inside the customer-service window). `to` is the customer's phone
    /// number (wa_id) or business-scoped user id (BSUID, `US.1349...`); the adapter sends each in
    /// its own field.
    case whatsAppText(to: String)
    /// WhatsApp approved template (allowed outside the window); `to` as for ``whatsAppText(to:)``.
    case whatsAppTemplate(to: String, template: WhatsAppTemplate)
    /// X direct message to a participant (`/2/dm_conversations/with/{id}/messages`).
    case xDirectMessage(participantID: String)
    /// X reply post (`/2/tweets` with `reply.in_reply_to_tweet_id`).
    case xReply(inReplyToPostID: String)
    /// LinkedIn comment on a post, or nested reply to a comment.
    case linkedInComment(LinkedInCommentTarget)
    /// TikTok reply to a comment on one of the account's videos.
    case tiktokCommentReply(videoID: String, commentID: String)
    /// Telegram `sendMessage` to a chat (numeric id or `@channelusername`); a business-account
    /// chat also needs ``OutboundMessage/businessConnectionID``.
    case telegramMessage(chatID: String)
    /// Twilio Programmable Messaging (`Messages.json`).
    case twilioMessage(TwilioAddressing)
    /// WeChat customer-service text message (`msgtype: text`) to an OpenID, within 48 h.
    case weChatText(openID: String)
    /// Our web chat: a message into the visitor's transcript (``WebChatTranscript``), which their
    /// open widgets receive live.
    case webChatMessage(visitorID: String)
}

/// Whom a Meta private reply goes to.
public enum PrivateReplyTarget: Sendable, Hashable {
    case comment(id: String)
    case visitorPost(id: String)
}

/// An approved WhatsApp template and the values of its variables (CHANNELS.md §3.4).
///
/// A template is created with positional variables (`{{1}}`, `{{2}}`: ``bodyParameters``, in order)
/// or named ones (`{{order_id}}`: ``namedBodyParameters``, sent with `parameter_name`); use the
/// form the template was created with, not both (Meta refuses a mix). ``header`` fills the
/// header's variable: its text, or the image, video or document of a media header.
public struct WhatsAppTemplate: Sendable, Hashable {
    /// A named variable's value.
    public struct NamedParameter: Sendable, Hashable {
        public var name: String
        public var text: String

        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    /// The value of a template header's variable.
    public enum Header: Sendable, Hashable {
        /// A text header's variable; `parameterName` for a template with named variables.
        case text(String, parameterName: String? = nil)
        /// A media header's image, video or document.
        case image(Media)
        case video(Media)
        case document(Media, filename: String? = nil)
    }

    /// The media of a media header, as Meta takes it.
    public enum Media: Sendable, Hashable {
        /// A public URL Meta downloads (`link`).
        case link(String)
        /// Media uploaded to the Cloud API beforehand (`id`).
        case id(String)
    }

    public var name: String
    public var languageCode: String
    /// Positional body variables, `{{1}}` first.
    public var bodyParameters: [String]
    /// Named body variables.
    public var namedBodyParameters: [NamedParameter]
    /// The header's variable, if the template's header has one.
    public var header: Header?

    public init(
        name: String, languageCode: String, bodyParameters: [String] = [],
        namedBodyParameters: [NamedParameter] = [], header: Header? = nil
    ) {
        self.name = name
        self.languageCode = languageCode
        self.bodyParameters = bodyParameters
        self.namedBodyParameters = namedBodyParameters
        self.header = header
    }
}

/// Where a LinkedIn comment goes: `actor` is the organization URN we comment as, `object` the
/// post (activity/share URN), `parentComment` the comment URN for a nested reply.
public struct LinkedInCommentTarget: Sendable, Hashable {
    public var actor: String
    public var object: String
    public var parentComment: String?

    public init(actor: String, object: String, parentComment: String? = nil) {
        self.actor = actor
        self.object = object
        self.parentComment = parentComment
    }
}

/// Addressing of a Twilio message: `to`, and either our number (`From`) or a Messaging Service.
public struct TwilioAddressing: Sendable, Hashable {
    /// The sender: our phone number, or the Messaging Service that picks one.
    public enum Sender: Sendable, Hashable {
        case phoneNumber(String)
        case messagingService(sid: String)
    }

    public var to: String
    public var sender: Sender
    public var mediaURLs: [String]
    public var statusCallback: String?

    public init(to: String, sender: Sender, mediaURLs: [String] = [], statusCallback: String? = nil) {
        self.to = to
        self.sender = sender
        self.mediaURLs = mediaURLs
        self.statusCallback = statusCallback
    }
}
