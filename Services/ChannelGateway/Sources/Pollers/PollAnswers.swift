#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A stored poll answer parsed again (ReplayInboundEvents of an UNPARSED entry after a parser
/// fix): a delivery whose path is `poll:<platform>` holds a list API's answer, not a signed
/// webhook, so it is read by the poller's parser rather than the platform's webhook adapter.
enum PollAnswers {
    /// The items of a stored poll answer for `account`'s channel; nil when `deliveryPath` is not a
    /// poll's (a webhook delivery: parse it with the adapter).
    static func items(
        inAnswer body: [UInt8], deliveryPath: String, account: ChannelAccount, receivedAt: Date
    ) throws(WebhookError) -> (events: [InboundEvent], unparsed: [UnparsedEntry])? {
        guard let kind = PollerKind.allCases.first(where: { $0.deliveryPath == deliveryPath }),
            kind.platform == account.platform
        else { return nil }
        switch kind {
        case .linkedInNotifications:
            let page = try LinkedInNotificationsPoll.page(body, start: 0, count: 0, receivedAt: receivedAt)
            return (page.events, page.unparsed)
        case .messengerConversations, .instagramConversations:
            return try MetaConversationsPoll.events(
                inAnswer: body, platform: kind.platform, accountID: account.externalAccountID, receivedAt: receivedAt)
        case .tiktokComments:
            return try TikTokCommentsPoll.events(
                inAnswer: body, businessID: account.externalAccountID, receivedAt: receivedAt)
        }
    }
}
