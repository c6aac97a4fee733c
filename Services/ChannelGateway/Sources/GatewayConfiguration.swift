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

    public init(
        service: ServiceConfiguration, httpHost: String = "0.0.0.0", httpPort: Int = 8080, maxBodyBytes: Int = 1 << 20
    ) {
        self.service = service
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.maxBodyBytes = maxBodyBytes
    }

    public static func load(from environment: Environment) throws -> GatewayConfiguration {
        GatewayConfiguration(
            service: try ServiceConfiguration.load(.channelGateway, from: environment),
            httpHost: try environment.string("HTTP_HOST", default: "0.0.0.0"),
            httpPort: try environment.port("HTTP_PORT", default: 8080),
            maxBodyBytes: try environment.integer("WEBHOOK_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(64 << 20))
        )
    }
}
