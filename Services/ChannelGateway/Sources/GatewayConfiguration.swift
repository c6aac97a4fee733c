import InboxKit

/// The gateway's configuration: the common service settings, its HTTP listener for the platforms'
/// webhooks, the operator's platform apps and the inbound pipeline's timings.
public struct GatewayConfiguration: Sendable {
    public var service: ServiceConfiguration
    /// `HTTP_HOST` (default 0.0.0.0) and `HTTP_PORT` (default 8080).
    public var httpHost: String
    public var httpPort: Int
    /// `WEBHOOK_MAX_BODY_BYTES` (default 1 MiB): larger webhook bodies are refused with 413.
    public var maxBodyBytes: Int
    /// `CHANNEL_SECRETS_KEY` (`kid:base64 of 32 bytes`, required): seals channel secrets;
    /// `CHANNEL_SECRETS_KEYS_PREVIOUS` (the same form, comma-separated) open older ones.
    public var secretsKey: (id: String, key: [UInt8])
    public var previousSecretsKeys: [(id: String, key: [UInt8])]
    /// The operator's developer apps, one per platform that posts every account of an app to one
    /// URL (``PlatformApp``), read from `<PLATFORM>_APP_SECRET`, `<PLATFORM>_VERIFY_TOKEN` and
    /// `<PLATFORM>_APP_ID` (`FACEBOOK_`, `INSTAGRAM_`, `WHATSAPP_`, `X_`, `LINKEDIN_`, `TIKTOK_`).
    /// A platform without an app secret has no shared endpoint (404); its channels use their
    /// per-channel endpoints with their own secrets.
    public var platformApps: [Platform: PlatformApp]
    /// `PUBLIC_BASE_URL`: the scheme and host the platforms call (Twilio signs the full URL);
    /// default `http://<HTTP_HOST>:<HTTP_PORT>`.
    public var publicBaseURL: String
    /// The relay's and the workers' timings (code defaults; tests shorten them).
    public var inbound: InboundSettings
    /// Where each platform API is (production; tests point single APIs at the fakes).
    public var outboundEndpoints: OutboundEndpoints
    /// The LinkedIn poller's and the reconciliations' schedule.
    public var pollers: PollerSettings
    /// The delivery worker's and the status outbox's timings: code defaults, but for one send's
    /// deadline (`DELIVERY_SEND_TIMEOUT_SECONDS`) and how long a claim holds a delivery
    /// (`DELIVERY_CLAIM_SECONDS`), which an operator may need to fit a slow platform or to make a
    /// crashed replica's sends MAYBE_SENT sooner (``outboundSettings(from:)``); tests shorten the rest.
    public var outbound = OutboundSettings()
    /// The operator's X app as an OAuth 2.0 client (`X_OAUTH_CLIENT_ID`, and `X_OAUTH_CLIENT_SECRET`
    /// for a confidential client): what renews X channels' user tokens (``XTokenRefresher``). Not
    /// `X_APP_ID`/`X_APP_SECRET`: X gives an app's OAuth 2.0 client its own id and secret, apart from
    /// the consumer key and secret that sign webhooks. A channel that sets `app_id` (and
    /// `app_secret`) renews with its own organisation's X app instead. Nil: only such channels renew.
    public var xOAuthClient: XOAuthClient? = nil
    /// The web-chat visitor API's limits (``WebChatLimits/load(from:)``).
    public var webChat = WebChatLimits()

    public init(
        service: ServiceConfiguration, httpHost: String = "0.0.0.0", httpPort: Int = 8080, maxBodyBytes: Int = 1 << 20,
        secretsKey: (id: String, key: [UInt8]), previousSecretsKeys: [(id: String, key: [UInt8])] = [],
        platformApps: [Platform: PlatformApp] = [:], publicBaseURL: String? = nil,
        inbound: InboundSettings = InboundSettings(), outboundEndpoints: OutboundEndpoints = .production,
        pollers: PollerSettings = PollerSettings()
    ) {
        self.service = service
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.maxBodyBytes = maxBodyBytes
        self.secretsKey = secretsKey
        self.previousSecretsKeys = previousSecretsKeys
        self.platformApps = platformApps
        self.publicBaseURL = publicBaseURL ?? "http://\(httpHost):\(httpPort)"
        self.inbound = inbound
        self.outboundEndpoints = outboundEndpoints
        self.pollers = pollers
    }

