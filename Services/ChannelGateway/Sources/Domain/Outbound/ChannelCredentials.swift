/// The sending identity and secret of one connected channel, as the platform's API wants them.
public enum ChannelCredentials: Sendable, Hashable {
    /// Facebook Page (and Instagram through Facebook Login): the Page id and its Page access token.
    case metaPage(pageID: String, accessToken: String)
    /// Instagram API with Instagram Login (`graph.instagram.com`): the IG user id and its user token.
    case instagramLogin(igUserID: String, accessToken: String)
    /// WhatsApp Cloud API: the business phone number id and a system-user or business token.
    case whatsApp(phoneNumberID: String, accessToken: String)
    /// X user-context OAuth 2.0 token of the connected account.
    case x(userAccessToken: String)
    /// LinkedIn member token of a Page administrator (the API version is in `OutboundEndpoints`).
    case linkedIn(accessToken: String)
    /// TikTok API for Business: `Access-Token` and the business account id (`business_id`).
    case tiktok(accessToken: String, businessID: String)
    /// Telegram bot token (`123456:ABC-...`).
    case telegram(botToken: String)
    /// Twilio Account SID and Auth Token (HTTP Basic).
    case twilio(accountSID: String, authToken: String)
    /// WeChat Official Account AppID and AppSecret; exchanged for an access token by the sender.
    case weChat(appID: String, appSecret: String)
    /// A WeChat access token already obtained from `/cgi-bin/token`. The sender resolves
    /// `.weChat` into this before asking the (I/O-free) WeChat adapter to build a request.
    case weChatAccessToken(String)
}
