import InboxKit
import Logging

/// The composition root of AssignmentService.
public struct AssignmentServiceApp: Sendable {
    public let configuration: ServiceConfiguration

    public init(configuration: ServiceConfiguration) {
        self.configuration = configuration
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration, logger: logger)
        try await runtime.run(rpcServices: [AssignmentRPC()], migrations: AssignmentMigrations.all)
    }
}
