import InboxKit
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension DeliveryRepository {
    /// Moves the deliveries these statuses name (by organisation, channel and platform message id)
    /// forward, in ONE statement inside the caller's transaction (the relay's round): DELIVERED,
    /// READ, or FAILED with the platform's reason, only where ``OutboundDeliveryState/canMove(to:)``
    /// allows, so a stale or repeated status changes nothing. Returns how many deliveries moved.
    ///
    /// The rows are locked in one order (organisation, id) before they are written, so two relay
    /// rounds with statuses of the same messages wait for each other instead of deadlocking, and
    /// the write checks the move again against the row as it is then. No status is queued for
    /// conversation-service: it applies the same status from the relayed event itself.
    func applyPlatformStatuses(
        _ statuses: [ReportedDeliveryStatus], now: Date, on connection: PostgresConnection
    ) async throws -> Int {
        let folded = ReportedDeliveryStatus.folded(statuses)
        guard !folded.isEmpty else { return 0 }
        // The allowed moves, from the one rule.
        let moves = OutboundDeliveryState.allCases.flatMap { from in
            OutboundDeliveryState.allCases.filter { from.canMove(to: $0) }.map { (from: from, to: $0) }
        }
        let rows = try await connection.query(
            """
            WITH reported AS (
                SELECT * FROM unnest(\(folded.map(\.organizationID))::text[], \(folded.map(\.channelID))::uuid[],
                    \(folded.map(\.platformMessageID))::text[], \(folded.map(\.state.rawValue))::text[],
                    \(folded.map { $0.failureReason?.rawValue ?? "" })::text[],
                    \(folded.map { $0.failureDetail ?? "" })::text[])
                    AS r(organization_id, channel_id, platform_message_id, state, failure_reason, failure_detail)
            ), moves AS (
                SELECT * FROM unnest(\(moves.map { $0.from.rawValue })::text[], \(moves.map { $0.to.rawValue })::text[])
                    AS m(from_state, to_state)
            ), locked AS (
                SELECT d.organization_id, d.id, r.state, r.failure_reason, r.failure_detail
                FROM reported AS r
                JOIN outbound_deliveries AS d ON d.organization_id = r.organization_id
                    AND d.channel_id = r.channel_id AND d.platform_message_id = r.platform_message_id
                JOIN moves AS m ON m.from_state = d.state AND m.to_state = r.state
                WHERE d.platform_message_id IS NOT NULL
                ORDER BY d.organization_id, d.id
                FOR UPDATE OF d
            ), moved AS (
                UPDATE outbound_deliveries AS d SET state = l.state, failure_reason = NULLIF(l.failure_reason, ''),
                    failure_detail = NULLIF(l.failure_detail, ''), updated_at = \(now)
                FROM locked AS l
                WHERE d.organization_id = l.organization_id AND d.id = l.id
                    AND (d.state, l.state) IN (SELECT from_state, to_state FROM moves)
                RETURNING d.id
            )
            SELECT count(*)::bigint FROM moved
            """,
            logger: self.logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}
