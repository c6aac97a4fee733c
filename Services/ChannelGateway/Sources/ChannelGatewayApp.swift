import InboxKit
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The composition root of channel-gateway.
public struct ChannelGatewayApp: Sendable {
    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration.service, logger: logger)
        let http = WebhookHTTPServer.make(configuration: self.configuration, health: runtime.health, logger: logger)
        let rpc = GatewayRPC(
            channels: ChannelRepository(client: runtime.database, logger: logger),
            secrets: ChannelSecretsBox(
                current: self.configuration.secretsKey, previous: self.configuration.previousSecretsKeys),
            plans: PolicyPlanCheck(policy: runtime.peers.policy), now: { Date() })
        try await runtime.run(rpcServices: [rpc], migrations: GatewayMigrations.all, background: [http])
    }
}
