import InboxAPI
import InboxKit
import NIOCore
import PostgresNIO
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What an ingest or a reply leaves for after its commit (DESIGN.md §2): routing a new or reopened
/// conversation (assignment-service), offering a customer message to the automatic replies
/// (policy-service), recording activity (policy-service). A row per subject: enqueued in the same
/// transaction as the change that caused it, retried until it succeeds, done once.
enum FollowUpKind: String, Sendable, CaseIterable {
    /// Payload: `Inbox_V1_ConversationToRoute` (its route_key is the row's subject).
    case route
    /// Payload: `Inbox_V1_AutoReplyCandidate`; subject: the message id.
    case autoReply = "auto_reply"
    /// Payload: `Inbox_V1_RecordActivityRequest`; subject: kind and 5-minute bucket, so a burst of
    /// replies records activity once per organisation every few minutes.
    case activity
}

extension ConversationRepository {
    /// Adds the follow-up unless one with this subject exists (then nothing changes).
    func enqueueFollowUp(
        _ kind: FollowUpKind, organizationID: String, subject: String, payload: some SwiftProtobuf.Message,
        on connection: PostgresConnection
    ) async throws {
        let bytes: [UInt8] = try payload.serializedBytes()
        try await connection.query(
            """
            INSERT INTO follow_ups (organization_id, kind, subject, payload)
            VALUES (\(organizationID), \(kind.rawValue), \(subject), \(ByteBuffer(bytes: bytes)))
            ON CONFLICT (organization_id, kind, subject) DO NOTHING
            """,
            logger: self.logger)
    }

    /// Team-reply (or automatic-reply) activity, at most once per organisation per 5 minutes.
    func enqueueActivity(
        _ kind: Inbox_V1_ActivityKind, organizationID: String, agentID: String?, at time: Date,
        on connection: PostgresConnection
    ) async throws {
        let bucket = Int(time.timeIntervalSince1970 / 300)
        try await self.enqueueFollowUp(
            .activity, organizationID: organizationID, subject: "\(kind.rawValue):\(bucket)",
            payload: Inbox_V1_RecordActivityRequest.with {
                $0.organizationID = organizationID
                $0.kind = kind
                $0.occurredAt = .init(date: time)
                $0.agentID = agentID ?? ""
            },
            on: connection)
    }
}
