/// A media item or structured payload attached to an inbound message.
public struct InboundAttachment: Sendable, Hashable {
    /// The kind of attachment in one vocabulary across platforms.
    public enum Kind: String, Sendable, Hashable {
        case image
        case video
        case audio
        case file
        case sticker
        case location
        case contact
        case link
        /// A shared post, reel or story.
        case share
        case other
    }

    public var kind: Kind
    public var url: String?
    public var mimeType: String?
    /// The platform's media id, to download through its media API (WhatsApp, Telegram, WeChat).
    public var platformMediaID: String?
    /// A caption, title or label the platform attached to the item, if any.
    public var title: String?

    public init(
        kind: Kind, url: String? = nil, mimeType: String? = nil, platformMediaID: String? = nil, title: String? = nil
    ) {
        self.kind = kind
        self.url = url
        self.mimeType = mimeType
        self.platformMediaID = platformMediaID
        self.title = title
    }
}
