import InboxKit
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The composition root of AssignmentService.
public struct AssignmentServiceApp: Sendable {
    public let configuration: ServiceConfiguration
    let now: @Sendable () -> Date

    public init(configuration: ServiceConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.now = now
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration, logger: logger)
        let rpc = AssignmentRPC(
            repository: AssignmentRepository(client: runtime.database, logger: logger),
            inbox: PolicyInboxState(policy: runtime.peers.policy), now: self.now)
        let outbox = ReadModelOutbox(
            client: runtime.database,
            sink: PeerReadModelSink(conversation: runtime.peers.conversation, policy: runtime.peers.policy),
            logger: logger)
        try await runtime.run(rpcServices: [rpc], migrations: AssignmentMigrations.all, background: [outbox])
    }
}
