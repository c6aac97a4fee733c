import InboxRules

/// What SendReply accepts before it asks policy: a text the platform will take, a bounded number
/// of attachments. Checked here so that an over-long reply is refused to the agent at once instead
/// of failing later at the platform, after it was stored and handed to the gateway.
enum ReplyLimits {
    /// Attachments per reply (conservative default: no platform in CHANNELS.md sends more in one
    /// message, and most send one).
    static let maxAttachments = 10

    /// The longest text `platform` takes for a reply of `sendKind`, in the unit of
    /// ``textLength(_:platform:)``.
    static func maxTextLength(platform: ReplyPlatform, sendKind: ReplySendKind) -> Int {
        switch platform {
        // Conservative default (CHANNELS.md §1 names no Messenger or comment limit).
        case .facebook: 2000
        // CHANNELS.md §2.4: Instagram DM text ≤ 1000 bytes UTF-8.
        case .instagram: 1000
        // CHANNELS.md §3.4: `text.body` max 4096 characters.
        case .whatsApp: 4096
        // Conservative default: a DM takes 10 000 characters, a reply post 280.
        case .x: sendKind == .publicReply ? 280 : 10_000
        // Conservative default (CHANNELS.md §5 names none).
        case .linkedIn: 3000
        // CHANNELS.md §6.4: reply text max 150 characters.
        case .tikTok: 150
        // CHANNELS.md §7.4: text 1-4096 characters.
        case .telegram: 4096
        // CHANNELS.md §8.4: `Body` ≤ 1600 characters.
        case .twilioSMS: 1600
        // Conservative default (CHANNELS.md §9 names none).
        case .weChat: 2048
        // Our own widget; conservative default.
        case .webChat: 10_000
        }
    }

    /// How long `text` is as `platform` counts it: UTF-8 bytes for Instagram (CHANNELS.md §2.4),
    /// UTF-16 code units elsewhere — never fewer than the characters a platform counts, so a text
    /// that fits here fits there (an emoji counts 2).
    static func textLength(_ text: String, platform: ReplyPlatform) -> Int {
        platform == .instagram ? text.utf8.count : text.utf16.count
    }

    /// How the limit is named in a refusal ("Facebook direct messages").
    static func describe(platform: ReplyPlatform, sendKind: ReplySendKind) -> String {
        let name =
            switch platform {
            case .facebook: "Facebook"
            case .instagram: "Instagram"
            case .whatsApp: "WhatsApp"
            case .x: "X"
            case .linkedIn: "LinkedIn"
            case .tikTok: "TikTok"
            case .telegram: "Telegram"
            case .twilioSMS: "SMS"
            case .weChat: "WeChat"
            case .webChat: "Web chat"
            }
        let kind =
            switch sendKind {
            case .directMessage: "direct messages"
            case .publicReply: "public replies"
            case .privateReply: "private replies"
            case .template: "templates"
            }
        return "\(name) \(kind)"
    }
}
