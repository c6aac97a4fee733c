import InboxAPI
import InboxKit
import InboxRules
import Logging
import NIOCore
import PostgresNIO
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One inbound event that passed validation (ConversationRPC+Ingest.swift), its enums resolved.
struct IngestItem: Sendable {
    var event: Inbox_V1_InboundEvent
    var platform: ReplyPlatform
    /// The conversation kind; events without one of their own (contact actions) open direct messages.
    var kind: ConversationKind
    var occurredAt: Date
}

/// What ingest did with one event: the RPC's `IngestResult` without the event id.
struct IngestedEvent: Sendable {
    var outcome: Inbox_V1_IngestOutcome
    var conversationID: UUID?
    var messageID: UUID?
    /// Why a FAILED event failed.
    var failure: DomainError?
    var retryable = false

    init(_ outcome: Inbox_V1_IngestOutcome, conversationID: UUID? = nil, messageID: UUID? = nil) {
        self.outcome = outcome
        self.conversationID = conversationID
        self.messageID = messageID
    }

    /// FAILED; `retryable` when the event may apply later (what it refers to has not arrived yet).
    static func failed(_ failure: DomainError, retryable: Bool) -> IngestedEvent {
        var result = IngestedEvent(.failed)
        result.failure = failure
        result.retryable = retryable
        return result
    }
}

/// One batch's outcome: a result per item, in the items' order, and how many follow-ups it queued.
struct IngestReport: Sendable {
    var results: [IngestedEvent]
    var followUps: Int
}

/// A follow-up to add (FollowUps.swift), its payload serialized.
struct QueuedFollowUp: Sendable {
    var kind: FollowUpKind
    var organizationID: String
    var subject: String
    var payload: [UInt8]
}

extension ConversationRepository {
    /// Applies validated events in ONE transaction (DESIGN.md §2) and answers a result per item, in
    /// order. A duplicate changes nothing; an event that cannot apply yet (a reaction to a message
    /// not stored yet) is FAILED and retryable while the others apply. Two batches about the same
    /// platform message (the relay retrying while the first attempt still runs) meet on its unique
    /// key: the second waits for the first and finds it stored. The batch's conversations are
    /// locked late, after its messages are inserted, in one sorted order, so batches about the
    /// same threads overlap for most of their work and wait for each other only while they update
    /// the conversations and write the change log; what still collides (a deadlock with another
    /// writer) is rolled back and run again by ``transaction(_:)``.
    /// `responseTargets`: the first-response target (seconds) of the organisations that have one,
    /// for the conversations' `first_response_due_at`.
    func ingest(_ items: [IngestItem], responseTargets: [String: Int64] = [:], now: Date) async throws
        -> IngestReport
    {
        guard !items.isEmpty else { return IngestReport(results: [], followUps: 0) }
        return try await self.transaction { connection in
            var batch = IngestBatch(repository: self, connection: connection, items: items, now: now)
            batch.responseTargets = responseTargets
            return try await batch.apply()
        }
    }

