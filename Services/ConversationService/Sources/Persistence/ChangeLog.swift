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
/// (``ConversationRepository/record(_:on:now:)``), so the per-organisation counter row is locked
/// only from then until the commit.
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
    /// conversations and messages as this transaction leaves them, numbered per organisation from
    /// its counter (locked until commit, so numbers follow commit order), and one NOTIFY per
    /// organisation (delivered by PostgreSQL at commit, to every replica).
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

        var counts: [String: Int] = [:]
        for item in changes.items where conversations[item.conversationID] != nil {
            counts[item.organizationID, default: 0] += 1
        }
        var next: [String: Int64] = [:]
        var last: [String: Int64] = [:]
        for organizationID in counts.keys.sorted() {
            let count = counts[organizationID]!
            let rows = try await connection.query(
                """
                INSERT INTO change_counters (organization_id, value) VALUES (\(organizationID), \(count))
                ON CONFLICT (organization_id) DO UPDATE SET value = change_counters.value + EXCLUDED.value
                RETURNING value
                """,
                logger: self.logger)
            for try await value in rows.decode(Int64.self) {
                next[organizationID] = value - Int64(count) + 1
                last[organizationID] = value
            }
        }

        var organizations: [String] = []
        var seqs: [Int64] = []
        var types: [String] = []
        var ids: [UUID] = []
        var snapshots: [ByteBuffer] = []
        var befores: [ByteBuffer] = []
        var messageSnapshots: [ByteBuffer] = []
        // Every change of a conversation in one transaction carries the same two snapshots.
        var encoded: [UUID: (after: ByteBuffer, before: ByteBuffer)] = [:]
        for item in changes.items {
            guard let conversation = conversations[item.conversationID], let seq = next[item.organizationID] else {
                continue
            }
            next[item.organizationID] = seq + 1
            organizations.append(item.organizationID)
            seqs.append(seq)
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
        // An empty byte string stands for "none" (an array element cannot be NULL here).
        try await connection.query(
            """
            INSERT INTO changes (organization_id, seq, type, conversation_id, conversation, before, message, occurred_at)
            SELECT o, s, t, c, snapshot, nullif(b, ''::bytea), nullif(m, ''::bytea), \(now)
            FROM unnest(\(organizations)::text[], \(seqs)::int8[], \(types)::text[], \(ids)::uuid[],
                \(snapshots)::bytea[], \(befores)::bytea[], \(messageSnapshots)::bytea[]) AS x(o, s, t, c, snapshot, b, m)
            """,
            logger: self.logger)
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