    public static func load(from environment: Environment) throws -> GatewayConfiguration {
        guard let key = ChannelSecretsBox.parseKeys(try environment.string("CHANNEL_SECRETS_KEY")), key.count == 1
        else {
            throw ConfigurationError(
                variable: "CHANNEL_SECRETS_KEY", problem: "must be kid:<base64 of 32 random bytes>")
        }
        var previous: [(id: String, key: [UInt8])] = []
        if let text = environment.optionalString("CHANNEL_SECRETS_KEYS_PREVIOUS") {
            guard let keys = ChannelSecretsBox.parseKeys(text) else {
                throw ConfigurationError(
                    variable: "CHANNEL_SECRETS_KEYS_PREVIOUS", problem: "must be kid:<base64 of 32 bytes>[,...]")
            }
            previous = keys
        }
        var apps: [Platform: PlatformApp] = [:]
        for platform in PlatformApp.sharedEndpointPlatforms {
            let prefix = platform.rawValue.uppercased()
            guard let secret = environment.optionalString("\(prefix)_APP_SECRET") else { continue }
            apps[platform] = PlatformApp(
                appID: environment.optionalString("\(prefix)_APP_ID") ?? "", appSecret: secret,
                verifyToken: environment.optionalString("\(prefix)_VERIFY_TOKEN") ?? "")
        }
        let host = try environment.string("HTTP_HOST", default: "0.0.0.0")
        let port = try environment.port("HTTP_PORT", default: 8080)
        var base = environment.optionalString("PUBLIC_BASE_URL")
        if let url = base {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigurationError(
                    variable: "PUBLIC_BASE_URL", problem: "must start with https:// (or http://)")
            }
            base = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        var configuration = GatewayConfiguration(
            service: try ServiceConfiguration.load(.channelGateway, from: environment),
            httpHost: host, httpPort: port,
            maxBodyBytes: try environment.integer("WEBHOOK_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(64 << 20)),
            secretsKey: key[0], previousSecretsKeys: previous, platformApps: apps, publicBaseURL: base,
            outboundEndpoints: try OutboundEndpoints.load(from: environment)
        )
        configuration.xOAuthClient = try Self.xOAuthClient(from: environment)
        configuration.outbound = try Self.outboundSettings(from: environment)
        configuration.webChat = try WebChatLimits.load(from: environment)
        return configuration
    }

    /// `DELIVERY_SEND_TIMEOUT_SECONDS` (default 15) and `DELIVERY_CLAIM_SECONDS` (default 60). A
    /// claim must outlast the sends of a round: a delivery still SENDING when its claim ends is
    /// taken for one whose worker died mid-send (MAYBE_SENT, never sent again), and a round sends
    /// its deliveries ``OutboundSettings/concurrentSends`` at a time, so the last of a full round
    /// may start when the first ones time out. Hence more than twice the send timeout (with the
    /// defaults' 128 per round and 64 at a time), said as one line naming the variable.
    static func outboundSettings(from environment: Environment) throws -> OutboundSettings {
        var settings = OutboundSettings()
        let timeout = try environment.integer(
            "DELIVERY_SEND_TIMEOUT_SECONDS", default: Int(settings.sendTimeout.components.seconds), range: 1...600)
        let claim = try environment.integer(
            "DELIVERY_CLAIM_SECONDS", default: Int(settings.claimDuration.components.seconds), range: 3...7200)
        let rounds = (settings.batchSize + max(1, settings.concurrentSends) - 1) / max(1, settings.concurrentSends)
        guard claim > rounds * timeout else {
            throw ConfigurationError(
                variable: "DELIVERY_CLAIM_SECONDS",
                problem:
                    "must be more than \(rounds * timeout) (\(rounds) times DELIVERY_SEND_TIMEOUT_SECONDS): a claim that "
                    + "ends while its send may still run makes the delivery MAYBE_SENT, got '\(claim)'")
        }
        settings.sendTimeout = .seconds(timeout)
        settings.claimDuration = .seconds(claim)
        return settings
    }

    /// `X_OAUTH_CLIENT_ID` and the optional `X_OAUTH_CLIENT_SECRET`; a secret without an id is a
    /// mistake, said as one.
    static func xOAuthClient(from environment: Environment) throws -> XOAuthClient? {
        let secret = environment.optionalString("X_OAUTH_CLIENT_SECRET")
        guard let id = environment.optionalString("X_OAUTH_CLIENT_ID") else {
            guard secret == nil else {
                throw ConfigurationError(
                    variable: "X_OAUTH_CLIENT_ID", problem: "is required when X_OAUTH_CLIENT_SECRET is set")
            }
            return nil
        }
        return XOAuthClient(clientID: id, clientSecret: secret)
    }
}

/// The inbound pipeline's timings and bounds. The defaults are production's.
public struct InboundSettings: Sendable {
    /// How often the relay and the workers look for due rows when nothing woke them (another
    /// replica's inserts, retries coming due). A commit in this process wakes them at once, and
    /// LISTEN/NOTIFY wakes every replica's relay.
    public var pollInterval: Duration = .seconds(1)
    /// Events per IngestEvents call (the contract's maximum).
    public var relayBatchSize = 500
    /// Tries before an event is DEAD_LETTERED with its last error.
    public var maxAttempts = 10
    /// The first retry delay; it doubles per attempt (with up to 25 % jitter) up to `maxRetryDelay`.
    public var retryDelay: Duration = .seconds(1)
    public var maxRetryDelay: Duration = .seconds(600)
    /// How long a claim keeps other relays off a row; a relay that dies mid-round leaves its rows
    /// to the others after it.
    public var claimDuration: Duration = .seconds(60)
    /// How often HELD events are checked again (an inbox activated elsewhere releases them).
    public var heldRecheckInterval: Duration = .seconds(60)
    /// How long a channel looked up for a webhook is reused: a rotated secret or a disconnect made
    /// through another replica takes effect within this time (at once through this one).
    public var channelCacheTTL: Duration = .seconds(5)
    /// Tries of a content fetch before the event goes on without it (flagged `content_incomplete`).
    public var contentFetchMaxAttempts = 6
    /// How often counted-but-not-stored outcomes (duplicates, bad signatures) are written.
    public var counterFlushInterval: Duration = .seconds(1)

