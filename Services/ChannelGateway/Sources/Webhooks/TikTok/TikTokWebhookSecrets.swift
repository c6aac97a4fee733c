/// What a TikTok channel stores for the API for Business webhooks.
public struct TikTokWebhookSecrets: WebhookSecrets, Hashable {
    /// The app's client secret: key of `TikTok-Signature`. One app signs every account's events.
    public var clientSecret: String?
    /// How far the signed `t=` may lie from the receipt time.
    public var replayWindow: ReplayWindow

    public init(clientSecret: String? = nil, replayWindow: ReplayWindow = .standard) {
        self.clientSecret = clientSecret
        self.replayWindow = replayWindow
    }
}
