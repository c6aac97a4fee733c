/// The outbound registry, keyed by ``Platform``: one adapter per platform.
///
/// A new platform is a folder under `Outbound/` (its adapter, its ``ChannelCredentials`` type and
/// its ``PlatformAPI``s with their production endpoints) and one line in ``all``; a test checks
/// that every ``Platform`` case has exactly one adapter here.
public struct OutboundAdapters: Sendable {
    /// Every outbound adapter type, one per platform.
    static var all: [any OutboundAdapter.Type] {
        [
            FacebookOutboundAdapter.self,
            InstagramOutboundAdapter.self,
            WhatsAppOutboundAdapter.self,
            XOutboundAdapter.self,
            LinkedInOutboundAdapter.self,
            TikTokOutboundAdapter.self,
            TelegramOutboundAdapter.self,
            TwilioOutboundAdapter.self,
            WeChatOutboundAdapter.self,
        ]
    }

    /// Every API the registered adapters call, each with its production endpoint.
    public static var apis: [PlatformAPI] {
        all.flatMap { adapterType in adapterType.apis }
    }

    private let adapters: [Platform: any OutboundAdapter]

    public init(_ adapters: [any OutboundAdapter]) {
        self.adapters = Dictionary(adapters.map { ($0.platform, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Every platform's adapter, talking to `endpoints`.
    public init(endpoints: OutboundEndpoints) {
        self.init(Self.all.map { adapterType -> any OutboundAdapter in adapterType.init(endpoints: endpoints) })
    }

    public subscript(platform: Platform) -> (any OutboundAdapter)? {
        adapters[platform]
    }
}
