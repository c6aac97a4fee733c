#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A connected platform account of an organisation: where its webhooks arrive, what must be set
/// on the platform's side, and which credential fields it holds (their values are sealed, never
/// returned, never logged).
struct ChannelAccount: Sendable, Hashable {
    enum Status: String, Sendable, Hashable {
        case active
        case tokenInvalid = "token_invalid"
        case disconnected
        case subscriptionRevoked = "subscription_revoked"
    }

    var id: UUID
    var organizationID: String
    var platform: Platform
    var externalAccountID: String
    var displayName: String
    var status: Status
    var settings: [String: String]
    var instagramMessageRequestsEnabled: Bool
    var configuredCredentials: [String]
    var createdAt: Date
    var updatedAt: Date
    /// When the access token stops working, as the platform said when it issued it (X user tokens
    /// two hours, TikTok 24 hours, LinkedIn 60 days); nil: it does not expire, or it is not known.
    /// Not a secret (`channels.token_expires_at`): health and GetChannel report it, and it moves
    /// with every X token renewal (``XTokenRefresher``).
    var tokenExpiresAt: Date? = nil

    /// Whether the access token has expired at `now` (an unknown expiry has not).
    func tokenExpired(at now: Date) -> Bool {
        guard let tokenExpiresAt else { return false }
        return tokenExpiresAt <= now
    }

    /// Platforms that deliver every account of one developer app to one callback URL (routed by
    /// account id) post to `/webhooks/<platform>`; the others have one URL per account.
    var webhookPath: String {
        switch self.platform {
        case .facebook, .instagram, .whatsapp, .x, .linkedin, .tiktok: "/webhooks/\(self.platform.rawValue)"
        case .telegram, .twilio, .wechat: "/webhooks/\(self.platform.rawValue)/\(self.id.uuidString.lowercased())"
        // No webhooks: the widget calls the visitor API under this path.
        case .webChat: "/chat/v1/\(self.id.uuidString.lowercased())"
        }
    }

    /// What must be set on the platform's side before events flow.
    var checklist: [ChecklistItem] {
        if self.platform == .webChat {
            return [
                ChecklistItem(
                    key: "snippet",
                    description:
                        "Paste the snippet (web_chat_snippet) into the pages of your website, before </body>.",
                    satisfied: false),
                ChecklistItem(
                    key: "allowed_origins",
                    description:
                        "Serve those pages from an allowed origin (\(WebChatSettings(settings: self.settings).allowedOrigins.joined(separator: ", "))); the widget is refused elsewhere.",
                    satisfied: false),
            ]
        }
        var items = [
            ChecklistItem(
                key: "callback_url",
                description: "Set the webhook callback URL to <your public base URL>\(self.webhookPath).",
                satisfied: false)
        ]
        switch self.platform {
        case .facebook:
            items.append(
                .init(
                    key: "subscribed_fields",
                    description:
                        "Subscribe the Page to messages, messaging_postbacks, message_echoes, message_reactions and feed.",
                    satisfied: false))
        case .instagram:
            items.append(
                .init(
                    key: "subscribed_fields",
                    description: "Subscribe to messages, comments, mentions and message_reactions.", satisfied: false))
            items.append(
                .init(
                    key: "message_requests_enabled",
                    description:
                        "Enable message requests in Instagram (Settings > Messages), or direct messages never reach the inbox.",
                    satisfied: self.instagramMessageRequestsEnabled))
        case .whatsapp:
            items.append(
                .init(
                    key: "subscribed_fields", description: "Subscribe the WhatsApp Business Account to messages.",
                    satisfied: false))
        case .x:
            items.append(
                .init(
                    key: "account_activity",
                    description: "Register the webhook and subscribe the account in the Account Activity API.",
                    satisfied: false))
        case .linkedin:
            items.append(
                .init(
                    key: "organization_social_events",
                    description: "Enable organisation social action notifications for the Page.", satisfied: false))
        case .tiktok:
            items.append(
                .init(
                    key: "comment_events", description: "Subscribe the app to comment events of the business account.",
                    satisfied: false))
        case .telegram:
            items.append(
                .init(
                    key: "set_webhook",
                    description: "Call setWebhook with the callback URL and the secret token as secret_token.",
                    satisfied: false))
        case .twilio:
            items.append(
                .init(
                    key: "status_callback",
                    description: "Set the number's messaging webhook and status callback to the callback URL.",
                    satisfied: false))
        case .wechat:
            items.append(
                .init(
                    key: "server_config",
                    description: "Enable server configuration with the token (and EncodingAESKey for safe mode).",
                    satisfied: false))
        case .webChat:
            break
        }
        return items
    }
}

