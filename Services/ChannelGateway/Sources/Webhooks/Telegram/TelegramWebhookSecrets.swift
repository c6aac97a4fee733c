/// What a Telegram channel stores for its bot's webhook.
public struct TelegramWebhookSecrets: WebhookSecrets, Hashable {
    /// The `secret_token` given to `setWebhook`, sent back in `X-Telegram-Bot-Api-Secret-Token`.
    /// It is per bot, that is per channel: Telegram updates name no account of ours, and this
    /// token is what ties a delivery to its channel.
    public var secretToken: String?

    public init(secretToken: String? = nil) {
        self.secretToken = secretToken
    }
}