    public init() {}
}

/// The web-chat visitor API's limits. Sizes are fixed; lifetimes and rates are the operator's.
public struct WebChatLimits: Sendable {
    /// `WEBCHAT_TOKEN_TTL_SECONDS` (default 30 days): how long a visitor token works. Each session
    /// start with a valid one renews it, so a visitor who comes back within that time resumes.
    public var tokenTTL: Duration = .seconds(30 * 86_400)
    /// Request bodies over this are 413.
    public var maxBodyBytes = 16 * 1024
    /// A visitor's message: 1 to this many characters.
    public var maxMessageCharacters = 4_000
    /// `WEBCHAT_VISITOR_BURST` (10) and `WEBCHAT_VISITOR_PER_MINUTE` (30): one visitor's sends.
    public var visitorBurst = 10
    public var visitorPerMinute = 30
    /// `WEBCHAT_IP_BURST` (60) and `WEBCHAT_IP_PER_MINUTE` (300): every request from one address.
    public var ipBurst = 60
    public var ipPerMinute = 300
    /// `WEBCHAT_TRUST_FORWARDED_FOR` (false): take the client's address from the first
    /// `X-Forwarded-For` entry (behind a proxy that sets it), not the connection's peer.
    public var trustForwardedFor = false
    /// The longest a long-poll waits.
    public var maxLongPoll: Duration = .seconds(25)

    public init() {}

    static func load(from environment: Environment) throws -> WebChatLimits {
        var limits = WebChatLimits()
        limits.tokenTTL = .seconds(
            try environment.integer("WEBCHAT_TOKEN_TTL_SECONDS", default: 30 * 86_400, range: 60...(400 * 86_400)))
        limits.visitorBurst = try environment.integer("WEBCHAT_VISITOR_BURST", default: 10, range: 1...10_000)
        limits.visitorPerMinute = try environment.integer("WEBCHAT_VISITOR_PER_MINUTE", default: 30, range: 1...100_000)
        limits.ipBurst = try environment.integer("WEBCHAT_IP_BURST", default: 60, range: 1...1_000_000)
        limits.ipPerMinute = try environment.integer("WEBCHAT_IP_PER_MINUTE", default: 300, range: 1...10_000_000)
        switch environment.optionalString("WEBCHAT_TRUST_FORWARDED_FOR")?.lowercased() {
        case nil, "false", "0", "no": limits.trustForwardedFor = false
        case "true", "1", "yes": limits.trustForwardedFor = true
        case let other?:
            throw ConfigurationError(
                variable: "WEBCHAT_TRUST_FORWARDED_FOR", problem: "must be true or false, got '\(other)'")
        }
        return limits
    }
}
