/// What a Facebook, Instagram or WhatsApp channel stores for Meta's webhooks: one Meta app signs
/// the deliveries of all three products, so they share this type.
///
/// The app secret signs every account of the app: a delivery for another Page is just as validly
/// signed, which is why the inbound pipeline binds each delivery to its channel's account
/// (``ChannelBinding``).
public struct MetaWebhookSecrets: WebhookSecrets, Hashable {
    /// The app secret: HMAC-SHA256 key of `X-Hub-Signature-256`.
    public var appSecret: String?
    /// `hub.verify_token` of the subscription handshake, chosen when the webhook was registered.
    public var verifyToken: String?

    public init(appSecret: String? = nil, verifyToken: String? = nil) {
        self.appSecret = appSecret
        self.verifyToken = verifyToken
    }
}
