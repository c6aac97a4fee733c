/// The registry of inbound adapters: one line per platform. The HTTP endpoint resolves
/// `/webhooks/<platform>/<channel-id>` with ``adapter(for:)``.
public enum WebhookAdapters {
    public static func adapter(for platform: Platform) -> any WebhookAdapter {
        switch platform {
        case .facebook: FacebookWebhookAdapter()
        case .instagram: InstagramWebhookAdapter()
        case .whatsapp: WhatsAppWebhookAdapter()
        case .x: XWebhookAdapter()
        case .linkedin: LinkedInWebhookAdapter()
        case .tiktok: TikTokWebhookAdapter()
        case .telegram: TelegramWebhookAdapter()
        case .twilio: TwilioWebhookAdapter()
        case .wechat: WeChatWebhookAdapter()
        }
    }
}
