/// What an X channel stores for the Account Activity API's webhooks.
public struct XWebhookSecrets: WebhookSecrets, Hashable {
    /// The app's consumer (API key) secret: key of the CRC answer and of
    /// `x-twitter-webhooks-signature`. One app signs every subscribed account's activity.
    public var consumerSecret: String?

    public init(consumerSecret: String? = nil) {
        self.consumerSecret = consumerSecret
    }
}
