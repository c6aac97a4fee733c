#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a channel's poller reads (`gateway.channel_pollers.kind`), one per platform that has a
/// list API worth reading.
enum PollerKind: String, Sendable, Hashable, CaseIterable {
    /// LinkedIn's `organizationalEntityNotifications` finder: the same notification objects as the
    /// webhook (CHANNELS.md §5.3), so the same `notificationId` dedup keys.
    case linkedInNotifications = "linkedin_notifications"
    /// A Facebook Page's Messenger conversations (`GET /{page-id}/conversations`).
    case messengerConversations = "messenger_conversations"
    /// An Instagram account's conversations (`GET /{id}/conversations?platform=instagram`).
    case instagramConversations = "instagram_conversations"
    /// A TikTok business account's comments, video by video (`/business/video/list/`,
    /// `/business/comment/list/`).
    case tiktokComments = "tiktok_comments"

    /// The kind for a channel of `platform`; nil for platforms without a poller.
    init?(platform: Platform) {
        switch platform {
        case .linkedin: self = .linkedInNotifications
        case .facebook: self = .messengerConversations
        case .instagram: self = .instagramConversations
        case .tiktok: self = .tiktokComments
        case .whatsapp, .x, .telegram, .twilio, .wechat, .webChat: return nil
        }
    }

    var platform: Platform {
        switch self {
        case .linkedInNotifications: .linkedin
        case .messengerConversations: .facebook
        case .instagramConversations: .instagram
        case .tiktokComments: .tiktok
        }
    }

    /// The time between two sweeps that completed.
    func interval(_ settings: PollerSettings) -> Duration {
        self == .linkedInNotifications ? settings.linkedInInterval : settings.reconcileInterval
    }

    /// The `path` of the deliveries a poll stores (`inbound_deliveries.path`): what tells them
    /// apart from webhook requests, e.g. for a reparse.
    var deliveryPath: String { "poll:\(self.platform.rawValue)" }
}

/// The time span one sweep reads: from `since` (the watermark less the overlap) up to `until`
/// (when the sweep began).
struct PollWindow: Sendable, Hashable {
    var since: Date
    var until: Date

    /// Integer milliseconds since 1970, as LinkedIn's time range wants them.
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}
