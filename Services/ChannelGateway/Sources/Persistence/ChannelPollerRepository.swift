import InboxKit
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A poller a round claimed: no other replica polls its channel until the claim ends or expires.
struct ClaimedPoller: Sendable, Hashable {
    var channelID: UUID
    var kind: PollerKind
    /// Every write of the round names it: a round whose claim expired (and was taken over) changes
    /// nothing any more.
    var claimID: UUID
    var watermark: Date?
    /// A sweep in progress: what it reads up to and where it goes on.
    var sweepUntil: Date?
    var cursor: String?
    var consecutiveFailures: Int
}

/// A channel's poller as GetChannelHealth reports it (`inbox.v1.PollerState`).
struct PollerStatus: Sendable, Hashable {
    var channelID: UUID
    var kind: PollerKind
    var enabled: Bool
    var watermark: Date?
    var lastPollAt: Date?
    /// While a replica polls, the end of its claim.
    var nextPollAt: Date
    var lastSuccessAt: Date?
    var lastError: String?
    var lastErrorAt: Date?
    var consecutiveFailures: Int
    /// A sweep spans rounds and is not finished yet.
    var isSweeping: Bool
}

/// `gateway.channel_pollers`: one poller per LinkedIn, Facebook, Instagram and TikTok channel, its
/// schedule, claim, watermark and health.
struct ChannelPollerRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Creates the pollers of the channels that have none yet (due at once, never swept); returns
    /// how many. Disconnected channels get none.
    @discardableResult
    func provision(channelID: UUID? = nil, now: Date) async throws -> Int {
        let kinds = PollerKind.allCases
        let rows = try await self.client.query(
            """
            WITH created AS (
                INSERT INTO channel_pollers (channel_id, kind, next_poll_at, created_at, updated_at)
                SELECT c.id, k.kind, \(now), \(now), \(now)
                FROM channels c
                JOIN unnest(\(kinds.map(\.platform.rawValue))::text[], \(kinds.map(\.rawValue))::text[])
                    AS k(platform, kind) ON k.platform = c.platform
                WHERE c.status <> 'disconnected' AND (\(channelID)::uuid IS NULL OR c.id = \(channelID))
                    AND NOT EXISTS (SELECT 1 FROM channel_pollers p WHERE p.channel_id = c.id)
                ON CONFLICT (channel_id) DO NOTHING
                RETURNING channel_id
            )
            SELECT count(*)::bigint FROM created
            """,
            logger: self.logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    /// Claims up to `limit` due pollers of connected channels until `until` (`FOR UPDATE SKIP
    /// LOCKED`: two replicas never claim one poller; the claim's end is the poller's
    /// `next_poll_at`, so a replica that dies leaves it to the others after it).
    func claimDue(limit: Int, claimID: UUID, now: Date, until: Date) async throws -> [ClaimedPoller] {
        let rows = try await self.client.query(
            """
            UPDATE channel_pollers AS p SET claim_id = \(claimID), next_poll_at = \(until), updated_at = \(now)
            FROM (SELECT q.channel_id FROM channel_pollers q JOIN channels c ON c.id = q.channel_id
                  WHERE q.enabled AND q.next_poll_at <= \(now) AND c.status <> 'disconnected'
                  ORDER BY q.next_poll_at LIMIT \(limit) FOR UPDATE OF q SKIP LOCKED) AS due
            WHERE p.channel_id = due.channel_id
            RETURNING \(unescaped: Self.claimColumns)
            """,
            logger: self.logger)
        return try await Self.claimed(rows, claimID: claimID)
    }

    /// Claims one channel's poller now, due or not ("on demand"), unless another round holds it;
    /// nil when it is held, disabled, absent or its channel disconnected.
    func claim(channelID: UUID, claimID: UUID, now: Date, until: Date) async throws -> ClaimedPoller? {
        let rows = try await self.client.query(
            """
            UPDATE channel_pollers AS p SET claim_id = \(claimID), next_poll_at = \(until), updated_at = \(now)
            FROM (SELECT q.channel_id FROM channel_pollers q JOIN channels c ON c.id = q.channel_id
                  WHERE q.channel_id = \(channelID) AND q.enabled AND c.status <> 'disconnected'
                      AND (q.claim_id IS NULL OR q.next_poll_at <= \(now))
                  FOR UPDATE OF q SKIP LOCKED) AS due
            WHERE p.channel_id = due.channel_id
            RETURNING \(unescaped: Self.claimColumns)
            """,
            logger: self.logger)
        return try await Self.claimed(rows, claimID: claimID).first
    }

    private static let claimColumns = """
        p.channel_id, p.kind, p.watermark, p.sweep_until, p.cursor, p.consecutive_failures
        """

    private static func claimed(_ rows: PostgresRowSequence, claimID: UUID) async throws -> [ClaimedPoller] {
        var result: [ClaimedPoller] = []
        for try await row in rows.decode((UUID, String, Date?, Date?, String?, Int).self) {
            guard let kind = PollerKind(rawValue: row.1) else { continue }
            result.append(
                ClaimedPoller(
                    channelID: row.0, kind: kind, claimID: claimID, watermark: row.2, sweepUntil: row.3,
                    cursor: row.4, consecutiveFailures: row.5))
        }
        return result
    }

    /// A page of a sweep is stored: the sweep goes on from `cursor` (the claim extended to
    /// `claimUntil`). Returns false when the claim was lost.
    @discardableResult
    func advance(
        _ poller: ClaimedPoller, cursor: String, sweepUntil: Date, now: Date, claimUntil: Date
    ) async throws -> Bool {
        try await self.update(
            poller,
            """
            UPDATE channel_pollers SET cursor = \(cursor), sweep_until = \(sweepUntil), next_poll_at = \(claimUntil),
                last_error = NULL, consecutive_failures = 0, updated_at = \(now)
            WHERE channel_id = \(poller.channelID) AND claim_id = \(poller.claimID)
            RETURNING channel_id
            """)
    }

    /// A sweep read everything up to `watermark` and its rows are committed: the watermark moves
    /// there (never back), the claim ends, the next sweep is due at `nextPollAt`.
    @discardableResult
    func completeSweep(_ poller: ClaimedPoller, watermark: Date, now: Date, nextPollAt: Date) async throws -> Bool {
        try await self.update(
            poller,
            """
            UPDATE channel_pollers SET watermark = GREATEST(watermark, \(watermark)), cursor = NULL, sweep_until = NULL,
                claim_id = NULL, last_poll_at = \(now), last_success_at = \(now), next_poll_at = \(nextPollAt),
                last_error = NULL, consecutive_failures = 0, updated_at = \(now)
            WHERE channel_id = \(poller.channelID) AND claim_id = \(poller.claimID)
            RETURNING channel_id
            """)
    }

    /// A round read its share of a longer sweep: the claim ends and the sweep goes on at
    /// `nextPollAt` (soon), from the cursor `advance` stored.
    @discardableResult
    func pause(_ poller: ClaimedPoller, now: Date, nextPollAt: Date) async throws -> Bool {
        try await self.update(
            poller,
            """
            UPDATE channel_pollers SET claim_id = NULL, last_poll_at = \(now), last_success_at = \(now),
                next_poll_at = \(nextPollAt), updated_at = \(now)
            WHERE channel_id = \(poller.channelID) AND claim_id = \(poller.claimID)
            RETURNING channel_id
            """)
    }

    /// A poll failed: the error is kept for health, the watermark stays, the poller comes due
    /// again at `nextPollAt`; with `restartSweep` the sweep in progress is dropped (the next one
    /// starts again from the watermark).
    @discardableResult
    func recordFailure(
        _ poller: ClaimedPoller, error: String, restartSweep: Bool, now: Date, nextPollAt: Date
    ) async throws -> Bool {
        try await self.update(
            poller,
            """
            UPDATE channel_pollers SET claim_id = NULL, last_poll_at = \(now), last_error = \(error),
                last_error_at = \(now), consecutive_failures = consecutive_failures + 1, next_poll_at = \(nextPollAt),
                cursor = CASE WHEN \(restartSweep)::boolean THEN NULL ELSE cursor END,
                sweep_until = CASE WHEN \(restartSweep)::boolean THEN NULL ELSE sweep_until END,
                updated_at = \(now)
            WHERE channel_id = \(poller.channelID) AND claim_id = \(poller.claimID)
            RETURNING channel_id
            """)
    }

    private func update(_ poller: ClaimedPoller, _ query: PostgresQuery) async throws -> Bool {
        let rows = try await self.client.query(query, logger: self.logger)
        for try await _ in rows { return true }
        return false
    }

    /// Turns a channel's poller on or off (it is created on first, when missing); returns false
    /// when the channel has no poller kind or is disconnected.
    @discardableResult
    func setEnabled(channelID: UUID, enabled: Bool, now: Date) async throws -> Bool {
        try await self.provision(channelID: channelID, now: now)
        let rows = try await self.client.query(
            """
            UPDATE channel_pollers SET enabled = \(enabled), updated_at = \(now)
            WHERE channel_id = \(channelID)
            RETURNING channel_id
            """,
            logger: self.logger)
        for try await _ in rows { return true }
        return false
    }

    /// The channel's poller for GetChannelHealth; nil when it has none (a platform without one,
    /// or not seen by a poll round yet).
    func pollerState(channelID: UUID) async throws -> PollerStatus? {
        let rows = try await self.client.query(
            """
            SELECT kind, enabled, watermark, last_poll_at, next_poll_at, last_success_at, last_error, last_error_at,
                consecutive_failures, cursor IS NOT NULL
            FROM channel_pollers WHERE channel_id = \(channelID)
            """,
            logger: self.logger)
        for try await row in rows.decode((String, Bool, Date?, Date?, Date, Date?, String?, Date?, Int, Bool).self) {
            guard let kind = PollerKind(rawValue: row.0) else { return nil }
            return PollerStatus(
                channelID: channelID, kind: kind, enabled: row.1, watermark: row.2, lastPollAt: row.3,
                nextPollAt: row.4, lastSuccessAt: row.5, lastError: row.6, lastErrorAt: row.7,
                consecutiveFailures: row.8, isSweeping: row.9)
        }
        return nil
    }

    /// The TikTok comments among `commentIDs` the channel has an `insert` event of, whatever its
    /// time: the webhook's event id carries its own `timestamp`, which need not be the listed
    /// `create_time` (``TikTokCommentsPoll``). `receivedSince` bounds the search (an index range
    /// on `(channel_id, received_at)`): a webhook about a comment came after the comment.
    func storedTikTokComments(channelID: UUID, commentIDs: [String], receivedSince: Date) async throws -> Set<String> {
        guard !commentIDs.isEmpty else { return [] }
        let rows = try await self.client.query(
            """
            SELECT DISTINCT split_part(platform_event_id, ':', 1) FROM inbound_events
            WHERE channel_id = \(channelID) AND received_at >= \(receivedSince)
                AND split_part(platform_event_id, ':', 2) = 'insert'
                AND split_part(platform_event_id, ':', 1) = ANY(\(commentIDs)::text[])
            """,
            logger: self.logger)
        var found = Set<String>()
        for try await id in rows.decode(String.self) { found.insert(id) }
        return found
    }
}
