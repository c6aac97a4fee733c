import InboxKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the inbound log stores of one row, in its words (`gateway.inbound_events.state`).
enum StoredInboundState: String, Sendable, Hashable, CaseIterable {
    case pending
    case delivered
    case held
    case deadLettered = "dead_lettered"
    case rejected
    case echo
    case unparsed
    case unrouted
    case awaitingContent = "awaiting_content"
}

/// One POST as received, stored once beside the rows it produced.
struct StoredDelivery: Sendable {
    var id: UUID
    var platform: Platform
    /// The channel the URL named (per-channel endpoint); nil on a shared endpoint.
    var channelID: UUID?
    var path: String
    var query: String
    var publicURL: String
    var headers: [WebhookRequest.Header]
    var body: [UInt8]
    var receivedAt: Date
}

/// One row of `gateway.inbound_events` to insert.
struct InboundRow: Sendable {
    var id: UUID
    var organizationID: String?
    var channelID: UUID?
    var platform: Platform
    var accountID: String
    var eventID: String
    var state: StoredInboundState
    /// The normalised `inbox.v1.InboundEvent`, protobuf-encoded.
    var event: [UInt8]
    var hidden: Bool
    var occurredAt: Date
    /// UNPARSED: the entry's raw text and path; the parser's error as `lastError`.
    var rawText: [UInt8]?
    var unparsedPath: String?
    var lastError: String?
    /// AWAITING_CONTENT: the step, as JSON.
    var contentFetch: String?
}

/// A delivery and its rows, committed together (one statement, so all or nothing).
struct InboundWrite: Sendable {
    var delivery: StoredDelivery
    var rows: [InboundRow]
}

/// `gateway.inbound_events` and `gateway.inbound_deliveries`: the durable inbound log.
struct InboundLog: Sendable {
    /// The NOTIFY channel a commit of new rows signals; every replica's relay LISTENs on it.
    static let notifyChannel = "inbound_events"

    let client: PostgresClient
    let logger: Logger

    /// Commits many deliveries in ONE statement (one transaction, one WAL flush): each delivery's
    /// rows are inserted unless their (channel, platform event id) — or, UNROUTED, (platform,
    /// account, event id) — is already stored, and the delivery's raw request is kept only if at
    /// least one of its rows is new. Returns the ids of the rows that were new.
    func store(_ writes: [InboundWrite]) async throws -> Set<UUID> {
        let deliveries = writes.map(\.delivery)
        let rows = writes.flatMap { write in write.rows.map { (write.delivery, $0) } }
        guard !rows.isEmpty else { return [] }
        let headers = try deliveries.map { delivery in
            String(
                decoding: try JSONEncoder().encode(delivery.headers.map { [$0.name, $0.value] }), as: UTF8.self)
        }
        let result = try await self.client.query(
            """
            WITH inserted AS (
                INSERT INTO inbound_events (id, delivery_id, organization_id, channel_id, platform, platform_account_id,
                    platform_event_id, state, raw_body, event, hidden, occurred_at, received_at, next_attempt_at,
                    content_fetch, unparsed_path, last_error)
                SELECT id, delivery_id, NULLIF(organization_id, ''), NULLIF(channel_id, '')::uuid, platform, account,
                    event_id, state, CASE WHEN unparsed_path = '' THEN NULL ELSE raw_text END, event, hidden,
                    occurred_at, received_at, received_at, NULLIF(content_fetch, '')::jsonb, NULLIF(unparsed_path, ''),
                    NULLIF(last_error, '')
                FROM unnest(\(rows.map(\.1.id))::uuid[], \(rows.map(\.0.id))::uuid[],
                    \(rows.map { $0.1.organizationID ?? "" })::text[], \(rows.map { $0.1.channelID?.text ?? "" })::text[],
                    \(rows.map(\.1.platform.rawValue))::text[], \(rows.map(\.1.accountID))::text[],
                    \(rows.map(\.1.eventID))::text[], \(rows.map(\.1.state.rawValue))::text[],
                    \(rows.map { ByteBuffer(bytes: $0.1.rawText ?? []) })::bytea[],
                    \(rows.map { ByteBuffer(bytes: $0.1.event) })::bytea[], \(rows.map(\.1.hidden))::boolean[],
                    \(rows.map(\.1.occurredAt))::timestamptz[], \(rows.map(\.0.receivedAt))::timestamptz[],
                    \(rows.map { $0.1.contentFetch ?? "" })::text[], \(rows.map { $0.1.unparsedPath ?? "" })::text[],
                    \(rows.map { $0.1.lastError ?? "" })::text[])
                    AS e(id, delivery_id, organization_id, channel_id, platform, account, event_id, state, raw_text, event,
                        hidden, occurred_at, received_at, content_fetch, unparsed_path, last_error)
                ON CONFLICT DO NOTHING
                RETURNING id, delivery_id, state
            ), kept AS (
                INSERT INTO inbound_deliveries (id, platform, channel_id, path, query, public_url, headers, raw_body,
                    received_at)
                SELECT d.id, d.platform, NULLIF(d.channel_id, '')::uuid, d.path, d.query, d.public_url,
                    d.headers::jsonb, d.body, d.received_at
                FROM unnest(\(deliveries.map(\.id))::uuid[], \(deliveries.map(\.platform.rawValue))::text[],
                    \(deliveries.map { $0.channelID?.text ?? "" })::text[], \(deliveries.map(\.path))::text[],
                    \(deliveries.map(\.query))::text[], \(deliveries.map(\.publicURL))::text[], \(headers)::text[],
                    \(deliveries.map { ByteBuffer(bytes: $0.body) })::bytea[],
                    \(deliveries.map(\.receivedAt))::timestamptz[])
                    AS d(id, platform, channel_id, path, query, public_url, headers, body, received_at)
                WHERE d.id IN (SELECT delivery_id FROM inserted)
                -- A replayed UNPARSED entry's delivery is stored already.
                ON CONFLICT (id) DO NOTHING
            )
            -- Notifications are sent at commit, once per transaction however many rows ask.
            SELECT id, pg_notify(\(Self.notifyChannel), '')::text FROM inserted
            """,
            logger: self.logger)
        var new = Set<UUID>()
        for try await (id, _) in result.decode((UUID, String).self) { new.insert(id) }
        return new
    }
}
