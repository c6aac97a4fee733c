/// The registry of inbound adapters, keyed by ``Platform``: one line per platform. The HTTP
/// endpoint resolves `/webhooks/<platform>/<channel-id>` with ``adapter(for:)`` and hands it the
/// channel's stored secrets through ``WebhookAdapter/handle(_:anySecrets:now:)``.
///
/// A new platform is a folder under `Webhooks/` (its adapter and its ``WebhookSecrets`` type) and
/// one line in ``all``; a test checks that every ``Platform`` case has exactly one adapter here.
public enum WebhookAdapters {
    /// Every inbound adapter, one per platform.
    static var all: [any WebhookAdapter] {
        [
            FacebookWebhookAdapter(),
            InstagramWebhookAdapter(),
            WhatsAppWebhookAdapter(),
            XWebhookAdapter(),
            LinkedInWebhookAdapter(),
            TikTokWebhookAdapter(),
            TelegramWebhookAdapter(),
            TwilioWebhookAdapter(),
            WeChatWebhookAdapter(),
        ]
    }

    private static let byPlatform: [Platform: any WebhookAdapter] = Dictionary(
        all.map { (type(of: $0).platform, $0) }, uniquingKeysWith: { first, _ in first })

    /// The platform's adapter; nil only for a platform missing from ``all`` (a test rules that out).
    public static func adapter(for platform: Platform) -> (any WebhookAdapter)? {
        byPlatform[platform]
    }
}
