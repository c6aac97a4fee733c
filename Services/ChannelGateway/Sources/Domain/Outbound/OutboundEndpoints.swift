/// Base URL (scheme + host, no trailing slash) and API version of one platform API.
public struct PlatformEndpoint: Sendable, Hashable {
    public var baseURL: String
    public var version: String

    public init(baseURL: String, version: String = "") {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.version = version
    }
}

/// One HTTP API an outbound adapter calls, and where it lives in production. Each adapter declares
/// its own beside it (`XOutboundAdapter.api`; Instagram has two, `facebookLogin` and
/// `instagramLogin`), so a new platform brings its production host with its folder.
///
/// Identified by platform and name only: the production endpoint is what the API is, not part
/// of which API it is. The three Graph API users (Facebook, Instagram, WhatsApp) are separate APIs
/// on the same production host, so that each can point at its own fake.
public struct PlatformAPI: Sendable, Hashable, CustomStringConvertible {
    public let platform: Platform
    /// Which of the platform's APIs; the platform's name for a platform with one.
    public let name: String
    /// The real host and the API version current at the time of writing (CHANNELS.md).
    public let production: PlatformEndpoint

    public init(_ platform: Platform, name: String? = nil, production: PlatformEndpoint) {
        self.platform = platform
        self.name = name ?? platform.rawValue
        self.production = production
    }

    public static func == (lhs: PlatformAPI, rhs: PlatformAPI) -> Bool {
        lhs.platform == rhs.platform && lhs.name == rhs.name
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(platform)
        hasher.combine(name)
    }

    public var description: String { name == platform.rawValue ? name : "\(platform.rawValue).\(name)" }
}

/// Where each platform API is reached: its production endpoint unless pointed elsewhere.
///
/// `production` needs no list of platforms: every ``PlatformAPI`` carries its own production
/// endpoint, and this value holds only the exceptions. Tests point one API at a fake:
/// `var endpoints = OutboundEndpoints.production; endpoints[WhatsAppOutboundAdapter.api] = fake`.
public struct OutboundEndpoints: Sendable, Hashable {
    private var overrides: [PlatformAPI: PlatformEndpoint] = [:]

    public init() {}

    /// Every API at its real host.
    public static let production = OutboundEndpoints()

    public subscript(api: PlatformAPI) -> PlatformEndpoint {
        get { overrides[api] ?? api.production }
        set { overrides[api] = newValue }
    }
}