struct ChecklistItem: Sendable, Hashable {
    var key: String
    var description: String
    var satisfied: Bool
}

/// A channel's secrets and tokens, as the platform names them (write-only).
///
/// Sealed as JSON (``ChannelSecretsBox``) with the keys of ``CodingKeys``; a field added later
/// decodes as empty from secrets sealed before it existed (see `init(from:)`), so adding one needs
/// no migration of the ciphertexts.
struct ChannelSecrets: Sendable, Hashable, Codable {
    var accessToken = ""
    var signingSecret = ""
    var verifyToken = ""
    var encodingAESKey = ""
    var appID = ""
    var appSecret = ""
    /// Renews `accessToken` where the platform has refresh tokens (X OAuth 2.0 `offline.access`);
    /// X replaces it on every renewal.
    var refreshToken = ""

    /// The sealed JSON's keys: the property names, as the synthesized coding used before
    /// `refreshToken` was added (never rename one: sealed secrets carry them).
    enum CodingKeys: String, CodingKey {
        case accessToken, signingSecret, verifyToken, encodingAESKey, appID, appSecret, refreshToken
    }

    static let fields = [
        "access_token", "signing_secret", "verify_token", "encoding_aes_key", "app_id", "app_secret", "refresh_token",
    ]

    subscript(field: String) -> String {
        get {
            switch field {
            case "access_token": self.accessToken
            case "signing_secret": self.signingSecret
            case "verify_token": self.verifyToken
            case "encoding_aes_key": self.encodingAESKey
            case "app_id": self.appID
            case "app_secret": self.appSecret
            case "refresh_token": self.refreshToken
            default: ""
            }
        }
        set {
            switch field {
            case "access_token": self.accessToken = newValue
            case "signing_secret": self.signingSecret = newValue
            case "verify_token": self.verifyToken = newValue
            case "encoding_aes_key": self.encodingAESKey = newValue
            case "app_id": self.appID = newValue
            case "app_secret": self.appSecret = newValue
            case "refresh_token": self.refreshToken = newValue
            default: break
            }
        }
    }

    /// The fields that hold a value.
    var configured: [String] { Self.fields.filter { !self[$0].isEmpty } }

    /// The fields each platform cannot work without (README "Channels").
    static func required(for platform: Platform) -> [String] {
        switch platform {
        case .facebook, .instagram, .whatsapp: ["access_token", "signing_secret", "verify_token"]
        case .x, .linkedin, .tiktok: ["access_token", "signing_secret"]
        case .telegram: ["access_token", "verify_token"]
        case .twilio: ["signing_secret", "app_id"]
        case .wechat: ["verify_token", "app_id", "app_secret"]
        // The key that signs visitor tokens is the gateway's own (made at connect).
        case .webChat: []
        }
    }
}

extension ChannelSecrets {
    /// Every key is optional: secrets sealed before a field existed (``refreshToken``) open with
    /// that field empty. (In an extension, so the memberwise initializer stays.)
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func field(_ key: CodingKeys) throws -> String { try container.decodeIfPresent(String.self, forKey: key) ?? "" }
        self.init(
            accessToken: try field(.accessToken), signingSecret: try field(.signingSecret),
            verifyToken: try field(.verifyToken), encodingAESKey: try field(.encodingAESKey), appID: try field(.appID),
            appSecret: try field(.appSecret), refreshToken: try field(.refreshToken))
    }
}
