import Foundation
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import ConversationService

/// Every listing query shape is backed by an index: the exact SQL the repository runs (its
/// builders are shared with the handlers) is EXPLAINed over a few thousand rows with sequential
/// scans disabled, and the plan must name the index the shape was designed for. The plans are
/// printed (the README quotes them).
@Suite("conversation-service: every listing query uses its index")
struct QueryPlanTests {
    @Test func everyListingShapeUsesItsIndex() async throws {
        try await ConversationHarness.with { h in
            try await Self.load(h.database)
            let organization = ConversationHarness.organization
            let (conversation, contact) = try await Self.sample(h.database, organization: organization)
            func conversationsQuery(_ configure: (inout ConversationListing) -> Void) -> PostgresQuery {
                var listing = ConversationListing(organizationID: organization, limit: 51)
                configure(&listing)
                return ConversationRepository.listConversationsQuery(listing)
            }
            var shapes: [(name: String, query: PostgresQuery, index: String)] = []
            shapes.append(("conversations, unfiltered", conversationsQuery { _ in }, "conversations_newest"))
            let cursor = TimeCursor(micros: 1_900_000_000_000_000, id: UUID())
            shapes.append(
                ("conversations, next page", conversationsQuery { $0.after = cursor }, "conversations_newest"))
            shapes.append(
                ("conversations by status", conversationsQuery { $0.statuses = [.open] }, "conversations_by_status"))
            shapes.append(
                (
                    "conversations by assignee", conversationsQuery { $0.assigneeAgentID = "agent-3" },
                    "conversations_by_assignee"
                ))
            shapes.append(
                ("conversations by team", conversationsQuery { $0.teamID = "team-2" }, "conversations_by_team"))
            shapes.append(
                (
                    "conversations unassigned", conversationsQuery { $0.unassignedOnly = true },
                    "conversations_unassigned"
                ))
            shapes.append(
                (
                    "conversations by channel", conversationsQuery { $0.channelID = "channel-2" },
                    "conversations_by_channel"
                ))
            shapes.append(
                ("conversations by contact", conversationsQuery { $0.contactID = contact }, "conversations_by_contact"))
            shapes.append(("conversations by text", conversationsQuery { $0.text = "word17" }, "messages_search"))
            let newest = ConversationRepository.listMessagesQuery(
                organizationID: organization, conversationID: conversation, oldestFirst: false, after: nil, limit: 51)
            shapes.append(("messages, newest first", newest, "messages_by_conversation"))
            let oldest = ConversationRepository.listMessagesQuery(
                organizationID: organization, conversationID: conversation, oldestFirst: true,
                after: TimeCursor(micros: 0, id: UUID()), limit: 51)
            shapes.append(("messages, oldest first, next page", oldest, "messages_by_conversation"))
            let byName = ConversationRepository.listContactsQuery(
                organizationID: organization, query: nil, after: ("Customer 5", UUID()), limit: 51)
            shapes.append(("contacts by name, next page", byName, "contacts_by_name"))
            let byWords = ConversationRepository.listContactsQuery(
                organizationID: organization, query: "cust 12", after: nil, limit: 51)
            shapes.append(("contacts by query", byWords, "contacts_search"))
            for shape in shapes {
                let plan = try await Self.explain(shape.query, on: h.database)
                print("EXPLAIN (\(shape.name)):\n\(plan)\n")
                #expect(plan.contains(shape.index), "\(shape.name) should use \(shape.index):\n\(plan)")
                #expect(!plan.contains("Seq Scan on conversations"), "\(shape.name)")
                #expect(!plan.contains("Seq Scan on messages"), "\(shape.name)")
            }
        }
    }

    /// 2,000 conversations (a tenth in another organisation) with 5 messages each, 2,000
    /// contacts; analysed, so the planner chooses from real statistics.
    private static func load(_ database: PostgresClient) async throws {
        try await database.query(
            """
            INSERT INTO conversations (organization_id, id, channel_id, platform, kind, thread_key, status, contact_id,
                tags, assignee_agent_id, assignee_team_id, last_message_at)
            SELECT CASE WHEN g % 10 = 0 THEN 'org-other' ELSE \(ConversationHarness.organization) END,
                gen_random_uuid(), 'channel-' || (g % 5), 'facebook', 'direct_message', 'thread-' || g,
                (ARRAY['open', 'pending', 'resolved'])[1 + g % 3], gen_random_uuid(), ARRAY['tag' || (g % 7)],
                CASE WHEN g % 4 = 0 THEN NULL ELSE 'agent-' || (g % 9) END, 'team-' || (g % 6),
                now() - g * interval '1 minute'
            FROM generate_series(1, 2000) g
            """)
        try await database.query(
            """
            INSERT INTO messages (organization_id, id, conversation_id, channel_id, direction, body, platform_time)
            SELECT c.organization_id, gen_random_uuid(), c.id, c.channel_id, 'inbound',
                'bonjour café ' || s || ' word' || (abs(hashtext(c.id::text || s)) % 500),
                c.last_message_at - s * interval '1 second'
            FROM conversations c, generate_series(1, 5) s
            """)
        try await database.query(
            """
            INSERT INTO contacts (organization_id, id, display_name, search)
            SELECT \(ConversationHarness.organization), gen_random_uuid(), 'Customer ' || g,
                to_tsvector('simple', fold('Customer ' || g || ' customer-' || g))
            FROM generate_series(1, 2000) g
            """)
        for table in ["conversations", "messages", "contacts"] {
            try await database.query(PostgresQuery(unsafeSQL: "ANALYZE \(table)"))
        }
    }

    /// A conversation and a contact id of the organisation.
    private static func sample(_ database: PostgresClient, organization: String) async throws -> (UUID, UUID) {
        let rows = try await database.query(
            "SELECT id, contact_id FROM conversations WHERE organization_id = \(organization) LIMIT 1")
        for try await (id, contact) in rows.decode((UUID, UUID).self) { return (id, contact) }
        throw TestDatabaseError("the loaded conversations are missing")
    }

    /// The plan of `query` (with its parameters bound, as it runs) when sequential scans are off.
    private static func explain(_ query: PostgresQuery, on database: PostgresClient) async throws -> String {
        let logger = Logger(label: "query-plans")
        return try await database.withTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL enable_seqscan = off", logger: logger)
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "EXPLAIN " + query.sql, binds: query.binds), logger: logger)
            var lines: [String] = []
            for try await line in rows.decode(String.self) { lines.append(line) }
            return lines.joined(separator: "\n")
        }
    }
}
