import InboxKit

/// The gateway's configuration: the common service settings plus its HTTP listener for the
/// platforms' webhooks.
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

    public init(
        service: ServiceConfiguration, httpHost: String = "0.0.0.0", httpPort: Int = 8080, maxBodyBytes: Int = 1 << 20,
        secretsKey: (id: String, key: [UInt8]), previousSecretsKeys: [(id: String, key: [UInt8])] = []
    ) {
        self.service = service
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.maxBodyBytes = maxBodyBytes
        self.secretsKey = secretsKey
        self.previousSecretsKeys = previousSecretsKeys
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
        return GatewayConfiguration(
            service: try ServiceConfiguration.load(.channelGateway, from: environment),
            httpHost: try environment.string("HTTP_HOST", default: "0.0.0.0"),
            httpPort: try environment.port("HTTP_PORT", default: 8080),
            maxBodyBytes: try environment.integer("WEBHOOK_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(64 << 20)),
            secretsKey: key[0], previousSecretsKeys: previous
        )
    }
}
