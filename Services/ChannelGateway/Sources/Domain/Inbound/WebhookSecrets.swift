/// What a channel account stores to authenticate its platform's webhooks. Each adapter reads only
/// the fields its platform needs and reports ``WebhookError/notConfigured(_:)`` for a missing one.
public struct WebhookSecrets: Sendable, Hashable {
    /// HMAC key: Meta app secret, X consumer secret, LinkedIn or TikTok client secret, Twilio auth
    /// token.
    public var signingSecret: String?
    /// Shared token: Meta `hub.verify_token`, WeChat token, Telegram `secret_token`.
    public var verifyToken: String?
    /// WeChat EncodingAESKey (43 base64 characters); nil means plaintext mode only.
    public var wechatEncodingAESKey: String?
    /// WeChat AppID, checked against the tail of every decrypted message.
    public var wechatAppID: String?
    /// How old a TikTok signature timestamp may be, in seconds (either direction).
    public var tiktokReplayWindow: Double

    public init(
        signingSecret: String? = nil, verifyToken: String? = nil, wechatEncodingAESKey: String? = nil,
        wechatAppID: String? = nil, tiktokReplayWindow: Double = 300
    ) {
        self.signingSecret = signingSecret
        self.verifyToken = verifyToken
        self.wechatEncodingAESKey = wechatEncodingAESKey
        self.wechatAppID = wechatAppID
        self.tiktokReplayWindow = tiktokReplayWindow
    }
}
