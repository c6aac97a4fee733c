import InboxAPI
import InboxKit
import NIOCore
import PostgresNIO
import SwiftProtobuf
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What an ingest, a reply or an edit leaves for after its commit (DESIGN.md §2): routing a new or
/// reopened conversation and releasing a resolved one (assignment-service), offering a customer
/// message to the automatic replies (policy-service), recording activity (policy-service). A row
/// per subject: enqueued in the same transaction as the change that caused it, retried until it
/// succeeds, done once. (The worker takes the kinds in this order each round: a resolution's
/// release before the next reopening's route.)
enum FollowUpKind: String, Sendable, CaseIterable {
    /// Payload: `Inbox_V1_ConversationToRelease`; subject: "<conversation id>:<reopen count>" when
    /// it was resolved, so each resolution is released once (the route of the same opening has
    /// that subject too, and the reopening's route "<id>:<count + 1>").
    case release
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
        let subject = "\(kind.rawValue):\(bucket)"
        // Every reply of the organisation in these 5 minutes names the same row: each one
        // inserting it would wait on the conflict check for another reply's uncommitted insert.
        // This replica queues it once per bucket. (A reply rolled back after queuing it leaves the
        // bucket unreported by this replica: the next one reports; the inactivity rule counts days.)
        guard self.activityBuckets.first("\(organizationID) \(kind.rawValue)", bucket: bucket) else { return }
        try await self.enqueueFollowUp(
            .activity, organizationID: organizationID, subject: subject,
            payload: Inbox_V1_RecordActivityRequest.with {
                $0.organizationID = organizationID
                $0.kind = kind
                $0.occurredAt = .init(date: time)
                $0.agentID = agentID ?? ""
            },
            on: connection)
    }

    /// Releases the conversation's assignment (assignment-service) now that it is resolved, once
    /// per resolution (in the caller's transaction, the conversation locked).
    func enqueueRelease(_ conversation: ConversationRecord, on connection: PostgresConnection) async throws {
        try await self.enqueueFollowUp(
            .release, organizationID: conversation.organizationID,
            subject: FollowUpKind.subject(conversation.id, reopenCount: conversation.reopenCount),
            payload: Inbox_V1_ConversationToRelease.with {
                $0.organizationID = conversation.organizationID
                $0.conversationID = conversation.id.text
                $0.reason = .resolved
            },
            on: connection)
    }
}

extension FollowUpKind {
    /// A route's or a release's subject: the conversation and its reopen count.
    static func subject(_ conversationID: UUID, reopenCount: Int) -> String { "\(conversationID.text):\(reopenCount)" }

    /// The follow-up that must be done before this one, so that one conversation's routes and
    /// releases reach assignment-service in the order they happened: the release of resolution
    /// n waits for the route of opening n, the route of reopening n + 1 for the release of
    /// resolution n. Nil for the other kinds and for subjects of another shape.
    func predecessor(of subject: String) -> (kind: FollowUpKind, subject: String)? {
        guard let colon = subject.lastIndex(of: ":"), let count = Int(subject[subject.index(after: colon)...]),
            count >= 0
        else { return nil }
        let conversation = subject[..<colon]
        switch self {
        case .release: return (.route, "\(conversation):\(count)")
        case .route: return count > 0 ? (.release, "\(conversation):\(count - 1)") : nil
        case .autoReply, .activity: return nil
        }
    }
}

/// The activity buckets this replica has queued (``ConversationRepository/enqueueActivity``):
/// per organisation and kind, the latest bucket only.
final class ActivityBuckets: Sendable {
    private let queued = Mutex<[String: Int]>([:])

    /// True the first time `key` is seen in `bucket` (and remembers it).
    func first(_ key: String, bucket: Int) -> Bool {
        self.queued.withLock { queued in
            if let seen = queued[key], seen >= bucket { return false }
            queued[key] = bucket
            return true
        }
    }
}
