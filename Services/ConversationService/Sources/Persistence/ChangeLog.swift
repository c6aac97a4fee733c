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

/// What a change did, as the change log stores it (the watch's event types).
enum ChangeType: String, Sendable {
    case conversationCreated = "conversation_created"
    case conversationUpdated = "conversation_updated"
    case messageCreated = "message_created"
    case messageUpdated = "message_updated"

    var proto: Inbox_V1_ConversationEventType {
        switch self {
        case .conversationCreated: .conversationCreated
        case .conversationUpdated: .conversationUpdated
        case .messageCreated: .messageCreated
        case .messageUpdated: .messageUpdated
        }
    }
}

/// The changes one transaction makes, collected while it runs and written at its end
/// (``ConversationRepository/record(_:on:now:)``).
struct ChangeSet: Sendable {
    struct Item: Sendable {
        var organizationID: String
        var type: ChangeType
        var conversationID: UUID
        var messageID: UUID?
    }

    private(set) var items: [Item] = []
    /// Each touched conversation as it was before this transaction changed it (absent: created here,
    /// or not loaded): what a watcher needs to tell that a conversation left its filter.
    private(set) var before: [UUID: Inbox_V1_Conversation] = [:]

    var isEmpty: Bool { self.items.isEmpty }

    mutating func add(_ type: ChangeType, organizationID: String, conversationID: UUID, messageID: UUID? = nil) {
        self.items.append(
            Item(organizationID: organizationID, type: type, conversationID: conversationID, messageID: messageID))
    }

    /// Remembers the state before the first change of this transaction (later calls keep the first).
    mutating func noteBefore(_ conversation: Inbox_V1_Conversation, id: UUID) {
        if self.before[id] == nil { self.before[id] = conversation }
    }
}

extension ConversationRepository {
    /// The NOTIFY channel of the change log; the payload is `<organization id> <last seq>`.
    static let changeChannel = "conversation_changes"

    /// Writes `changes` to the change log inside the caller's transaction: snapshots of the
    /// conversations and messages as this transaction leaves them, numbered from one sequence and
    /// marked with this transaction's id (no lock: writers of one organisation do not wait for
    /// each other; readers order changes by transaction and number, and take only changes of
    /// transactions older than every running one, ``ConversationRepository/changes(after:organizationID:limit:)``),
    /// and one NOTIFY per organisation (delivered by PostgreSQL at commit, to every replica).
    func record(_ changes: ChangeSet, on connection: PostgresConnection, now: Date) async throws {
        guard !changes.isEmpty else { return }
        let conversationKeys = Set(
            changes.items.map { ConversationKey(organizationID: $0.organizationID, id: $0.conversationID) })
        let messageKeys = Set(
            changes.items.compactMap { item in
                item.messageID.map { ConversationKey(organizationID: item.organizationID, id: $0) }
            })
        let conversations = try await self.conversations(Array(conversationKeys), on: connection)
        let messages = try await self.messages(Array(messageKeys), on: connection)

        var organizations: [String] = []
        var types: [String] = []
        var ids: [UUID] = []
        var snapshots: [ByteBuffer] = []
        var befores: [ByteBuffer] = []
        var messageSnapshots: [ByteBuffer] = []
        // Every change of a conversation in one transaction carries the same two snapshots.
        var encoded: [UUID: (after: ByteBuffer, before: ByteBuffer)] = [:]
        for item in changes.items {
            guard let conversation = conversations[item.conversationID] else { continue }
            organizations.append(item.organizationID)
            types.append(item.type.rawValue)
            ids.append(item.conversationID)
            if encoded[item.conversationID] == nil {
                encoded[item.conversationID] = (
                    try Self.bytes(conversation.proto(now: now)),
                    try changes.before[item.conversationID].map(Self.bytes) ?? ByteBuffer()
                )
            }
            snapshots.append(encoded[item.conversationID]!.after)
            befores.append(encoded[item.conversationID]!.before)
            messageSnapshots.append(
                try item.messageID.flatMap { messages[$0] }.map { try Self.bytes($0.proto) } ?? ByteBuffer())
        }
        guard !organizations.isEmpty else { return }
        // An empty byte string stands for "none" (an array element cannot be NULL here). The
        // numbers follow the order of the changes (`ord`).
        let rows = try await connection.query(
            """
            INSERT INTO changes (organization_id, seq, tx, type, conversation_id, conversation, before, message,
                occurred_at)
            SELECT o, nextval('change_seq'), pg_current_xact_id(), t, c, snapshot, nullif(b, ''::bytea),
                nullif(m, ''::bytea), \(now)
            FROM (SELECT * FROM unnest(\(organizations)::text[], \(types)::text[], \(ids)::uuid[],
                \(snapshots)::bytea[], \(befores)::bytea[], \(messageSnapshots)::bytea[])
                WITH ORDINALITY AS x(o, t, c, snapshot, b, m, ord) ORDER BY ord) AS ordered
            RETURNING organization_id, seq
            """,
            logger: self.logger)
        var last: [String: Int64] = [:]
        for try await (organizationID, seq) in rows.decode((String, Int64).self) {
            last[organizationID] = max(last[organizationID] ?? seq, seq)
        }
        let notified = last.keys.sorted()
        try await connection.query(
            """
            SELECT pg_notify(\(Self.changeChannel), o || ' ' || s::text)
            FROM unnest(\(notified)::text[], \(notified.map { last[$0]! })::int8[]) AS x(o, s)
            """,
            logger: self.logger)
    }

    static func bytes(_ message: some SwiftProtobuf.Message) throws -> ByteBuffer {
        ByteBuffer(bytes: try message.serializedBytes() as [UInt8])
    }
}
