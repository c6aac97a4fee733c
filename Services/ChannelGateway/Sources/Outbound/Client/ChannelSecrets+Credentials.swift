#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// From a channel's stored secrets and account to the credentials its platform's API wants: what
/// the content fetcher (and the sender) are given for a connected channel.
///
/// Where each value comes from:
///
/// | platform | credentials |
/// | --- | --- |
/// | Facebook | Page id = `externalAccountID`, Page token = `access_token` |
/// | Instagram | see below; token = `access_token` |
/// | WhatsApp | phone number id = `externalAccountID` (what webhooks name), token = `access_token` |
/// | X | the account's user-context token = `access_token`, its `refresh_token`, the expiry = the account's `tokenExpiresAt` |
/// | LinkedIn | the administrator's member token = `access_token` |
/// | TikTok | `Access-Token` = `access_token`, `business_id` = `externalAccountID` |
/// | Telegram | bot token = `access_token` |
/// | Twilio | Account SID = `app_id`, Auth Token = `signing_secret` (the webhook key, the same secret) |
/// | WeChat | AppID = `app_id`, AppSecret = `app_secret` (the sender exchanges them for a token) |
/// | Web chat | none: a reply is written into the visitor's transcript, not sent to an API |
///
/// Instagram is connected one of two ways and the channel says which in its settings:
/// `instagram_login = "true"` is Instagram API with Instagram Login (graph.instagram.com) with the
/// IG user id (`externalAccountID`, the id its webhooks carry) and the user token; anything else is
/// Facebook Login (graph.facebook.com) with the linked Page's token, the default because it is how
/// most professional accounts are connected (through their Page). There the Page id, which only
/// sends use (`/{page-id}/messages`; reads go to the IG user id), is `settings.page_id`, else
/// `externalAccountID`. Unconfirmed: whether Graph takes the IG user id where the Page id is
/// documented; a channel connected through Facebook Login should set `page_id`.
extension ChannelSecrets {
    /// The channel's credentials in its platform's type (`account.platform` decides which).
    func outboundCredentials(for account: ChannelAccount) -> any ChannelCredentials {
        switch account.platform {
        case .facebook:
            return FacebookCredentials(pageID: account.externalAccountID, accessToken: self.accessToken)
        case .instagram:
            if account.settings["instagram_login"] == "true" {
                return InstagramCredentials.instagramLogin(
                    igUserID: account.externalAccountID, accessToken: self.accessToken)
            }
            let pageID = account.settings["page_id"].flatMap { $0.isEmpty ? nil : $0 } ?? account.externalAccountID
            return InstagramCredentials.facebookLogin(pageID: pageID, accessToken: self.accessToken)
        case .whatsapp:
            return WhatsAppCredentials(phoneNumberID: account.externalAccountID, accessToken: self.accessToken)
        case .x:
            return self.xCredentials(expiresAt: account.tokenExpiresAt)
        case .linkedin:
            return LinkedInCredentials(accessToken: self.accessToken)
        case .tiktok:
            return TikTokCredentials(accessToken: self.accessToken, businessID: account.externalAccountID)
        case .telegram:
            return TelegramCredentials(botToken: self.accessToken)
        case .twilio:
            return TwilioCredentials(accountSID: self.appID, authToken: self.signingSecret)
        case .wechat:
            return WeChatCredentials.app(appID: self.appID, appSecret: self.appSecret)
        case .webChat:
            return WebChatCredentials(channelID: account.id)
        }
    }

    /// An X channel's credentials: the user token, its refresh token (none when empty) and when
    /// the token expires (the channel's `tokenExpiresAt`, which is not sealed).
    func xCredentials(expiresAt: Date?) -> XCredentials {
        XCredentials(
            userAccessToken: self.accessToken, refreshToken: self.refreshToken.isEmpty ? nil : self.refreshToken,
            expiresAt: expiresAt)
    }

    /// The stored fields ``outboundCredentials(for:)`` reads for `platform` (the account's own id
    /// is not a secret and always set).
    static func outboundFields(for platform: Platform) -> [String] {
        switch platform {
        case .facebook, .instagram, .whatsapp, .x, .linkedin, .tiktok, .telegram: ["access_token"]
        case .twilio: ["app_id", "signing_secret"]
        case .wechat: ["app_id", "app_secret"]
        case .webChat: []
        }
    }

    /// Of ``outboundFields(for:)``, those without a value: credentials built without them are
    /// refused by the platform, so a caller says so instead of asking.
    func missingOutboundFields(for platform: Platform) -> [String] {
        Self.outboundFields(for: platform).filter { self[$0].isEmpty }
    }
}
