import InboxKit
import Logging

/// The composition root of PolicyService.
public struct PolicyServiceApp: Sendable {
    public let configuration: ServiceConfiguration

    public init(configuration: ServiceConfiguration) {
        self.configuration = configuration
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration, logger: logger)
        try await runtime.run(rpcServices: [PolicyRPC()], migrations: PolicyMigrations.all)
    }
}