    /// Adds follow-ups in one statement: `enqueueFollowUp` for a batch (a queued subject keeps its row).
    func enqueueFollowUps(_ followUps: [QueuedFollowUp], on connection: PostgresConnection) async throws {
        guard !followUps.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO follow_ups (organization_id, kind, subject, payload)
            SELECT * FROM unnest(\(followUps.map(\.organizationID))::text[], \(followUps.map(\.kind.rawValue))::text[],
                \(followUps.map(\.subject))::text[], \(followUps.map { ByteBuffer(bytes: $0.payload) })::bytea[])
            ON CONFLICT (organization_id, kind, subject) DO NOTHING
            """,
            logger: self.logger)
    }
}

/// A conversation is unique per (organisation, channel, thread key).
private struct ThreadKey: Hashable {
    var organizationID: String
    var channelID: String
    var threadKey: String
}

/// A platform message is unique per (organisation, channel, platform message id).
private struct PlatformMessageKey: Hashable {
    var organizationID: String
    var channelID: String
    var platformMessageID: String
}

/// A customer's identity on one channel.
private struct IdentityKey: Hashable {
    var organizationID: String
    var channelID: String
    var platformUserID: String
}

/// A message stored before this batch, or by it.
private struct StoredMessage {
    var id: UUID
    var conversationID: UUID
    var direction: StoredDirection
    var deliveryState: StoredDeliveryState?
}

extension IngestItem {
    fileprivate var thread: ThreadKey {
        ThreadKey(
            organizationID: self.event.organizationID, channelID: self.event.channelID, threadKey: self.event.threadKey)
    }

    fileprivate var messageKey: PlatformMessageKey {
        PlatformMessageKey(
            organizationID: self.event.organizationID, channelID: self.event.channelID,
            platformMessageID: self.event.platformMessageID)
    }

    /// The author as a customer identity (nil when the platform named nobody).
    fileprivate var identity: IdentityKey? {
        let user = self.event.author.platformUserID
        guard !user.isEmpty else { return nil }
        return IdentityKey(
            organizationID: self.event.organizationID, channelID: self.event.channelID, platformUserID: user)
    }

    /// Our own message coming back: a team message, never a customer's.
    fileprivate var isEcho: Bool { self.event.flags.isEcho }

    /// Stored as a placeholder without its content (a platform display rule).
    fileprivate var isHidden: Bool { self.event.flags.hiddenByPlatformRule }
}

/// One IngestEvents batch inside its transaction, in these steps:
/// 1. look up the batch's existing conversations (their ids never change; nothing is locked yet);
/// 2. look up the platform messages the batch names;
/// 3. create the missing conversations (sorted; one a concurrent batch created first is looked up instead);
/// 4. upsert the customers' contacts;
/// 5. insert every new message in one statement;
/// 6. lock the conversations the batch changes (`FOR NO KEY UPDATE`, which the messages' foreign-key
///    checks of other batches do not wait for), in one sorted order, read as they are now, rename the
///    known customers whose name changed, and apply the new messages to the conversations in one
///    statement;
/// 7. apply the other events one by one in the batch's order (repeats, echoes of stored messages, edits,
///    deletions, delivery statuses, opt-outs, contact actions, reactions, visibility) — after the new
///    messages, so an edit in the same batch as its message finds it;
/// 8. queue the follow-ups (routing, automatic replies) and write the change log, last.
private struct IngestBatch {
    let repository: ConversationRepository
    let connection: PostgresConnection
    let items: [IngestItem]
    let now: Date
    var results: [IngestedEvent?]
    var changes = ChangeSet()
    /// The batch's conversations as they were before it (from step 6: locked and read again), by
    /// thread and by id.
    var threads: [ThreadKey: ConversationRecord] = [:]
    var conversations: [UUID: ConversationRecord] = [:]
    /// The id of each of the batch's conversations that exists (steps 1 and 3).
    var threadIDs: [ThreadKey: UUID] = [:]
    /// Conversations this batch created, and the item that created each.
    var creators: [UUID: Int] = [:]
    var stored: [PlatformMessageKey: StoredMessage] = [:]
    var contacts: [IdentityKey: UUID] = [:]
    /// The latest name, handle and avatar the batch saw of each customer known before it (applied
    /// in step 6, ``renameContacts()``).
    var seenAuthors: [IdentityKey: Inbox_V1_Author] = [:]
    /// Conversations to route (a customer's first message or action in them, or reopened), in order.
    var routes: [UUID: RouteNeed] = [:]
    var routeOrder: [UUID] = []
    var followUps: [QueuedFollowUp] = []
    var responseTargets: [String: Int64] = [:]

    init(repository: ConversationRepository, connection: PostgresConnection, items: [IngestItem], now: Date) {
        self.repository = repository
        self.connection = connection
        self.items = items
        self.now = now
        self.results = Array(repeating: nil, count: items.count)
    }

    var logger: Logger { self.repository.logger }

    mutating func apply() async throws -> IngestReport {
        let conversational = self.items.filter {
            [.message, .messageEdited, .messageDeleted, .contactAction].contains($0.event.type)
        }
        try await self.lookUp(Array(Set(conversational.map(\.thread))))
        try await self.loadStored(Array(Set(self.messageItems.map(\.messageKey))))
        let plan = self.plan()
        try await self.createConversations(plan.threads)
        try await self.upsertContacts(plan.inserts)
        let arrived = try await self.insertMessages(plan.inserts)
        try await self.lock(self.changedConversations(arrived))
        try await self.renameContacts()
        try await self.applyArrivals(arrived)
        for index in self.items.indices where self.results[index] == nil {
            self.results[index] = try await self.applyEvent(at: index)
        }
        self.queueRoutes()
        try await self.repository.enqueueFollowUps(self.followUps, on: self.connection)
        try await self.repository.record(self.changes, on: self.connection, now: self.now)
        return IngestReport(
            results: self.results.map {
                $0 ?? .failed(.unavailable("the event could not be applied; retry it"), retryable: true)
            },
            followUps: self.followUps.count)
    }

    /// The items that name a message of their own (created, edited or deleted).
    var messageItems: [IngestItem] {
        self.items.filter { [.message, .messageEdited, .messageDeleted].contains($0.event.type) }
    }

    // MARK: 1-3: conversations and stored messages

    /// Finds the ids of the conversations of these threads that exist, without locking them: a
    /// conversation's id never changes, and step 6 reads the conversations whole, locked.
    mutating func lookUp(_ keys: [ThreadKey]) async throws {
        guard !keys.isEmpty else { return }
        let rows = try await self.connection.query(
            """
            SELECT organization_id, channel_id, thread_key, id FROM conversations
            WHERE (organization_id, channel_id, thread_key) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.channelID))::text[],
                    \(keys.map(\.threadKey))::text[]))
            """,
            logger: self.logger)
        for try await (organization, channel, thread, id) in rows.decode((String, String, String, UUID).self) {
            self.threadIDs[ThreadKey(organizationID: organization, channelID: channel, threadKey: thread)] = id
        }
    }

    /// Locks these conversations in one order for every batch (`FOR NO KEY UPDATE`: no batch
    /// changes a conversation's keys, and a concurrent message insert's foreign-key check, which
    /// takes `FOR KEY SHARE`, does not wait for it), and keeps them as they are now.
    mutating func lock(_ keys: [ConversationKey]) async throws {
        guard !keys.isEmpty else { return }
        let rows = try await self.connection.query(
            """
            \(unescaped: ConversationRecord.select)
            WHERE (c.organization_id, c.id) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.id))::uuid[]))
            ORDER BY c.organization_id COLLATE "C", c.id
            FOR NO KEY UPDATE OF c
            """,
            logger: self.logger)
        for try await row in rows {
            let record = try ConversationRecord(row)
            self.remember(record)
        }
    }

    /// The conversations the batch changes: those it created, those of its new messages and of its
    /// contact actions, and those of the stored messages it edits or deletes.
    func changedConversations(_ arrived: [NewMessage]) -> [ConversationKey] {
        var keys = Set(
            arrived.map { ConversationKey(organizationID: $0.item.event.organizationID, id: $0.conversationID) })
        for (id, index) in self.creators {
            keys.insert(ConversationKey(organizationID: self.items[index].event.organizationID, id: id))
        }
        for item in self.items {
            switch item.event.type {
            case .contactAction:
                if let id = self.threadIDs[item.thread] {
                    keys.insert(ConversationKey(organizationID: item.event.organizationID, id: id))
                }
            case .messageEdited, .messageDeleted:
                if let message = self.stored[item.messageKey] {
                    keys.insert(ConversationKey(organizationID: item.event.organizationID, id: message.conversationID))
                }
            default:
                continue
            }
        }
        return Array(keys)
    }

    mutating func remember(_ record: ConversationRecord) {
        let key = ThreadKey(
            organizationID: record.organizationID, channelID: record.channelID, threadKey: record.threadKey)
        self.threads[key] = record
        self.threadIDs[key] = record.id
        self.conversations[record.id] = record
    }

    mutating func loadStored(_ keys: [PlatformMessageKey]) async throws {
        guard !keys.isEmpty else { return }
        let rows = try await self.connection.query(
            """
            SELECT organization_id, channel_id, platform_message_id, id, conversation_id, direction, delivery_state
            FROM messages
            WHERE platform_message_id IS NOT NULL AND (organization_id, channel_id, platform_message_id) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.channelID))::text[],
                    \(keys.map(\.platformMessageID))::text[]))
            """,
            logger: self.logger)
        for try await (organization, channel, platformID, id, conversationID, direction, state) in rows.decode(
            (String, String, String, UUID, UUID, String, String?).self)
        {
            let key = PlatformMessageKey(
                organizationID: organization, channelID: channel, platformMessageID: platformID)
            self.stored[key] = StoredMessage(
                id: id, conversationID: conversationID, direction: StoredDirection(rawValue: direction) ?? .inbound,
                deliveryState: state.flatMap(StoredDeliveryState.init(rawValue:)))
        }
    }

    /// Which items store a new message (the first of each platform message not stored yet, in batch
    /// order: a message first seen through its edit or deletion is stored as that), and which threads
    /// need a conversation, with the first item that needs each.
    func plan() -> (inserts: [Int], threads: [ThreadKey: Int]) {
        var inserts: [Int] = []
        var threads: [ThreadKey: Int] = [:]
        var planned: Set<PlatformMessageKey> = []
        for (index, item) in self.items.enumerated() {
            switch item.event.type {
            case .message, .messageEdited, .messageDeleted:
                guard self.stored[item.messageKey] == nil, planned.insert(item.messageKey).inserted else { continue }
                inserts.append(index)
                if threads[item.thread] == nil { threads[item.thread] = index }
            case .contactAction:
                if threads[item.thread] == nil { threads[item.thread] = index }
            default:
                continue
            }
        }
        return (inserts, threads)
    }

    /// Creates the conversations the batch needs and does not have, from the first item needing each
    /// (a Telegram Business chat keeps its first event's connection: the gateway keys its thread by it).
    mutating func createConversations(_ needed: [ThreadKey: Int]) async throws {
        let missing = needed.filter { self.threadIDs[$0.key] == nil }.sorted { $0.value < $1.value }
        guard !missing.isEmpty else { return }
        let ids = missing.map { _ in UUID() }
        let first = missing.map { self.items[$0.value] }
        let rows = try await self.connection.query(
            """
            INSERT INTO conversations (organization_id, id, channel_id, platform, kind, thread_key, is_paid,
                parent_post_id, parent_comment_id, account_platform_id, comment_created_at, comment_platform_message_id,
                last_message_at, created_at, updated_at, business_connection_id)
            SELECT org, id, channel, platform, kind, thread, paid, nullif(post, ''), nullif(parent, ''), account,
                CASE WHEN kind <> 'direct_message' THEN ts END,
                CASE WHEN kind <> 'direct_message' THEN nullif(top_comment, '') END, ts, \(self.now), \(self.now),
                nullif(connection, '')
            FROM unnest(\(first.map(\.event.organizationID))::text[], \(ids)::uuid[],
                \(first.map(\.event.channelID))::text[], \(first.map(\.platform.rawValue))::text[],
                \(first.map(\.kind.rawValue))::text[], \(first.map(\.event.threadKey))::text[],
                \(first.map(\.event.flags.isPaid))::boolean[], \(first.map(\.event.parentPostID))::text[],
                \(first.map(\.event.parentCommentID))::text[], \(first.map(\.event.platformAccountID))::text[],
                \(first.map(Self.topComment))::text[], \(first.map(\.occurredAt))::timestamptz[],
                \(first.map(\.event.businessConnectionID))::text[])
                AS x(org, id, channel, platform, kind, thread, paid, post, parent, account, top_comment, ts, connection)
            ORDER BY org COLLATE "C", channel COLLATE "C", thread COLLATE "C"
            ON CONFLICT (organization_id, channel_id, thread_key) DO NOTHING
            RETURNING id
            """,
            logger: self.logger)
        var inserted: Set<UUID> = []
        for try await id in rows.decode(UUID.self) { inserted.insert(id) }

        // Read whole in step 6, with the batch's other conversations.
        for ((thread, index), id) in zip(missing, ids) where inserted.contains(id) {
            self.threadIDs[thread] = id
            self.creators[id] = index
            self.changes.add(.conversationCreated, organizationID: thread.organizationID, conversationID: id)
        }
        // Created by a concurrent batch meanwhile (committed: the insert waited for it): look it up.
        let raced = zip(missing, ids).filter { !inserted.contains($0.1) }.map { $0.0.key }
        try await self.lookUp(raced)
    }

    /// The comment a comment conversation hangs under (what a private reply answers): the event's
    /// parent comment when it is a reply, else the comment itself.
    static func topComment(_ item: IngestItem) -> String {
        item.event.parentCommentID.isEmpty ? item.event.platformMessageID : item.event.parentCommentID
    }

    // MARK: 4: contacts

    /// Finds or creates the identities (and contacts) of the customers behind the batch's new
    /// messages, contact actions and opt-outs. Known customers are renamed later
    /// (``renameContacts()``), so that their rows are locked only near the commit.
    mutating func upsertContacts(_ inserts: [Int]) async throws {
        let authored =
            inserts.map { self.items[$0] }.filter { !$0.isEcho }
            + self.items.filter { [.contactAction, .optOut].contains($0.event.type) }
        var latest: [IdentityKey: Inbox_V1_Author] = [:]
        var platforms: [IdentityKey: ReplyPlatform] = [:]
        for item in authored {
            guard let key = item.identity else { continue }
            latest[key] = item.event.author
            platforms[key] = item.platform
        }
        guard !latest.isEmpty else { return }
        let keys = Array(latest.keys)
        let rows = try await self.connection.query(
            """
            SELECT organization_id, channel_id, platform_user_id, contact_id FROM contact_identities
            WHERE (organization_id, channel_id, platform_user_id) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.channelID))::text[],
                    \(keys.map(\.platformUserID))::text[]))
            """,
            logger: self.logger)
        try await self.readContacts(rows)
        for key in keys where self.contacts[key] != nil { self.seenAuthors[key] = latest[key] }

        let new = keys.filter { self.contacts[$0] == nil }
        guard !new.isEmpty else { return }
        let ids = new.map { _ in UUID() }
        let added = new.map { latest[$0]! }
        let inserted = try await self.connection.query(
            """
            WITH v AS (
                SELECT * FROM unnest(\(new.map(\.organizationID))::text[], \(ids)::uuid[],
                    \(new.map(\.channelID))::text[], \(new.map(\.platformUserID))::text[],
                    \(new.map { platforms[$0]?.rawValue ?? "" })::text[], \(added.map(\.handle))::text[],
                    \(added.map(\.displayName))::text[], \(added.map(\.avatarURL))::text[])
                    AS v(org, id, channel, platform_user, platform, handle, display, avatar)
            ),
            added AS (
                INSERT INTO contacts (organization_id, id, display_name, search, created_at, updated_at)
                SELECT org, id, display, to_tsvector('simple', fold(display || ' ' || handle)), \(self.now), \(self.now)
                FROM v
                RETURNING id
            )
            INSERT INTO contact_identities (organization_id, contact_id, channel_id, platform, platform_user_id, handle,
                display_name, avatar_url, updated_at)
            SELECT v.org, v.id, v.channel, v.platform, v.platform_user, v.handle, v.display, v.avatar, \(self.now)
            FROM v JOIN added ON added.id = v.id
            ORDER BY v.org COLLATE "C", v.channel COLLATE "C", v.platform_user COLLATE "C"
            ON CONFLICT (organization_id, channel_id, platform_user_id) DO NOTHING
            RETURNING organization_id, channel_id, platform_user_id, contact_id
            """,
            logger: self.logger)
        try await self.readContacts(inserted)

        // A concurrent batch added the same identity first: drop the contact made for it here.
        let raced = zip(new, ids).filter { self.contacts[$0.0] == nil }
        guard !raced.isEmpty else { return }
        try await self.connection.query(
            """
            DELETE FROM contacts WHERE (organization_id, id) IN (
                SELECT * FROM unnest(\(raced.map { $0.0.organizationID })::text[], \(raced.map { $0.1 })::uuid[]))
            """,
            logger: self.logger)
        let existing = try await self.connection.query(
            """
            SELECT organization_id, channel_id, platform_user_id, contact_id FROM contact_identities
            WHERE (organization_id, channel_id, platform_user_id) IN (
                SELECT * FROM unnest(\(raced.map { $0.0.organizationID })::text[],
                    \(raced.map { $0.0.channelID })::text[], \(raced.map { $0.0.platformUserID })::text[]))
            """,
            logger: self.logger)
        try await self.readContacts(existing)
    }

    /// A known customer's later name, handle or avatar wins; an empty one never erases a known one.
    /// The identities that change are locked in one sorted order.
    func renameContacts() async throws {
        guard !self.seenAuthors.isEmpty else { return }
        let keys = Array(self.seenAuthors.keys)
        let authors = keys.map { self.seenAuthors[$0] ?? Inbox_V1_Author() }
        try await self.connection.query(
            """
            WITH v AS (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.channelID))::text[],
                    \(keys.map(\.platformUserID))::text[], \(authors.map(\.handle))::text[],
                    \(authors.map(\.displayName))::text[], \(authors.map(\.avatarURL))::text[])
                    AS v(org, channel, platform_user, handle, display, avatar)
            ),
            target AS (
                SELECT i.organization_id, i.channel_id, i.platform_user_id
                FROM contact_identities i
                JOIN v ON i.organization_id = v.org AND i.channel_id = v.channel AND i.platform_user_id = v.platform_user
                WHERE (v.handle <> '' AND v.handle <> i.handle) OR (v.display <> '' AND v.display <> i.display_name)
                    OR (v.avatar <> '' AND v.avatar <> i.avatar_url)
                ORDER BY i.organization_id COLLATE "C", i.channel_id COLLATE "C", i.platform_user_id COLLATE "C"
                FOR NO KEY UPDATE OF i
            ),
            changed AS (
                UPDATE contact_identities i SET handle = coalesce(nullif(v.handle, ''), i.handle),
                    display_name = coalesce(nullif(v.display, ''), i.display_name),
                    avatar_url = coalesce(nullif(v.avatar, ''), i.avatar_url), updated_at = \(self.now)
                FROM v, target
                WHERE i.organization_id = target.organization_id AND i.channel_id = target.channel_id
                    AND i.platform_user_id = target.platform_user_id
                    AND v.org = target.organization_id AND v.channel = target.channel_id
                    AND v.platform_user = target.platform_user_id
                RETURNING i.organization_id, i.contact_id, i.handle, i.display_name
            )
            UPDATE contacts c SET display_name = changed.display_name,
                search = to_tsvector('simple', fold(changed.display_name || ' ' || changed.handle)),
                updated_at = \(self.now)
            FROM changed WHERE c.organization_id = changed.organization_id AND c.id = changed.contact_id
            """,
            logger: self.logger)
    }

    mutating func readContacts(_ rows: PostgresRowSequence) async throws {
        for try await (organization, channel, user, contactID) in rows.decode((String, String, String, UUID).self) {
            self.contacts[IdentityKey(organizationID: organization, channelID: channel, platformUserID: user)] =
                contactID
        }
    }

    // MARK: 5-6: new messages

    /// Inserts the planned messages in one statement (a platform message stored meanwhile by a
    /// concurrent batch is left to step 7 as a repeat) and answers those it inserted.
    mutating func insertMessages(_ inserts: [Int]) async throws -> [NewMessage] {
        var rows: [NewMessage] = []
        for index in inserts {
            let item = self.items[index]
            guard let conversationID = self.threadIDs[item.thread] else {
                self.results[index] = .failed(
                    .unavailable("the conversation could not be stored; retry the event"), retryable: true)
                continue
            }
            rows.append(NewMessage(index: index, id: UUID(), item: item, conversationID: conversationID))
        }
        guard !rows.isEmpty else { return [] }
        let inserted = try await self.connection.query(
            """
            INSERT INTO messages (organization_id, id, conversation_id, channel_id, direction, platform_message_id,
                author, body, attachments, platform_time, received_at, hidden_reason, unsupported, delivery_state,
                delivery_at, event_id, content_at, reply_to_platform_message_id, content_incomplete, origin, edited,
                deleted)
            SELECT org, id, conversation, channel, direction, platform_id, author::jsonb, body, attachments::jsonb, ts,
                received, nullif(hidden, ''), unsupported, nullif(delivery, ''),
                CASE WHEN direction = 'outbound' THEN ts END, nullif(event_id, ''), ts, nullif(reply_to, ''),
                incomplete, origin, edited, deleted
            FROM unnest(\(rows.map(\.item.event.organizationID))::text[], \(rows.map(\.id))::uuid[],
                \(rows.map(\.conversationID))::uuid[], \(rows.map(\.item.event.channelID))::text[],
                \(rows.map(\.direction.rawValue))::text[], \(rows.map(\.item.event.platformMessageID))::text[],
                \(rows.map(\.authorJSON))::text[], \(rows.map(\.body))::text[], \(rows.map(\.attachmentsJSON))::text[],
                \(rows.map(\.item.occurredAt))::timestamptz[], \(rows.map { $0.receivedAt(self.now) })::timestamptz[],
                \(rows.map(\.hiddenReason))::text[], \(rows.map(\.item.event.flags.unsupported))::boolean[],
                \(rows.map(\.deliveryState))::text[], \(rows.map(\.item.event.id))::text[],
                \(rows.map(\.item.event.replyToPlatformMessageID))::text[],
                \(rows.map(\.item.event.flags.contentIncomplete))::boolean[], \(rows.map(\.origin))::text[],
                \(rows.map(\.edited))::boolean[], \(rows.map(\.deleted))::boolean[])
                WITH ORDINALITY AS x(org, id, conversation, channel, direction, platform_id, author, body,
                    attachments, ts, received, hidden, unsupported, delivery, event_id, reply_to, incomplete, origin,
                    edited, deleted, ord)
            ORDER BY ord
            ON CONFLICT (organization_id, channel_id, platform_message_id) WHERE platform_message_id IS NOT NULL
                DO NOTHING
            RETURNING id
            """,
            logger: self.logger)
        var ids: Set<UUID> = []
        for try await id in inserted.decode(UUID.self) { ids.insert(id) }

        var arrived: [NewMessage] = []
        for row in rows where ids.contains(row.id) {
            arrived.append(row)
            let item = row.item
            self.stored[item.messageKey] = StoredMessage(
                id: row.id, conversationID: row.conversationID, direction: row.direction,
                deliveryState: row.direction == .outbound ? .sent : nil)
            self.results[row.index] = IngestedEvent(
                item.isHidden ? .hidden : .created, conversationID: row.conversationID, messageID: row.id)
            self.changes.add(
                .messageCreated, organizationID: item.event.organizationID, conversationID: row.conversationID,
                messageID: row.id)
        }
        let raced = rows.filter { !ids.contains($0.id) }
        try await self.loadStored(raced.map(\.item.messageKey))
        return arrived
    }

    /// Applies the new messages to their conversations, as step 6 locked them, and offers the
    /// customers' messages to the automatic replies.
    mutating func applyArrivals(_ arrived: [NewMessage]) async throws {
        var arrivals: [UUID: Arrivals] = [:]
        for row in arrived {
            guard let conversation = self.conversations[row.conversationID] else { continue }
            arrivals[row.conversationID, default: Arrivals()].add(
                row, to: conversation, contactID: row.item.identity.flatMap { self.contacts[$0] })
            if row.direction == .inbound, row.item.event.type == .message {
                self.queueAutoReply(row, in: conversation)
            }
        }
        try await self.updateConversations(arrivals)
        try await self.setFirstResponseDue(Array(arrivals.keys))
    }

    /// SLA: a conversation nobody has answered yet is due its first response `responseTargets`
    /// after the customer started waiting (set once; the first team reply stops the clock).
    func setFirstResponseDue(_ ids: [UUID]) async throws {
        let due = ids.compactMap { id -> (UUID, String, Int64)? in
            guard let record = self.conversations[id], let seconds = self.responseTargets[record.organizationID] else {
                return nil
            }
            return (id, record.organizationID, seconds)
        }
        guard !due.isEmpty else { return }
        try await self.connection.query(
            """
            UPDATE conversations c SET first_response_due_at = c.waiting_since + make_interval(secs => x.seconds)
            FROM unnest(\(due.map(\.1))::text[], \(due.map(\.0))::uuid[], \(due.map(\.2))::int8[]) AS x(org, id, seconds)
            WHERE c.organization_id = x.org AND c.id = x.id AND c.first_response_at IS NULL
                AND c.first_response_due_at IS NULL AND c.waiting_since IS NOT NULL
            """,
            logger: self.logger)
    }

    /// Applies the new messages to their conversations in one statement: counters, the latest
    /// message (by platform time: a late, older message never moves it, nor the customer's last
    /// message time, backwards), the SLA clock, reopening.
    mutating func updateConversations(_ arrivals: [UUID: Arrivals]) async throws {
        let updates = arrivals.compactMap { id, arrival in
            self.conversations[id].map { ConversationChange(record: $0, arrival: arrival) }
        }
        guard !updates.isEmpty else { return }
        // Stands in for an absent time in the arrays (a flag beside it says it is absent).
        let placeholder = self.now
        try await self.connection.query(
            """
            UPDATE conversations c SET
                message_count = c.message_count + x.added,
                unread_count = c.unread_count + x.unread,
                hidden_count = c.hidden_count + x.hidden,
                last_message_at = GREATEST(c.last_message_at, x.last_at),
                last_customer_message_at = GREATEST(
                    c.last_customer_message_at, CASE WHEN x.has_customer THEN x.customer_at END),
                last_team_reply_at = GREATEST(c.last_team_reply_at, CASE WHEN x.has_team THEN x.team_at END),
                first_response_at = coalesce(c.first_response_at, CASE WHEN x.has_team THEN x.first_team_at END),
                preview = CASE WHEN x.newest THEN x.preview ELSE c.preview END,
                last_message_id = CASE WHEN x.newest THEN x.newest_id ELSE c.last_message_id END,
                waiting_since = CASE
                    WHEN x.has_team THEN (
                        SELECT min(m.platform_time) FROM messages m
                        WHERE m.organization_id = c.organization_id AND m.conversation_id = c.id
                            AND m.direction = 'inbound' AND m.platform_time > GREATEST(c.last_team_reply_at, x.team_at))
                    ELSE LEAST(c.waiting_since, CASE WHEN x.waits THEN x.waiting_at END) END,
                status = CASE WHEN x.reopen OR x.wake THEN 'open' ELSE c.status END,
                snoozed_until = CASE WHEN x.reopen OR x.wake THEN NULL ELSE c.snoozed_until END,
                reopen_count = c.reopen_count + CASE WHEN x.reopen THEN 1 ELSE 0 END,
                customer_platform_user_id = coalesce(c.customer_platform_user_id, nullif(x.customer, '')),
                contact_id = coalesce(c.contact_id, nullif(x.contact, '')::uuid),
                updated_at = \(self.now)
            FROM unnest(\(updates.map(\.record.organizationID))::text[], \(updates.map(\.record.id))::uuid[],
                \(updates.map(\.arrival.added))::int4[], \(updates.map(\.arrival.unread))::int4[],
                \(updates.map(\.arrival.hidden))::int4[],
                \(updates.map { $0.arrival.lastAt ?? placeholder })::timestamptz[],
                \(updates.map { $0.arrival.customerAt != nil })::boolean[],
                \(updates.map { $0.arrival.customerAt ?? placeholder })::timestamptz[],
                \(updates.map { $0.arrival.teamAt != nil })::boolean[],
                \(updates.map { $0.arrival.teamAt ?? placeholder })::timestamptz[],
                \(updates.map { $0.arrival.firstTeamAt ?? placeholder })::timestamptz[],
                \(updates.map { $0.newest != nil })::boolean[], \(updates.map { $0.newest?.id ?? UUID() })::uuid[],
                \(updates.map { $0.newest?.preview ?? "" })::text[],
                \(updates.map { $0.arrival.waitingAt != nil })::boolean[],
                \(updates.map { $0.arrival.waitingAt ?? placeholder })::timestamptz[],
                \(updates.map(\.reopen))::boolean[],
                \(updates.map(\.wake))::boolean[], \(updates.map { $0.arrival.customer ?? "" })::text[],
                \(updates.map { $0.arrival.contactID?.text ?? "" })::text[])
                AS x(org, id, added, unread, hidden, last_at, has_customer, customer_at, has_team, team_at,
                    first_team_at, newest, newest_id, preview, waits, waiting_at, reopen, wake, customer, contact)
            WHERE c.organization_id = x.org AND c.id = x.id
            """,
            logger: self.logger)

        for change in updates {
            let record = change.record
            if self.creators[record.id] == nil {
                self.noteBefore(record)
                self.changes.add(.conversationUpdated, organizationID: record.organizationID, conversationID: record.id)
            }
            // Routed when a customer first writes in it (created now, or opened by our own echo) or reopens it.
            guard let customerAt = change.arrival.customerAt else { continue }
            if record.lastCustomerMessageAt == nil || change.reopen {
                self.needsRoute(
                    record.id, reopened: change.reopen, text: change.arrival.customerText?.text ?? "", at: customerAt,
                    contactID: change.arrival.contactID)
            }
        }
    }

    // MARK: 7: the other events, in order

    mutating func applyEvent(at index: Int) async throws -> IngestedEvent {
        let item = self.items[index]
        switch item.event.type {
        case .message:
            return try await self.repeated(item)
        case .messageEdited, .messageDeleted:
            return try await self.revise(item)
        case .deliveryStatus:
            return try await self.deliveryStatus(item)
        case .optOut:
            return try await self.optOut(item)
        case .contactAction:
            return try await self.contactAction(item, index: index)
        case .reaction:
            return try await self.react(item)
        case .visibilityChanged:
            return try await self.changeVisibility(item)
        case .unspecified, .UNRECOGNIZED:
            return .failed(.invalidArgument("type must name an event type", field: "type"), retryable: false)
        }
    }

    /// A platform message stored before: nothing changes, except that the echo of our own pending
    /// send tells that the platform has it (SENT).
    mutating func repeated(_ item: IngestItem) async throws -> IngestedEvent {
        guard let message = self.stored[item.messageKey] else { return self.unknownMessage(item) }
        let duplicate = IngestedEvent(.duplicate, conversationID: message.conversationID, messageID: message.id)
        guard item.isEcho, message.direction == .outbound, message.deliveryState == .pending else { return duplicate }
        let rows = try await self.connection.query(
            """
            UPDATE messages SET delivery_state = 'sent', delivery_at = \(item.occurredAt)
            WHERE organization_id = \(item.event.organizationID) AND id = \(message.id) AND delivery_state = 'pending'
            RETURNING id
            """,
            logger: self.logger)
        guard try await Self.any(rows) else { return duplicate }
        self.stored[item.messageKey]?.deliveryState = .sent
        self.changes.add(
            .messageUpdated, organizationID: item.event.organizationID, conversationID: message.conversationID,
            messageID: message.id)
        return IngestedEvent(.updated, conversationID: message.conversationID, messageID: message.id)
    }

    /// An edit or deletion of a stored message; the text it replaces goes to the message's history.
    mutating func revise(_ item: IngestItem) async throws -> IngestedEvent {
        guard let message = self.stored[item.messageKey] else { return self.unknownMessage(item) }
        let organizationID = item.event.organizationID
        let rows = try await self.connection.query(
            """
            SELECT body, content_at, deleted, hidden_reason IS NOT NULL,
                history @> jsonb_build_array(jsonb_build_object('text', \(item.event.text)::text))
            FROM messages WHERE organization_id = \(organizationID) AND id = \(message.id)
            FOR UPDATE
            """,
            logger: self.logger)
        var current: StoredContent?
        for try await (body, contentAt, deleted, hidden, inHistory) in rows.decode(
            (String, Date?, Bool, Bool, Bool).self)
        {
            current = StoredContent(
                body: body, contentAt: contentAt, deleted: deleted, hidden: hidden, inHistory: inHistory)
        }
        let unchanged = IngestedEvent(.duplicate, conversationID: message.conversationID, messageID: message.id)
        guard let current, let revision = Revision(item, current: current) else { return unchanged }

        try await self.noteBefore(message.conversationID, organizationID: organizationID)
        let attachments = StoredJSON.attachments(item.event.attachments)
        try await self.connection.query(
            """
            UPDATE messages SET body = \(revision.body), content_at = \(revision.contentAt),
                deleted = \(revision.deleted), edited = edited OR \(revision.edited),
                attachments = CASE WHEN \(revision.replacesAttachments) THEN \(attachments)::jsonb ELSE attachments END,
                history = history || CASE WHEN \(revision.history != nil) THEN jsonb_build_array(jsonb_build_object(
                    'text', \(revision.history?.text ?? "")::text, 'replaced_at', \(item.occurredAt)::timestamptz,
                    'change', \(revision.history?.change ?? "")::text)) ELSE '[]'::jsonb END
            WHERE organization_id = \(organizationID) AND id = \(message.id)
            """,
            logger: self.logger)
        self.changes.add(
            .messageUpdated, organizationID: organizationID, conversationID: message.conversationID,
            messageID: message.id)
        let preview = current.hidden ? "" : ConversationRecord.preview(revision.body)
        let latest = try await self.connection.query(
            """
            UPDATE conversations SET preview = \(preview), updated_at = \(self.now)
            WHERE organization_id = \(organizationID) AND id = \(message.conversationID)
                AND last_message_id = \(message.id) AND preview <> \(preview)
            RETURNING id
            """,
            logger: self.logger)
        if try await Self.any(latest) {
            self.changes.add(
                .conversationUpdated, organizationID: organizationID, conversationID: message.conversationID)
        }
        return IngestedEvent(.updated, conversationID: message.conversationID, messageID: message.id)
    }

    /// A delivery state of one of our messages (the reply flow's rules: states only move forward).
    mutating func deliveryStatus(_ item: IngestItem) async throws -> IngestedEvent {
        let event = item.event
        var update = event.deliveryStatus
        if update.organizationID.isEmpty { update.organizationID = event.organizationID }
        if update.channelID.isEmpty { update.channelID = event.channelID }
        if update.hasWatermark {
            if update.threadKey.isEmpty { update.threadKey = event.threadKey }
        } else if update.messageID.isEmpty, update.platformMessageID.isEmpty {
            update.platformMessageID = event.platformMessageID
        }
        if !update.hasOccurredAt { update.occurredAt = event.occurredAt }
        let repository = self.repository
        let connection = self.connection
        let now = self.now
        do {
            let applied = try await repository.applyDeliveryStatus(
                update, organizationID: event.organizationID, on: connection, changes: &self.changes, now: now)
            switch applied {
            case .applied(let messageID, _, _):
                return IngestedEvent(.updated, messageID: messageID)
            case .stale(let messageID, _):
                return IngestedEvent(.duplicate, messageID: messageID)
            case .notFound:
                return .failed(
                    .notFound("no message of the organisation matches this delivery status yet", resource: "message"),
                    retryable: true)
            }
        } catch let error as DomainError {
            return .failed(error, retryable: false)
        }
    }

    /// STOP / START: the customer's identity on this channel; their conversations' reply capability changes.
    mutating func optOut(_ item: IngestItem) async throws -> IngestedEvent {
        guard let identity = item.identity else {
            return .failed(
                .invalidArgument("author.platform_user_id is required", field: "author.platform_user_id"),
                retryable: false)
        }
        let optedOut = item.event.optOut.optedOut
        let rows = try await self.connection.query(
            """
            \(unescaped: ConversationRecord.select)
            WHERE c.organization_id = \(identity.organizationID) AND c.channel_id = \(identity.channelID)
                AND c.customer_platform_user_id = \(identity.platformUserID)
            ORDER BY c.last_message_at DESC, c.id DESC
            """,
            logger: self.logger)
        var affected: [ConversationRecord] = []
        for try await row in rows { affected.append(try ConversationRecord(row)) }
        let changed = try await self.connection.query(
            """
            UPDATE contact_identities SET opted_out = \(optedOut),
                opted_out_at = CASE WHEN \(optedOut) THEN \(item.occurredAt) END, updated_at = \(self.now)
            WHERE organization_id = \(identity.organizationID) AND channel_id = \(identity.channelID)
                AND platform_user_id = \(identity.platformUserID) AND opted_out <> \(optedOut)
            RETURNING contact_id
            """,
            logger: self.logger)
        guard try await Self.any(changed) else { return IngestedEvent(.duplicate, conversationID: affected.first?.id) }
        guard !affected.isEmpty else { return IngestedEvent(.updated) }
        for record in affected {
            self.noteBefore(record)
            self.changes.add(.conversationUpdated, organizationID: record.organizationID, conversationID: record.id)
        }
        try await self.connection.query(
            """
            UPDATE conversations SET updated_at = \(self.now)
            WHERE organization_id = \(identity.organizationID) AND id = ANY(\(affected.map(\.id))::uuid[])
            """,
            logger: self.logger)
        return IngestedEvent(.updated, conversationID: affected.first?.id)
    }

    /// Something the customer did that opens the reply window without a message (WeChat subscribe).
    mutating func contactAction(_ item: IngestItem, index: Int) async throws -> IngestedEvent {
        guard let conversation = self.threads[item.thread] else {
            return .failed(.unavailable("the conversation could not be stored; retry the event"), retryable: true)
        }
        let contactID = item.identity.flatMap { self.contacts[$0] }
        let customer = item.event.author.platformUserID
        try await self.connection.query(
            """
            UPDATE conversations SET last_customer_message_at = GREATEST(last_customer_message_at, \(item.occurredAt)),
                customer_platform_user_id = coalesce(customer_platform_user_id, nullif(\(customer), '')),
                contact_id = coalesce(contact_id, \(contactID)::uuid), updated_at = \(self.now)
            WHERE organization_id = \(conversation.organizationID) AND id = \(conversation.id)
            """,
            logger: self.logger)
        if conversation.lastCustomerMessageAt == nil {
            self.needsRoute(conversation.id, reopened: false, text: "", at: item.occurredAt, contactID: contactID)
        }
        guard let creator = self.creators[conversation.id] else {
            self.noteBefore(conversation)
            self.changes.add(
                .conversationUpdated, organizationID: conversation.organizationID, conversationID: conversation.id)
            return IngestedEvent(.updated, conversationID: conversation.id)
        }
        return IngestedEvent(creator == index ? .created : .updated, conversationID: conversation.id)
    }

    /// A reaction added to (or taken back from) a message: `reactions` holds one per user.
    mutating func react(_ item: IngestItem) async throws -> IngestedEvent {
        let reaction = item.event.reaction
        let user = item.event.author.platformUserID
        let rows = try await self.connection.query(
            """
            UPDATE messages SET reactions = CASE WHEN \(reaction.removed) THEN reactions - \(user)::text
                ELSE reactions || jsonb_build_object(\(user)::text, \(reaction.reaction)::text) END
            WHERE organization_id = \(item.event.organizationID) AND channel_id = \(item.event.channelID)
                AND platform_message_id = \(item.event.platformMessageID)
            RETURNING id, conversation_id
            """,
            logger: self.logger)
        return try await self.messageUpdated(rows, item)
    }

    /// A comment hidden or shown again by the platform or a moderator.
    mutating func changeVisibility(_ item: IngestItem) async throws -> IngestedEvent {
        let visibility = item.event.visibilityChange.visibility == .hidden ? "hidden" : "public"
        let rows = try await self.connection.query(
            """
            UPDATE messages SET visibility = \(visibility)
            WHERE organization_id = \(item.event.organizationID) AND channel_id = \(item.event.channelID)
                AND platform_message_id = \(item.event.platformMessageID)
            RETURNING id, conversation_id
            """,
            logger: self.logger)
        return try await self.messageUpdated(rows, item)
    }

    /// UPDATED for the message an UPDATE returned, FAILED and retryable when there was none.
    mutating func messageUpdated(_ rows: PostgresRowSequence, _ item: IngestItem) async throws -> IngestedEvent {
        var updated: (id: UUID, conversationID: UUID)?
        for try await (id, conversationID) in rows.decode((UUID, UUID).self) { updated = (id, conversationID) }
        guard let updated else { return self.unknownMessage(item) }
        self.changes.add(
            .messageUpdated, organizationID: item.event.organizationID, conversationID: updated.conversationID,
            messageID: updated.id)
        return IngestedEvent(.updated, conversationID: updated.conversationID, messageID: updated.id)
    }

    /// The event refers to a message not stored yet (it may arrive later): retry the event then.
    func unknownMessage(_ item: IngestItem) -> IngestedEvent {
        let id = item.event.platformMessageID
        return .failed(
            .notFound("message \(id) is not stored yet; retry the event later", resource: "message"), retryable: true)
    }

    static func any(_ rows: PostgresRowSequence) async throws -> Bool {
        var found = false
        for try await _ in rows { found = true }
        return found
    }

    // MARK: 8: follow-ups and the change log

    /// Remembers the conversation as it was before this batch (none for one it created).
    mutating func noteBefore(_ record: ConversationRecord) {
        guard self.creators[record.id] == nil else { return }
        let before = self.conversations[record.id] ?? record
        self.changes.noteBefore(before.proto(now: self.now), id: record.id)
    }

    /// Remembers the conversation as it was before this batch, reading it when the batch did not lock it.
    mutating func noteBefore(_ id: UUID, organizationID: String) async throws {
        guard self.creators[id] == nil, self.changes.before[id] == nil else { return }
        if self.conversations[id] == nil,
            let record = try await self.repository.conversation(id, organizationID: organizationID, on: self.connection)
        {
            self.conversations[id] = record
        }
        if let record = self.conversations[id] { self.noteBefore(record) }
    }

    mutating func needsRoute(_ id: UUID, reopened: Bool, text: String, at time: Date, contactID: UUID?) {
        if self.routes[id] == nil { self.routeOrder.append(id) }
        var need = self.routes[id] ?? RouteNeed()
        need.reopened = need.reopened || reopened
        if need.customerAt.map({ time >= $0 }) ?? true {
            need.customerAt = time
            if !text.isEmpty || need.text.isEmpty { need.text = text }
        }
        need.contactID = need.contactID ?? contactID
        self.routes[id] = need
    }

    /// A route follow-up per conversation a customer wrote in for the first time (usually: created
    /// by this batch) or reopened, keyed by its reopening (so each is routed once), with when the
    /// reply window closes for a direct message. A conversation only our own echoes opened is not
    /// routed until the customer writes.
    mutating func queueRoutes() {
        for id in self.routeOrder {
            guard let need = self.routes[id], let record = self.conversations[id] else { continue }
            let reopenCount = record.reopenCount + (need.reopened ? 1 : 0)
            let key = "\(id.text):\(reopenCount)"
            var facts = record.replyFacts()
            facts.lastCustomerMessageAt = [record.lastCustomerMessageAt, need.customerAt].compactMap { $0 }.max()
            let respondBy = record.kind == .directMessage ? ReplyRules.decide(facts, now: self.now).windowEndsAt : nil
            self.queue(
                .route, organizationID: record.organizationID, subject: key,
                payload: Inbox_V1_ConversationToRoute.with {
                    $0.organizationID = record.organizationID
                    $0.conversationID = id.text
                    $0.channelID = record.channelID
                    $0.platform = record.platform.proto
                    $0.kind = record.kind.proto
                    $0.contactID = (record.contactID ?? need.contactID)?.text ?? ""
                    $0.text = need.text
                    $0.reopened = need.reopened
                    $0.routeKey = key
                    if let respondBy { $0.respondBy = .init(date: respondBy) }
                })
        }
    }

    /// Offers a new customer message to the automatic replies (policy-service decides).
    mutating func queueAutoReply(_ message: NewMessage, in conversation: ConversationRecord) {
        self.queue(
            .autoReply, organizationID: conversation.organizationID, subject: message.id.text,
            payload: Inbox_V1_AutoReplyCandidate.with {
                $0.organizationID = conversation.organizationID
                $0.conversationID = conversation.id.text
                $0.channelID = conversation.channelID
                $0.platform = conversation.platform.proto
                $0.conversationKind = conversation.kind.proto
                $0.text = message.body
                $0.isEcho = false
                $0.receivedAt = .init(date: message.item.occurredAt)
                if let at = conversation.lastAutomaticReplyAt { $0.lastAutomaticReplyAt = .init(date: at) }
                $0.eventType = .message
                $0.messageID = message.id.text
            })
    }

    mutating func queue(
        _ kind: FollowUpKind, organizationID: String, subject: String, payload: some SwiftProtobuf.Message
    ) {
        guard let bytes: [UInt8] = try? payload.serializedBytes() else { return }
        self.followUps.append(
            QueuedFollowUp(kind: kind, organizationID: organizationID, subject: subject, payload: bytes))
    }
}

/// A message the batch inserts, as the row it becomes.
private struct NewMessage {
    var index: Int
    var id: UUID
    var item: IngestItem
    var conversationID: UUID

    var direction: StoredDirection { self.item.isEcho ? .outbound : .inbound }
    var deleted: Bool { self.item.event.type == .messageDeleted }
    var edited: Bool { self.item.event.type == .messageEdited }
    /// Nothing of a hidden message's content is kept, nor the text of one first seen deleted.
    var body: String { self.item.isHidden || self.deleted ? "" : self.item.event.text }
    var authorJSON: String { StoredJSON.author(self.item.event.author) }
    var attachmentsJSON: String { self.item.isHidden ? "[]" : StoredJSON.attachments(self.item.event.attachments) }
    var hiddenReason: String {
        self.item.isHidden ? StoredHiddenReason(proto: self.item.event.flags.hiddenReason).rawValue : ""
    }
    /// An echo is our message the platform already has.
    var deliveryState: String { self.item.isEcho ? StoredDeliveryState.sent.rawValue : "" }
    var origin: String { self.item.isEcho ? "echo" : "" }
    var preview: String { self.item.isHidden ? "" : ConversationRecord.preview(self.body) }

    func receivedAt(_ now: Date) -> Date {
        self.item.event.receivedAt.dateIfSet ?? now
    }
}

/// What the batch's new messages do to one conversation (compared with its locked row, which
/// nothing else changes until this transaction ends).
private struct Arrivals {
    var added: Int32 = 0
    var unread: Int32 = 0
    var hidden: Int32 = 0
    var lastAt: Date?
    var newest: (id: UUID, at: Date, preview: String)?
    var customerAt: Date?
    var customerText: (at: Date, text: String)?
    /// The first customer message after the team's last reply.
    var waitingAt: Date?
    var teamAt: Date?
    var firstTeamAt: Date?
    var customer: String?
    var contactID: UUID?

    mutating func add(_ message: NewMessage, to conversation: ConversationRecord, contactID: UUID?) {
        let time = message.item.occurredAt
        self.added += 1
        if message.item.isHidden { self.hidden += 1 }
        self.lastAt = max(self.lastAt ?? time, time)
        if self.newest.map({ time >= $0.at }) ?? true { self.newest = (message.id, time, message.preview) }
        switch message.direction {
        case .inbound:
            self.customerAt = max(self.customerAt ?? time, time)
            if conversation.lastReadAt.map({ time > $0 }) ?? true { self.unread += 1 }
            if conversation.lastTeamReplyAt.map({ time > $0 }) ?? true {
                self.waitingAt = min(self.waitingAt ?? time, time)
            }
            if self.customerText.map({ time >= $0.at }) ?? true { self.customerText = (time, message.body) }
            if self.customer == nil, let identity = message.item.identity {
                self.customer = identity.platformUserID
                self.contactID = contactID
            }
        case .outbound, .note:
            self.teamAt = max(self.teamAt ?? time, time)
            self.firstTeamAt = min(self.firstTeamAt ?? time, time)
        }
    }
}

/// One conversation's update from its arrivals, decided against its locked row.
private struct ConversationChange {
    var record: ConversationRecord
    var arrival: Arrivals

    /// The newest of the arrivals, if it is newer than the conversation's latest message.
    var newest: (id: UUID, at: Date, preview: String)? {
        guard let newest = self.arrival.newest else { return nil }
        return (self.record.lastMessageID == nil || newest.at >= self.record.lastMessageAt) ? newest : nil
    }

    /// A customer message re-opens a resolved conversation (routed again).
    var reopen: Bool { self.arrival.customerAt != nil && self.record.status == .resolved }

    /// A customer message ends the wait on the customer: a pending (or snoozed) conversation is open again.
    var wake: Bool { self.arrival.customerAt != nil && self.record.status == .pending }
}

/// Why and how a conversation is routed.
private struct RouteNeed {
    var reopened = false
    var text = ""
    var customerAt: Date?
    var contactID: UUID?
}

/// A stored message's content, as an edit or deletion finds it.
private struct StoredContent {
    var body: String
    var contentAt: Date?
    var deleted: Bool
    var hidden: Bool
    /// The edit's text is already in the history (a repeated late edit).
    var inHistory: Bool
}

/// What an edit or deletion does to a stored message; nil when it changes nothing (a repeat).
/// The newest text wins by platform time: an edit older than the current text only joins the
/// history (with its own time as `replaced_at`), and nothing brings a deleted message back.
private struct Revision {
    var body: String
    var contentAt: Date?
    var deleted: Bool
    var edited = false
    var replacesAttachments = false
    /// The text the history keeps, and why it was replaced ("edited" or "deleted").
    var history: (text: String, change: String)?

    init?(_ item: IngestItem, current: StoredContent) {
        let time = item.occurredAt
        let newer = current.contentAt.map { time > $0 } ?? true
        self.body = current.body
        self.contentAt = current.contentAt
        self.deleted = current.deleted
        if item.event.type == .messageDeleted {
            guard !current.deleted else { return nil }
            self.deleted = true
            self.body = ""
            self.contentAt = max(current.contentAt ?? time, time)
            if !current.body.isEmpty { self.history = (current.body, "deleted") }
            return
        }
        let text = item.event.text
        if current.hidden || item.isHidden {
            // A hidden message's text is never stored: only that it was edited.
            guard newer else { return nil }
            self.contentAt = time
            self.edited = true
        } else if newer, !current.deleted {
            self.contentAt = time
            self.edited = true
            self.replacesAttachments = !item.event.attachments.isEmpty
            if text != current.body {
                self.history = (current.body, "edited")
                self.body = text
            }
        } else {
            guard !text.isEmpty, text != current.body, !current.inHistory else { return nil }
            self.edited = true
            self.history = (text, "edited")
        }
    }
}
