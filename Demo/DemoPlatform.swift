import InboxAPI

/// The ten platforms of the demo, one channel each.
enum DemoPlatform: String, CaseIterable, Sendable, Hashable, Comparable {
    case facebook, instagram, whatsapp, x, linkedin, tiktok, telegram, twilio, wechat
    case webChat = "web_chat"

    var proto: Inbox_V1_Platform {
        switch self {
        case .facebook: .facebook
        case .instagram: .instagram
        case .whatsapp: .whatsapp
        case .x: .x
        case .linkedin: .linkedin
        case .tiktok: .tiktok
        case .telegram: .telegram
        case .twilio: .twilioSms
        case .wechat: .wechat
        case .webChat: .webChat
        }
    }

    init?(proto: Inbox_V1_Platform) {
        guard let platform = Self.allCases.first(where: { $0.proto == proto }) else { return nil }
        self = platform
    }

    /// How tables name it.
    var title: String {
        switch self {
        case .facebook: "Facebook"
        case .instagram: "Instagram"
        case .whatsapp: "WhatsApp"
        case .x: "X"
        case .linkedin: "LinkedIn"
        case .tiktok: "TikTok"
        case .telegram: "Telegram"
        case .twilio: "SMS"
        case .wechat: "WeChat"
        case .webChat: "Web chat"
        }
    }

    /// The prefix of its operator app's variables (`FACEBOOK_APP_SECRET`), for the platforms that
    /// post every account to one shared endpoint (`/webhooks/<platform>`); nil for the others.
    var appVariablePrefix: String? {
        switch self {
        case .facebook: "FACEBOOK"
        case .instagram: "INSTAGRAM"
        case .whatsapp: "WHATSAPP"
        case .x: "X"
        case .linkedin: "LINKEDIN"
        case .tiktok: "TIKTOK"
        case .telegram, .twilio, .wechat, .webChat: nil
        }
    }

    /// Meta's products answer the `hub.verify_token` handshake.
    var hasVerifyToken: Bool { self == .facebook || self == .instagram || self == .whatsapp }

    static func < (lhs: DemoPlatform, rhs: DemoPlatform) -> Bool {
        (Self.allCases.firstIndex(of: lhs) ?? 0) < (Self.allCases.firstIndex(of: rhs) ?? 0)
    }
}

extension Inbox_V1_MessageKind {
    /// How tables name a conversation's kind.
    var title: String {
        switch self {
        case .directMessage: "message"
        case .comment: "comment"
        case .darkPostComment: "ad comment"
        case .wallPost: "wall post"
        case .mention: "mention"
        case .post: "post"
        default: "?"
        }
    }
}
