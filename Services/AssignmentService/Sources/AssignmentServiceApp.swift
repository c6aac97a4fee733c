import InboxKit
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// assignment-service's own settings, beside the common ones.
public struct AssignmentConfiguration: Sendable {
    public var common: ServiceConfiguration
    /// `ESCALATION_WINDOW_MINUTES` (default 120, 0 turns escalation off): a conversation whose
    /// reply window or SLA ends within this is escalated — routed ahead of the normal order,
    /// first in its team's queue, and flagged.
    public var escalationWindow: Duration

    public init(common: ServiceConfiguration, escalationWindow: Duration = .seconds(2 * 3600)) {
        self.common = common
        self.escalationWindow = escalationWindow
    }

    public static func load(from environment: Environment) throws -> AssignmentConfiguration {
        let minutes = try environment.integer("ESCALATION_WINDOW_MINUTES", default: 120, range: 0...10_080)
        return AssignmentConfiguration(
            common: try ServiceConfiguration.load(.assignmentService, from: environment),
            escalationWindow: .seconds(60 * minutes))
    }
}

/// The composition root of AssignmentService.
public struct AssignmentServiceApp: Sendable {
    public let configuration: AssignmentConfiguration
    let now: @Sendable () -> Date

    public init(configuration: AssignmentConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.now = now
    }

    public init(configuration: ServiceConfiguration) {
        self.init(configuration: AssignmentConfiguration(common: configuration))
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration.common, logger: logger)
        let rpc = AssignmentRPC(
            repository: AssignmentRepository(client: runtime.database, logger: logger),
            inbox: PolicyInboxState(policy: runtime.peers.policy), now: self.now,
            escalation: Escalation(window: TimeInterval(self.configuration.escalationWindow.components.seconds)))
        let outbox = ReadModelOutbox(
            client: runtime.database,
            sink: PeerReadModelSink(conversation: runtime.peers.conversation, policy: runtime.peers.policy),
            logger: logger)
        try await runtime.run(rpcServices: [rpc], migrations: AssignmentMigrations.all, background: [outbox])
    }
}
