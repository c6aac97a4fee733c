import InboxKit
import Logging

/// The composition root of channel-gateway.
public struct ChannelGatewayApp: Sendable {
    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration.service, logger: logger)
        let http = WebhookHTTPServer.make(configuration: self.configuration, health: runtime.health, logger: logger)
        try await runtime.run(rpcServices: [GatewayRPC()], migrations: GatewayMigrations.all, background: [http])
    }
}
