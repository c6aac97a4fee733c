/// A Telegram bot: its token (`123456:ABC-...`).
public struct TelegramCredentials: ChannelCredentials, Hashable {
    public var botToken: String

    public init(botToken: String) {
        self.botToken = botToken
    }
}
