/// What a LinkedIn channel stores for organization social action notifications.
public struct LinkedInWebhookSecrets: WebhookSecrets, Hashable {
    /// The app's client secret: key of the `challengeCode` answer and of `X-LI-Signature`. One app
    /// signs the notifications of every organization it is subscribed for.
    public var clientSecret: String?

    public init(clientSecret: String? = nil) {
        self.clientSecret = clientSecret
    }
}
