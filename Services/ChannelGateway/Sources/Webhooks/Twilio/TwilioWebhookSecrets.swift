/// What a Twilio channel stores for Programmable Messaging webhooks.
public struct TwilioWebhookSecrets: WebhookSecrets, Hashable {
    /// The account's Auth Token: key of `X-Twilio-Signature`. One account signs the webhooks of
    /// all its phone numbers.
    public var authToken: String?

    public init(authToken: String? = nil) {
        self.authToken = authToken
    }
}
