/// The outbound registry: one adapter per platform. A new platform is one line here.
public struct OutboundAdapters: Sendable {
    private let adapters: [Platform: any OutboundAdapter]

    public init(_ adapters: [any OutboundAdapter]) {
        self.adapters = Dictionary(adapters.map { ($0.platform, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Every platform's adapter, talking to `endpoints`.
    public init(endpoints: OutboundEndpoints) {
        self.init([
            FacebookOutboundAdapter(endpoint: endpoints.facebook),
            InstagramOutboundAdapter(facebookLogin: endpoints.instagram, instagramLogin: endpoints.instagramLogin),
            WhatsAppOutboundAdapter(endpoint: endpoints.whatsApp),
            XOutboundAdapter(endpoint: endpoints.x),
            LinkedInOutboundAdapter(endpoint: endpoints.linkedIn),
            TikTokOutboundAdapter(endpoint: endpoints.tiktok),
            TelegramOutboundAdapter(endpoint: endpoints.telegram),
            TwilioOutboundAdapter(endpoint: endpoints.twilio),
            WeChatOutboundAdapter(endpoint: endpoints.weChat),
        ])
    }

    public subscript(platform: Platform) -> (any OutboundAdapter)? {
        adapters[platform]
    }
}
