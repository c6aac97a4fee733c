/// What a channel account stores to authenticate its platform's webhooks. Each adapter reads only
/// the fields its platform needs and reports ``WebhookError/notConfigured(_:)`` for a missing one.
public struct WebhookSecrets: Sendable, Hashable {
    /// HMAC key: Meta app secret, X consumer secret, LinkedIn or TikTok client secret, Twilio auth
    /// token.
    public var signingSecret: String?
    /// Shared token: Meta `hub.verify_token`, WeChat token, Telegram `secret_token`.
    public var verifyToken: String?
    /// WeChat EncodingAESKey (43 base64 characters) for AES ("safe") mode.
    public var wechatEncodingAESKey: String?
    /// WeChat AppID, checked against the tail of every decrypted message.
    public var wechatAppID: String?
    /// Accept WeChat plaintext-mode pushes for a channel without an EncodingAESKey. Off by default:
    /// in plaintext mode the query `signature` covers only token, timestamp and nonce, never the
    /// body, so anyone holding one signed URL can post any message for the replay window's span.
    public var wechatAllowPlaintext: Bool
    /// How far a signed timestamp (TikTok `t=`, WeChat `timestamp`) may lie from the receipt time.
    public var replayWindow: ReplayWindow

    public init(
        signingSecret: String? = nil, verifyToken: String? = nil, wechatEncodingAESKey: String? = nil,
        wechatAppID: String? = nil, wechatAllowPlaintext: Bool = false, replayWindow: ReplayWindow = .standard
    ) {
        self.signingSecret = signingSecret
        self.verifyToken = verifyToken
        self.wechatEncodingAESKey = wechatEncodingAESKey
        self.wechatAppID = wechatAppID
        self.wechatAllowPlaintext = wechatAllowPlaintext
        self.replayWindow = replayWindow
    }
}
