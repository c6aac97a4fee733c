import InboxAPI
import TestSupport

/// The demo shop's account on each platform and the ConnectChannel request for it: the accounts
/// and tokens platform-fakes accepts (`FakeCredentials.demo`), the operator's app secrets for the
/// platforms with a shared endpoint, and per-channel secrets for the others.
enum DemoAccounts {
    static let fake = FakeCredentials.demo
    /// X, LinkedIn and Twilio accounts are not checked by their fakes: any id works.
    static let xUserID = "1580000000000000001"
    static let xScreenName = "demoshop"
    static let linkedInOrganization = "urn:li:organization:2414183"
    static let telegramBot = "demo_shop_bot"
    static let twilioNumber = "+15550001111"
    /// The Official Account's original id (the `ToUserName` of its pushes).
    static let weChatAccount = "gh_0a1b2c3d4e5f"
    static let weChatToken = "demo-wechat-token"
    /// 43 base64 characters decoding to 32 bytes, as WeChat issues them.
    static let weChatAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    /// The website the widget is embedded in (requests without an Origin, as the demo's, pass too).
    static let webChatOrigin = "https://www.example.com"

    /// The platform's id of the shop's account, as its webhooks name it.
    static func externalAccountID(_ platform: DemoPlatform) -> String {
        switch platform {
        case .facebook: Self.fake.pageID
        case .instagram: Self.fake.igUserID
        case .whatsapp: Self.fake.phoneNumberID
        case .x: Self.xUserID
        case .linkedin: Self.linkedInOrganization
        case .tiktok: Self.fake.tiktokBusinessID
        case .telegram: Self.telegramBot
        case .twilio: Self.twilioNumber
        case .wechat: Self.weChatAccount
        // The widget has no platform account: the gateway names it by the channel's id.
        case .webChat: ""
        }
    }

    /// ConnectChannel for `platform`; `telegramSecret` is the bot's `secret_token`, `run` keeps
    /// the idempotency key apart from earlier demos'.
    static func connectRequest(
        _ platform: DemoPlatform, apps: PlatformApps, telegramSecret: String, run: String
    ) -> Inbox_V1_ConnectChannelRequest {
        .with {
            $0.platform = platform.proto
            $0.externalAccountID = Self.externalAccountID(platform)
            $0.displayName = "Demo shop on \(platform.title)"
            $0.idempotencyKey = "inbox-demo-\(run)-\(platform.rawValue)"
            switch platform {
            case .facebook, .instagram, .whatsapp:
                $0.credentials = .with {
                    $0.accessToken = Self.fake.metaAccessToken
                    $0.signingSecret = apps.secret(platform)
                    $0.verifyToken = apps.verifyToken(platform)
                }
                if platform == .instagram {
                    // Connected through Facebook Login: sends go to the linked Page.
                    $0.settings = ["page_id": Self.fake.pageID]
                    $0.instagramMessageRequestsEnabled = true
                }
            case .x:
                $0.credentials = .with {
                    $0.accessToken = Self.fake.xUserToken
                    $0.signingSecret = apps.secret(.x)
                }
            case .linkedin:
                $0.credentials = .with {
                    $0.accessToken = Self.fake.linkedInToken
                    $0.signingSecret = apps.secret(.linkedin)
                }
            case .tiktok:
                $0.credentials = .with {
                    $0.accessToken = Self.fake.tiktokAccessToken
                    $0.signingSecret = apps.secret(.tiktok)
                }
            case .telegram:
                $0.credentials = .with {
                    $0.accessToken = Self.fake.telegramBotToken
                    $0.verifyToken = telegramSecret
                }
            case .twilio:
                $0.credentials = .with {
                    $0.signingSecret = Self.fake.twilioAuthToken
                    $0.appID = Self.fake.twilioAccountSID
                }
            case .wechat:
                $0.credentials = .with {
                    $0.verifyToken = Self.weChatToken
                    $0.encodingAesKey = Self.weChatAESKey
                    $0.appID = Self.fake.weChatAppID
                    $0.appSecret = Self.fake.weChatAppSecret
                }
            case .webChat:
                $0.webChat = .with {
                    $0.allowedOrigins = [Self.webChatOrigin]
                    $0.greeting = "Hi! How can we help?"
                    $0.offlineMessage = "We are away; leave a message and we will answer soon."
                }
            }
        }
    }
}
