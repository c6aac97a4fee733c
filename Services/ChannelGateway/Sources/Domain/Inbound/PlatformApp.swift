/// An operator-level developer app of a platform that delivers every account of the app to ONE
/// callback URL signed with the app's secret (Meta, X, LinkedIn, TikTok): its deliveries arrive at
/// `/webhooks/<platform>` and each entry is routed to its channel by the account id inside it.
///
/// Configuration, not RPCs: the app is the operator's, set once per deployment beside the other
/// secrets (a Kubernetes Secret, the environment) and rotated with a restart; channels, which
/// organisations connect and rotate themselves, are RPCs. An organisation that owns its own app
/// connects its channels with that app's secret and uses the per-channel endpoint instead.
public struct PlatformApp: Sendable, Hashable {
    /// The platforms that have a shared endpoint.
    public static let sharedEndpointPlatforms: [Platform] = [.facebook, .instagram, .whatsapp, .x, .linkedin, .tiktok]

    public var appID: String
    /// Meta app secret, X consumer secret, LinkedIn or TikTok client secret.
    public var appSecret: String
    /// Meta's `hub.verify_token`; unused by the others.
    public var verifyToken: String

    public init(appID: String = "", appSecret: String, verifyToken: String = "") {
        self.appID = appID
        self.appSecret = appSecret
        self.verifyToken = verifyToken
    }

    /// The app's secrets in the platform adapter's own type.
    public func webhookSecrets(for platform: Platform) -> any WebhookSecrets {
        WebhookSecretsMapping.secrets(
            platform: platform, signingSecret: appSecret, verifyToken: verifyToken, encodingAESKey: "", appID: appID,
            settings: [:])
    }
}

/// From the stored fields of a channel or an app to each adapter's secrets type.
enum WebhookSecretsMapping {
    static func secrets(
        platform: Platform, signingSecret: String, verifyToken: String, encodingAESKey: String, appID: String,
        settings: [String: String]
    ) -> any WebhookSecrets {
        func value(_ text: String) -> String? { text.isEmpty ? nil : text }
        switch platform {
        case .facebook, .instagram, .whatsapp:
            return MetaWebhookSecrets(appSecret: value(signingSecret), verifyToken: value(verifyToken))
        case .x: return XWebhookSecrets(consumerSecret: value(signingSecret))
        case .linkedin: return LinkedInWebhookSecrets(clientSecret: value(signingSecret))
        case .tiktok: return TikTokWebhookSecrets(clientSecret: value(signingSecret))
        case .telegram: return TelegramWebhookSecrets(secretToken: value(verifyToken))
        case .twilio: return TwilioWebhookSecrets(authToken: value(signingSecret))
        case .wechat:
            // Plaintext pushes only when the channel says so (`settings.allow_plaintext = "true"`):
            // their signature never covers the body.
            return WeChatWebhookSecrets(
                token: value(verifyToken), encodingAESKey: value(encodingAESKey), appID: value(appID),
                allowPlaintext: settings["allow_plaintext"] == "true")
        case .webChat:
            return WebChatSecrets(tokenKey: value(signingSecret))
        }
    }
}

extension ChannelSecrets {
    /// The channel's own secrets in its platform adapter's type (the per-channel endpoint).
    func webhookSecrets(for platform: Platform, settings: [String: String]) -> any WebhookSecrets {
        WebhookSecretsMapping.secrets(
            platform: platform, signingSecret: signingSecret, verifyToken: verifyToken,
            encodingAESKey: encodingAESKey, appID: appID, settings: settings)
    }
}
