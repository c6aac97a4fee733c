import InboxKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An AWAITING_CONTENT row the content fetcher claimed.
struct ClaimedContentFetch: Sendable {
    var id: UUID
    var channelID: UUID
    var platform: Platform
    /// The stored `inbox.v1.InboundEvent`, protobuf-encoded.
    var event: [UInt8]
    /// The ``ContentFetch`` step as stored (`content_fetch`, JSON); nil when the row has none.
    var step: String?
    /// Tries so far, this one included.
    var attempts: Int
    var receivedAt: Date
}

/// Where a claimed AWAITING_CONTENT row goes after its fetch.
struct ContentFetchSettlement: Sendable {
    var id: UUID
    /// The claim's count of tries: a row claimed again since (this claim ran out) is the newer
    /// claim's, and this settlement leaves it alone.
    var attempts: Int
    /// PENDING (handed to the relay: step cleared, tries reset) or AWAITING_CONTENT (tried again at
    /// `nextAttemptAt`).
    var state: StoredInboundState
    /// The event to store (with its content, or flagged `content_incomplete`); nil keeps the stored one.
    var event: [UInt8]?
    var error: String?
    var nextAttemptAt: Date
}

extension InboundLog {
    /// Claims up to `limit` due AWAITING_CONTENT rows (`FOR UPDATE SKIP LOCKED`: replicas never
    /// claim one row at once) until `until`, counting the try. A fetcher that dies mid-round leaves
    /// its rows to the others once the claim expires; a fetch is a read, so doing it twice is harmless.
    func claimAwaitingContent(limit: Int, now: Date, until: Date) async throws -> [ClaimedContentFetch] {
        let rows = try await self.client.query(
            """
            UPDATE inbound_events AS e SET next_attempt_at = \(until), attempts = e.attempts + 1
            FROM (SELECT id FROM inbound_events WHERE state = 'awaiting_content' AND next_attempt_at <= \(now)
                  ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED) AS due
            WHERE e.id = due.id
            RETURNING e.id, e.channel_id, e.platform, e.event, e.content_fetch::text, e.attempts, e.received_at
            """,
            logger: self.logger)
        var claimed: [ClaimedContentFetch] = []
        for try await row in rows.decode((UUID, UUID, String, ByteBuffer, String?, Int, Date).self) {
            claimed.append(
                ClaimedContentFetch(
                    id: row.0, channelID: row.1, platform: Platform(rawValue: row.2) ?? .facebook,
                    event: Array(buffer: row.3), step: row.4, attempts: row.5, receivedAt: row.6))
        }
        return claimed.sorted { $0.receivedAt < $1.receivedAt }
    }

    /// Applies a round's fetches in one statement; rows that became PENDING are signalled on
    /// ``notifyChannel`` (at commit, once), so that every replica's relay sends them at once.
    /// Returns how many became PENDING.
    ///
    /// Only a row still AWAITING_CONTENT under the same claim changes: one whose claim ran out and
    /// was claimed again, or that an operator moved meanwhile, is left as it is.
    @discardableResult
    func settleContentFetches(_ settlements: [ContentFetchSettlement]) async throws -> Int {
        guard !settlements.isEmpty else { return 0 }
        let rows = try await self.client.query(
            """
            WITH settled AS (
                UPDATE inbound_events AS e SET state = s.state,
                    event = CASE WHEN s.has_event THEN s.event ELSE e.event END,
                    content_fetch = CASE WHEN s.state = 'pending' THEN NULL ELSE e.content_fetch END,
                    attempts = CASE WHEN s.state = 'pending' THEN 0 ELSE e.attempts END,
                    last_error = NULLIF(s.error, ''), next_attempt_at = s.next_attempt_at
                FROM unnest(\(settlements.map(\.id))::uuid[], \(settlements.map(\.attempts))::bigint[],
                    \(settlements.map(\.state.rawValue))::text[],
                    \(settlements.map { ByteBuffer(bytes: $0.event ?? []) })::bytea[],
                    \(settlements.map { $0.event != nil })::boolean[], \(settlements.map { $0.error ?? "" })::text[],
                    \(settlements.map(\.nextAttemptAt))::timestamptz[])
                    AS s(id, attempts, state, event, has_event, error, next_attempt_at)
                WHERE e.id = s.id AND e.state = 'awaiting_content' AND e.attempts = s.attempts
                RETURNING e.state
            )
            SELECT count(*)::bigint, CASE WHEN count(*) > 0 THEN pg_notify(\(Self.notifyChannel), '')::text ELSE '' END
            FROM settled WHERE state = 'pending'
            """,
            logger: self.logger)
        for try await (count, _) in rows.decode((Int64, String).self) { return Int(count) }
        return 0
    }
}
