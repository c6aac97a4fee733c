/// A WeChat Official Account.
public enum WeChatCredentials: ChannelCredentials, Hashable {
    /// AppID and AppSecret, what the channel stores; exchanged for an access token by the sender.
    case app(appID: String, appSecret: String)
    /// An access token already obtained from `/cgi-bin/stable_token`. The sender resolves `.app` into
    /// this before asking the (I/O-free) WeChat adapter to build a request.
    case accessToken(String)
}
