/// Base URL (scheme + host, no trailing slash) and API version of one platform API.
public struct PlatformEndpoint: Sendable, Hashable {
    public var baseURL: String
    public var version: String

    public init(baseURL: String, version: String = "") {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.version = version
    }
}

/// Where each platform's API lives. `production` holds the real hosts; tests point these at the fakes.
public struct OutboundEndpoints: Sendable, Hashable {
    /// graph.facebook.com for Facebook Pages. The three Graph API users are separate fields (same
    /// host in production) so each can point at its own fake.
    public var facebook: PlatformEndpoint
    /// graph.facebook.com for Instagram through Facebook Login.
    public var instagram: PlatformEndpoint
    /// graph.instagram.com: Instagram API with Instagram Login.
    public var instagramLogin: PlatformEndpoint
    /// graph.facebook.com for the WhatsApp Cloud API.
    public var whatsApp: PlatformEndpoint
    public var x: PlatformEndpoint
    /// `version` is sent as `LinkedIn-Version` (YYYYMM); LinkedIn sunsets versions, keep it current.
    public var linkedIn: PlatformEndpoint
    public var tiktok: PlatformEndpoint
    public var telegram: PlatformEndpoint
    public var twilio: PlatformEndpoint
    public var weChat: PlatformEndpoint

    public init(
        facebook: PlatformEndpoint,
        instagram: PlatformEndpoint,
        instagramLogin: PlatformEndpoint,
        whatsApp: PlatformEndpoint,
        x: PlatformEndpoint,
        linkedIn: PlatformEndpoint,
        tiktok: PlatformEndpoint,
        telegram: PlatformEndpoint,
        twilio: PlatformEndpoint,
        weChat: PlatformEndpoint
    ) {
        self.facebook = facebook
        self.instagram = instagram
        self.instagramLogin = instagramLogin
        self.whatsApp = whatsApp
        self.x = x
        self.linkedIn = linkedIn
        self.tiktok = tiktok
        self.telegram = telegram
        self.twilio = twilio
        self.weChat = weChat
    }

    /// The real platforms, API versions current at the time of writing (CHANNELS.md).
    public static let production = OutboundEndpoints(
        facebook: .init(baseURL: "https://graph.facebook.com", version: "v26.0"),
        instagram: .init(baseURL: "https://graph.facebook.com", version: "v26.0"),
        instagramLogin: .init(baseURL: "https://graph.instagram.com", version: "v26.0"),
        whatsApp: .init(baseURL: "https://graph.facebook.com", version: "v26.0"),
        x: .init(baseURL: "https://api.x.com", version: "2"),
        linkedIn: .init(baseURL: "https://api.linkedin.com", version: "202611"),
        tiktok: .init(baseURL: "https://business-api.tiktok.com", version: "v1.3"),
        telegram: .init(baseURL: "https://api.telegram.org"),
        twilio: .init(baseURL: "https://api.twilio.com", version: "2010-04-01"),
        weChat: .init(baseURL: "https://api.weixin.qq.com")
    )
}
