/// The credentials a poller reads a channel's list API with, from the channel's stored secrets.
///
/// The same choice as the outbound client's (content-fetch branch,
/// `ChannelSecrets.outboundCredentials(for:)`; replace this with it once both are merged): the
/// Page, account and business ids are the channel's external account id; an Instagram account
/// uses Instagram Login (graph.instagram.com) when its settings say `instagram_login: "true"`, and
/// otherwise Facebook Login through its linked Page, `settings["page_id"]` (the conversations
/// edge is the Page's: without `page_id` the account id is tried, which only an IG-Login account
/// answers).
enum PollCredentials {
    static func credentials(
        for kind: PollerKind, account: ChannelAccount, secrets: ChannelSecrets
    ) throws(PollFailure) -> any ChannelCredentials {
        let token = secrets.accessToken
        guard !token.isEmpty else {
            throw PollFailure(.configuration, "the channel has no access token; rotate its credentials to add one")
        }
        switch kind {
        case .linkedInNotifications:
            return LinkedInCredentials(accessToken: token)
        case .messengerConversations:
            return FacebookCredentials(pageID: account.externalAccountID, accessToken: token)
        case .instagramConversations:
            if account.settings["instagram_login"] == "true" {
                return InstagramCredentials.instagramLogin(igUserID: account.externalAccountID, accessToken: token)
            }
            return InstagramCredentials.facebookLogin(
                pageID: account.settings["page_id"] ?? account.externalAccountID, accessToken: token)
        case .tiktokComments:
            return TikTokCredentials(accessToken: token, businessID: account.externalAccountID)
        }
    }
}
