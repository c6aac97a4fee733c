import Foundation
import GRPCCore
import GRPCInProcessTransport
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import PolicyService

/// A clock the tests move by hand.
final class ManualClock: Sendable {
    private let instant: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        self.instant = Mutex(start)
    }

    var now: Date { self.instant.withLock { $0 } }
    func advance(by seconds: TimeInterval) { self.instant.withLock { $0 = $0.addingTimeInterval(seconds) } }
    func set(_ date: Date) { self.instant.withLock { $0 = date } }
}

/// policy-service's handlers over the in-process transport, on a migrated test database, with a
/// manual clock.
struct PolicyHarness {
    let client: Inbox_V1_PolicyService.Client<InProcessTransport.Client>
    let repository: PolicyRepository
    let clock: ManualClock
    let database: PostgresClient

    func sweeper() -> InboxSweeper {
        InboxSweeper(
            repository: self.repository, cache: IngestFactsCache(ttl: .zero), interval: .seconds(60),
            now: { [clock] in clock.now }, logger: Logger(label: "sweeper"))
    }

    static func with<T: Sendable>(_ body: (PolicyHarness) async throws -> T) async throws -> T {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .policyService), schema: "policy") { postgres in
                try await MigrationRunner(schema: "policy", migrations: PolicyMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                let clock = ManualClock()
                let repository = PolicyRepository(client: postgres, logger: Logger(label: "policy-test"))
                let rpc = PolicyRPC(
                    repository: repository, cache: IngestFactsCache(ttl: .zero), defaultInactivityDays: 60,
                    now: { [clock] in clock.now })
                return try await withInProcessServer(services: [rpc]) { client in
                    try await body(
                        PolicyHarness(
                            client: .init(wrapping: client), repository: repository, clock: clock, database: postgres))
                }
            }
        }
    }

    static func metadata(_ role: Caller.Role, _ organization: String? = nil) async throws -> Metadata {
        try await TestTokens.metadata(role, organization: organization)
    }

    /// A new organisation (as an operator would create it).
    func organization(_ name: String = "Acme", plan: Inbox_V1_Plan = .standard, timeZone: String = "Europe/Paris")
        async throws -> Inbox_V1_Organization
    {
        try await self.client.createOrganization(
            .with {
                $0.name = name
                $0.plan = plan
                $0.timeZone = timeZone
            }, metadata: try await Self.metadata(.operator))
    }
}
