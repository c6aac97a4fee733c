import Foundation
import GRPCCore
import GRPCInProcessTransport
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import SwiftProtobuf
import Synchronization
import TestSupport
import Testing

@testable import AssignmentService

/// policy-service's answer as the tests set it: every inbox active until `deactivate`.
final class InboxStates: InboxStateSource {
    private let deactivated = Mutex<Set<String>>([])

    func deactivate(_ organizationID: String) { self.deactivated.withLock { _ = $0.insert(organizationID) } }
    func activate(_ organizationID: String) { self.deactivated.withLock { _ = $0.remove(organizationID) } }

    func isActive(organizationID: String) async throws -> Bool {
        self.deactivated.withLock { !$0.contains(organizationID) }
    }
}

/// assignment-service's handlers over the in-process transport on a migrated test database, with
/// an in-memory stand-in for policy-service.
struct AssignmentHarness {
    static let organization = "org-test"

    let client: Inbox_V1_AssignmentService.Client<InProcessTransport.Client>
    let database: PostgresClient
    let inbox: InboxStates

    static func rpc(_ postgres: PostgresClient, _ inbox: InboxStates) -> AssignmentRPC {
        AssignmentRPC(
            repository: AssignmentRepository(client: postgres, logger: Logger(label: "assignment-test")),
            inbox: inbox, now: { Date() })
    }

    static func with<T: Sendable>(_ body: (AssignmentHarness) async throws -> T) async throws -> T {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .assignmentService), schema: "assignment") { postgres in
                try await MigrationRunner(schema: "assignment", migrations: AssignmentMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                let inbox = InboxStates()
                return try await withInProcessServer(services: [Self.rpc(postgres, inbox)]) { client in
                    try await body(AssignmentHarness(client: .init(wrapping: client), database: postgres, inbox: inbox))
                }
            }
        }
    }

    /// Two replicas (each its own pool and server) on one database.
    static func withTwoReplicas<T: Sendable>(
        _ body: (AssignmentHarness, Inbox_V1_AssignmentService.Client<InProcessTransport.Client>) async throws -> T
    ) async throws -> T {
        try await withTestDatabase { database in
            let url = database.url(for: .assignmentService)
            return try await withPostgresClient(url, schema: "assignment") { first in
                try await MigrationRunner(schema: "assignment", migrations: AssignmentMigrations.all)
                    .migrate(first, logger: Logger(label: "migrations"))
                let inbox = InboxStates()
                return try await withPostgresClient(url, schema: "assignment") { second in
                    try await withInProcessServer(services: [Self.rpc(first, inbox)]) { one in
                        try await withInProcessServer(services: [Self.rpc(second, inbox)]) { two in
                            try await body(
                                AssignmentHarness(client: .init(wrapping: one), database: first, inbox: inbox),
                                .init(wrapping: two))
                        }
                    }
                }
            }
        }
    }

    static func admin(_ organization: String = Self.organization) async throws -> Metadata {
        ["authorization": "Bearer \(try await TestTokens.token(.admin, organization: organization, agent: "boss"))"]
    }

    static func agent(_ id: String, _ organization: String = Self.organization) async throws -> Metadata {
        ["authorization": "Bearer \(try await TestTokens.token(.agent, organization: organization, agent: id))"]
    }

    static func service() async throws -> Metadata { try await TestTokens.metadata(.service) }

    func team(_ name: String, away: Inbox_V1_AwayPolicy = .returnToQueue) async throws -> Inbox_V1_Team {
        try await self.client.createTeam(
            .with {
                $0.name = name
                $0.awayPolicy = away
            }, metadata: Self.admin())
    }

    @discardableResult
    func agent(
        _ id: String, teams: [Inbox_V1_Team], capacity: Int32 = 10, online: Bool = true,
        weights: [Inbox_V1_ConversationWeight] = []
    ) async throws -> Inbox_V1_Agent {
        _ = try await self.client.upsertAgent(
            .with {
                $0.agent = .with {
                    $0.id = id
                    $0.displayName = id.capitalized
                    $0.teamIds = teams.map(\.id)
                    $0.capacity = capacity
                    $0.weights = weights
                }
            }, metadata: Self.admin())
        return try await self.availability(id, online ? .online : .offline)
    }

    @discardableResult
    func availability(_ id: String, _ availability: Inbox_V1_Availability) async throws -> Inbox_V1_Agent {
        try await self.client.setAgentAvailability(
            .with {
                $0.agentID = id
                $0.availability = availability
            }, metadata: Self.admin())
    }

    /// A rule sending every Facebook and Instagram conversation to `team`.
    @discardableResult
    func rule(_ name: String, to team: Inbox_V1_Team, priority: Int32 = 100, keywords: [String] = [])
        async throws -> Inbox_V1_RoutingRule
    {
        try await self.client.createRoutingRule(
            .with {
                $0.rule = .with {
                    $0.name = name
                    $0.priority = priority
                    $0.teamID = team.id
                    $0.condition = .with {
                        if keywords.isEmpty { $0.platforms = [.facebook, .instagram] } else { $0.keywords = keywords }
                    }
                }
            }, metadata: Self.admin())
    }

    static func conversation(
        _ id: String, key: String? = nil, respondBy: Date? = nil, text: String = "hello",
        organization: String = Self.organization
    ) -> Inbox_V1_ConversationToRoute {
        .with {
            $0.organizationID = organization
            $0.conversationID = id
            $0.routeKey = key ?? "route-\(id)"
            $0.platform = .facebook
            $0.kind = .directMessage
            $0.text = text
            if let respondBy { $0.respondBy = Google_Protobuf_Timestamp(date: respondBy) }
        }
    }

    func route(_ conversations: [Inbox_V1_ConversationToRoute]) async throws -> [Inbox_V1_RouteResult] {
        try await self.client.routeConversation(
            .with { $0.conversations = conversations }, metadata: Self.service()
        ).results
    }

    func assignment(_ conversationID: String) async throws -> Inbox_V1_Assignment {
        try await self.client.getAssignment(.with { $0.conversationID = conversationID }, metadata: Self.admin())
    }

    /// Agent id → assigned conversation ids, read from the database.
    func assignedByAgent() async throws -> [String: [String]] {
        let rows = try await self.database.query(
            "SELECT agent_id, conversation_id FROM assignments WHERE state = 'assigned' ORDER BY conversation_id")
        var result: [String: [String]] = [:]
        for try await (agent, conversation) in rows.decode((String, String).self) {
            result[agent, default: []].append(conversation)
        }
        return result
    }
}
