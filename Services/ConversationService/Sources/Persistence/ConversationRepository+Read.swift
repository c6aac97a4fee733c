import InboxAPI
import InboxKit
import InboxRules
import Logging
import PostgresNIO
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Listing, search and reads; the small mutations (UpdateConversation, MarkConversationRead,
// AddNote, SetAssignee) and the snooze wake-up. Every statement names the organisation.

/// A position in a list newest (or oldest) first: a row's time as integer microseconds since the
/// Unix epoch — exactly PostgreSQL's precision, computed by PostgreSQL, so a cursor never drifts
/// by the rounding of a `Date` — and its id, which orders rows of the same time.
struct TimeCursor: Sendable, Hashable {
    var micros: Int64
    var id: UUID

    var text: String { "\(self.micros):\(self.id.text)" }

    init(micros: Int64, id: UUID) {
        self.micros = micros
        self.id = id
    }

    init?(text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            return nil
        }
        self.init(micros: micros, id: id)
    }

    /// The SQL of a row's cursor time (`column` is a timestamptz).
    static func micros(of column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000000)::int8"
    }

    /// The SQL turning a bound microsecond count back into the same timestamptz.
    static func time(_ placeholder: String) -> String {
        "(timestamptz 'epoch' + \(placeholder)::int8 * interval '1 microsecond')"
    }
}

/// SQL built clause by clause with its parameters: a listing's absent filters are absent from the
/// SQL (not `$n IS NULL OR ...`), so the planner picks the index of the filters that are there.
struct ListingSQL: Sendable {
    private(set) var sql = ""
    private(set) var binds = PostgresBindings()

    mutating func append(_ text: String) {
        self.sql += text
    }

    /// Binds `value` and returns its placeholder (`$n`).
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        self.binds.append(value)
        return "$\(self.binds.count)"
    }

    /// Appends `text`, then the placeholder of `value` (with `::cast` when given).
    mutating func append(_ text: String, _ value: some PostgresDynamicTypeEncodable, cast: String? = nil) {
        let placeholder = self.bind(value)
        self.sql += text + placeholder + (cast.map { "::" + $0 } ?? "")
    }

    /// `column` is one of `values`: `=` for one value (an ordered scan of the column's index),
    /// `= ANY` for several, nothing for none.
    mutating func appendOneOf(_ values: [String], column: String) {
        switch values.count {
        case 0: return
        case 1: self.append(" AND \(column) = ", values[0])
        default:
            self.append(" AND \(column) = ANY(", Array(Set(values)).sorted(), cast: "text[]")
            self.sql += ")"
        }
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: self.sql, binds: self.binds) }
}

/// One ListConversations page request, validated: every field narrows (AND); an empty one does
/// not filter.
struct ConversationListing: Sendable {
    var organizationID: String
    var statuses: [StoredStatus] = []
    var platforms: [ReplyPlatform] = []
    var kinds: [ConversationKind] = []
    var assigneeAgentID: String?
    var teamID: String?
    var unassignedOnly = false
    var channelID: String?
    /// Normalised (trimmed, lowercase); a conversation must carry every one.
    var tags: [String] = []
    var contactID: UUID?
    var conversationIDs: [UUID] = []
    /// Full-text search over the conversation's messages (folded: accents and case do not matter).
    var text: String?
    var after: TimeCursor?
    var limit: Int

    init(organizationID: String, limit: Int) {
        self.organizationID = organizationID
        self.limit = limit
    }
}

/// What UpdateConversation changes (the fields of its mask), validated.
struct ConversationEdit: Sendable {
    var status: StoredStatus?
    /// `snoozed_until` is in the mask; `snoozedUntil` nil then clears the snooze.
    var snoozes = false
    var snoozedUntil: Date?
    var tags: [String]?

    /// The conversation's status, snooze and tags after the edit: snoozing makes it PENDING, and
    /// only a PENDING conversation stays snoozed (OPEN and RESOLVED clear `snoozed_until`).
    func applied(to record: ConversationRecord) -> (status: StoredStatus, snoozedUntil: Date?, tags: [String]) {
        var status = self.status ?? record.status
        var snoozedUntil = self.snoozes ? self.snoozedUntil : record.snoozedUntil
        if self.snoozes, self.snoozedUntil != nil { status = .pending }
        if status != .pending { snoozedUntil = nil }
        return (status, snoozedUntil, self.tags ?? record.tags)
    }
}

/// An internal note to store (AddNote).
struct NoteDraft: Sendable {
    var organizationID: String
    var conversationID: UUID
    var channelID: String
    var agentID: String?
    var text: String
    var idempotencyKey: String?
    /// The request without its key: the same key with another fingerprint is a reuse.
    var fingerprint: String
}

/// One SetAssignee item, validated.
struct AssigneeChange: Sendable {
    var organizationID: String
    var conversationID: UUID
    var agentID: String?
    var teamID: String?
    var version: Int64
}

enum AssigneeOutcome: Sendable, Equatable {
    /// The conversation has this version (and the item's assignee) now.
    case applied(version: Int64)
    /// The conversation already had this or a newer version: nothing changed.
    case stale(version: Int64)
    case notFound
}

/// A contact with its identities (GetContact, ListContacts).
struct ContactView: Sendable {
    var organizationID: String
    var id: UUID
    var displayName: String
    var createdAt: Date
    var updatedAt: Date
    var identities: [Inbox_V1_ContactIdentity] = []

    var proto: Inbox_V1_Contact {
        .with {
            $0.id = self.id.text
            $0.organizationID = self.organizationID
            $0.displayName = self.displayName
            $0.identities = self.identities
            $0.createdAt = .init(date: self.createdAt)
            $0.updatedAt = .init(date: self.updatedAt)
        }
    }
}

extension ConversationRepository {
    // MARK: ListConversations

    /// The SQL of one ListConversations page, newest activity first (ORDER BY last_message_at
    /// DESC, id DESC: the order of every `conversations_*` listing index), `limit` rows. Exposed
    /// so that QueryPlanTests EXPLAIN exactly what runs.
    static func listConversationsQuery(_ listing: ConversationListing) -> PostgresQuery {
        var sql = ListingSQL()
        sql.append("SELECT \(TimeCursor.micros(of: "c.last_message_at")) AS cursor_micros, ")
        sql.append(String(ConversationRecord.select.dropFirst("SELECT ".count)))
        let organization = sql.bind(listing.organizationID)
        sql.append("\nWHERE c.organization_id = \(organization)")
        sql.appendOneOf(listing.statuses.map(\.rawValue), column: "c.status")
        sql.appendOneOf(listing.platforms.map(\.rawValue), column: "c.platform")
        sql.appendOneOf(listing.kinds.map(\.rawValue), column: "c.kind")
        if let agent = listing.assigneeAgentID { sql.append(" AND c.assignee_agent_id = ", agent) }
        if let team = listing.teamID { sql.append(" AND c.assignee_team_id = ", team) }
        if listing.unassignedOnly { sql.append(" AND c.assignee_agent_id IS NULL") }
        if let channel = listing.channelID { sql.append(" AND c.channel_id = ", channel) }
        if !listing.tags.isEmpty { sql.append(" AND c.tags @> ", listing.tags, cast: "text[]") }
        if let contact = listing.contactID { sql.append(" AND c.contact_id = ", contact) }
        if !listing.conversationIDs.isEmpty {
            sql.append(" AND c.id = ANY(", listing.conversationIDs, cast: "uuid[]")
            sql.append(")")
        }
        if let text = listing.text {
            let words = sql.bind(text)
            sql.append(
                """

                AND c.id IN (SELECT s.conversation_id FROM messages s WHERE s.organization_id = \(organization)
                    AND s.search @@ plainto_tsquery('simple', fold(\(words))))
                """)
        }
        if let after = listing.after {
            let micros = sql.bind(after.micros)
            let id = sql.bind(after.id)
            sql.append("\nAND (c.last_message_at, c.id) < (\(TimeCursor.time(micros)), \(id))")
        }
        sql.append("\nORDER BY c.last_message_at DESC, c.id DESC LIMIT ", listing.limit)
        return sql.query
    }

    func listConversations(_ listing: ConversationListing) async throws
        -> [(record: ConversationRecord, cursor: TimeCursor)]
    {
        let rows = try await self.client.query(Self.listConversationsQuery(listing), logger: self.logger)
        var page: [(record: ConversationRecord, cursor: TimeCursor)] = []
        for try await row in rows {
            let record = try ConversationRecord(row)
            let micros = try row.makeRandomAccess()["cursor_micros"].decode(Int64.self)
            page.append((record, TimeCursor(micros: micros, id: record.id)))
        }
        return page
    }

    // MARK: ListMessages

    /// The SQL of one ListMessages page: the conversation's messages (notes, hidden and deleted
    /// ones included, as stored) by platform time, newest first unless `oldestFirst`, backed by
    /// `messages_by_conversation_time` (scanned backward for newest first).
    static func listMessagesQuery(
        organizationID: String, conversationID: UUID, oldestFirst: Bool, after: TimeCursor?, limit: Int
    ) -> PostgresQuery {
        var sql = ListingSQL()
        sql.append("SELECT \(TimeCursor.micros(of: "platform_time")) AS cursor_micros, \(MessageRecord.columns)")
        sql.append("\nFROM messages WHERE organization_id = ", organizationID)
        sql.append(" AND conversation_id = ", conversationID)
        if let after {
            let micros = sql.bind(after.micros)
            let id = sql.bind(after.id)
            sql.append("\nAND (platform_time, id) \(oldestFirst ? ">" : "<") (\(TimeCursor.time(micros)), \(id))")
        }
        let direction = oldestFirst ? "ASC" : "DESC"
        sql.append("\nORDER BY platform_time \(direction), id \(direction) LIMIT ", limit)
        return sql.query
    }

    func listMessages(
        organizationID: String, conversationID: UUID, oldestFirst: Bool, after: TimeCursor?, limit: Int
    ) async throws -> [(record: MessageRecord, cursor: TimeCursor)] {
        let query = Self.listMessagesQuery(
            organizationID: organizationID, conversationID: conversationID, oldestFirst: oldestFirst, after: after,
            limit: limit)
        let rows = try await self.client.query(query, logger: self.logger)
        var page: [(record: MessageRecord, cursor: TimeCursor)] = []
        for try await row in rows {
            let record = try MessageRecord(row)
            let micros = try row.makeRandomAccess()["cursor_micros"].decode(Int64.self)
            page.append((record, TimeCursor(micros: micros, id: record.id)))
        }
        return page
    }

    // MARK: Contacts

    /// The SQL of one ListContacts page by display name (`contacts_by_name`). `query` matches
    /// names and handles by word prefix through `contacts.search` (`contacts_search`): PostgreSQL
    /// splits the folded query with the parser that built the column, and every word must begin
    /// a word of the contact ("elo dup" finds "Éloïse Dupont", "customer-1" finds "customer-12").
    /// A query without any word matches nothing.
    static func listContactsQuery(
        organizationID: String, query: String?, after: (name: String, id: UUID)?, limit: Int
    ) -> PostgresQuery {
        var sql = ListingSQL()
        sql.append("SELECT organization_id, id, display_name, created_at, updated_at FROM contacts")
        sql.append("\nWHERE organization_id = ", organizationID)
        if let query {
            // Each lexeme quoted for tsquery (backslash and quote escaped) and marked as a prefix.
            let words = sql.bind(query)
            sql.append(
                """

                AND search @@ (SELECT string_agg(
                    '''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''':*', ' & ')
                    FROM unnest(to_tsvector('simple', fold(\(words)))))::tsquery
                """)
        }
        if let after {
            let name = sql.bind(after.name)
            let id = sql.bind(after.id)
            sql.append("\nAND (display_name, id) > (\(name), \(id))")
        }
        sql.append("\nORDER BY display_name, id LIMIT ", limit)
        return sql.query
    }

    func listContacts(organizationID: String, query: String?, after: (name: String, id: UUID)?, limit: Int)
        async throws -> [ContactView]
    {
        let rows = try await self.client.query(
            Self.listContactsQuery(organizationID: organizationID, query: query, after: after, limit: limit),
            logger: self.logger)
        var contacts: [ContactView] = []
        for try await (organization, id, name, created, updated) in rows.decode((String, UUID, String, Date, Date).self)
        {
            contacts.append(
                ContactView(
                    organizationID: organization, id: id, displayName: name, createdAt: created, updatedAt: updated))
        }
        return try await self.withIdentities(contacts, organizationID: organizationID)
    }

    func contactWithIdentities(_ id: UUID, organizationID: String) async throws -> ContactView? {
        let rows = try await self.client.query(
            """
            SELECT organization_id, id, display_name, created_at, updated_at FROM contacts
            WHERE organization_id = \(organizationID) AND id = \(id)
            """,
            logger: self.logger)
        var found: [ContactView] = []
        for try await (organization, id, name, created, updated) in rows.decode((String, UUID, String, Date, Date).self)
        {
            found.append(
                ContactView(
                    organizationID: organization, id: id, displayName: name, createdAt: created, updatedAt: updated))
        }
        return try await self.withIdentities(found, organizationID: organizationID).first
    }

    /// The contacts with their identities, read in one query (`contact_identities_by_contact`).
    private func withIdentities(_ contacts: [ContactView], organizationID: String) async throws -> [ContactView] {
        guard !contacts.isEmpty else { return [] }
        let rows = try await self.client.query(
            """
            SELECT contact_id, channel_id, platform, platform_user_id, handle, display_name, opted_out
            FROM contact_identities
            WHERE organization_id = \(organizationID) AND contact_id = ANY(\(contacts.map(\.id))::uuid[])
            ORDER BY channel_id, platform_user_id
            """,
            logger: self.logger)
        var identities: [UUID: [Inbox_V1_ContactIdentity]] = [:]
        for try await (contact, channel, platform, user, handle, name, optedOut) in rows.decode(
            (UUID, String, String, String, String, String, Bool).self)
        {
            identities[contact, default: []].append(
                .with {
                    $0.channelID = channel
                    $0.platform = ReplyPlatform(rawValue: platform)?.proto ?? .unspecified
                    $0.platformUserID = user
                    $0.handle = handle
                    $0.displayName = name
                    $0.optedOut = optedOut
                })
        }
        return contacts.map { contact in
            var contact = contact
            contact.identities = identities[contact.id] ?? []
            return contact
        }
    }

    // MARK: UpdateConversation

    /// Applies `edit` in one transaction (the conversation locked, its state before noted for the
    /// watchers, one `conversation_updated` change). An edit that changes nothing writes nothing.
    /// Resolving it queues the release of its assignment (assignment-service's capacity is freed
    /// at once, FollowUpWorker). Nil when the organisation has no such conversation.
    func updateConversation(_ id: UUID, organizationID: String, edit: ConversationEdit, now: Date) async throws
        -> ConversationRecord?
    {
        try await self.transaction { connection in
            guard let record = try await self.lockedConversation(id, organizationID: organizationID, on: connection)
            else { return nil }
            let after = edit.applied(to: record)
            guard
                after.status != record.status || after.snoozedUntil != record.snoozedUntil || after.tags != record.tags
            else { return record }
            var changes = ChangeSet()
            changes.noteBefore(record.proto(now: now), id: id)
            try await connection.query(
                """
                UPDATE conversations SET status = \(after.status.rawValue),
                    snoozed_until = \(after.snoozedUntil)::timestamptz, tags = \(after.tags)::text[], updated_at = \(now)
                WHERE organization_id = \(organizationID) AND id = \(id)
                """,
                logger: self.logger)
            if after.status == .resolved, record.status != .resolved {
                try await self.enqueueRelease(record, on: connection)
            }
            let updated = try await self.conversation(id, organizationID: organizationID, on: connection)
            changes.add(.conversationUpdated, organizationID: organizationID, conversationID: id)
            try await self.record(changes, on: connection, now: now)
            return updated
        }
    }

    // MARK: MarkConversationRead

    /// Moves the read point: to `messageID` (its platform time; unread = the inbound messages
    /// after it in platform-time order) or, when nil, to `now` with nothing unread. Nil when the
    /// organisation has no such conversation; NOT_FOUND when the message is not one of its.
    func markRead(_ id: UUID, organizationID: String, upTo messageID: UUID?, now: Date) async throws
        -> ConversationRecord?
    {
        try await self.transaction { connection in
            guard let record = try await self.lockedConversation(id, organizationID: organizationID, on: connection)
            else { return nil }
            var changes = ChangeSet()
            changes.noteBefore(record.proto(now: now), id: id)
            if let messageID {
                // The read point is the stored message itself (no Date round trip), so the messages
                // of its exact microsecond are ordered by id as ListMessages orders them.
                let rows = try await connection.query(
                    """
                    UPDATE conversations c SET last_read_at = p.platform_time, updated_at = \(now),
                        unread_count = (SELECT count(*) FROM messages m
                            WHERE m.organization_id = c.organization_id AND m.conversation_id = c.id
                                AND m.direction = 'inbound' AND (m.platform_time, m.id) > (p.platform_time, p.id))
                    FROM messages p
                    WHERE c.organization_id = \(organizationID) AND c.id = \(id)
                        AND p.organization_id = c.organization_id AND p.conversation_id = c.id AND p.id = \(messageID)
                    RETURNING c.id
                    """,
                    logger: self.logger)
                var found = false
                for try await _ in rows { found = true }
                guard found else {
                    throw DomainError.notFound(
                        "message \(messageID.text) is not a message of this conversation", resource: "message")
                }
            } else {
                try await connection.query(
                    """
                    UPDATE conversations SET last_read_at = \(now), unread_count = 0, updated_at = \(now)
                    WHERE organization_id = \(organizationID) AND id = \(id)
                    """,
                    logger: self.logger)
            }
            let updated = try await self.conversation(id, organizationID: organizationID, on: connection)
            changes.add(.conversationUpdated, organizationID: organizationID, conversationID: id)
            try await self.record(changes, on: connection, now: now)
            return updated
        }
    }

    // MARK: AddNote

    /// Stores the note, or returns the one stored before under its idempotency key (`created`
    /// false); the same key with another request is IDEMPOTENCY_KEY_REUSED. A concurrent retry
    /// waits for the first insert (ON CONFLICT) and then reads it.
    func addNote(_ note: NoteDraft, now: Date) async throws -> (message: MessageRecord, created: Bool) {
        try await self.transaction { connection in
            let id = UUID()
            let rows = try await connection.query(
                """
                INSERT INTO messages (organization_id, id, conversation_id, channel_id, direction, author, agent_id,
                    body, platform_time, received_at, content_at, idempotency_key, idempotency_fingerprint)
                VALUES (\(note.organizationID), \(id), \(note.conversationID), \(note.channelID), 'note', '{}'::jsonb,
                    \(note.agentID), \(note.text), \(now), \(now), \(now), \(note.idempotencyKey), \(note.fingerprint))
                ON CONFLICT (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING id
                """,
                logger: self.logger)
            var inserted = false
            for try await _ in rows { inserted = true }
            guard inserted else {
                guard let key = note.idempotencyKey,
                    let existing = try await self.storedMessage(
                        withKey: key, organizationID: note.organizationID, on: connection)
                else {
                    throw DomainError.unavailable("the note could not be stored; try again")
                }
                guard existing.idempotencyFingerprint == note.fingerprint else {
                    throw DomainError.idempotencyKeyReused()
                }
                return (existing, false)
            }
            guard let message = try await self.message(id, organizationID: note.organizationID, on: connection) else {
                throw DomainError.unavailable("the note could not be stored; try again")
            }
            var changes = ChangeSet()
            changes.add(
                .messageCreated, organizationID: note.organizationID, conversationID: note.conversationID,
                messageID: id)
            try await self.record(changes, on: connection, now: now)
            return (message, true)
        }
    }

    private func storedMessage(withKey idempotencyKey: String, organizationID: String, on db: any Queryable)
        async throws -> MessageRecord?
    {
        let rows = try await db.rows(
            """
            SELECT \(unescaped: MessageRecord.columns) FROM messages
            WHERE organization_id = \(organizationID) AND idempotency_key = \(idempotencyKey)
            """,
            logger: self.logger)
        for try await row in rows { return try MessageRecord(row) }
        return nil
    }

    // MARK: SetAssignee

    /// Applies the batch in one transaction, in item order: an item takes effect only when its
    /// version is newer than the conversation's (assignment-service's history is monotonic, so a
    /// late or repeated delivery never moves the assignee back). The conversations are locked in
    /// key order, so two batches never deadlock.
    func setAssignees(_ items: [AssigneeChange], now: Date) async throws -> [AssigneeOutcome] {
        guard !items.isEmpty else { return [] }
        return try await self.transaction { connection in
            let keys = Array(
                Set(items.map { ConversationKey(organizationID: $0.organizationID, id: $0.conversationID) }))
            let rows = try await connection.query(
                """
                \(unescaped: ConversationRecord.select)
                WHERE (c.organization_id, c.id) IN (
                    SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.id))::uuid[]))
                ORDER BY c.organization_id COLLATE "C", c.id FOR NO KEY UPDATE OF c
                """,
                logger: self.logger)
            var changes = ChangeSet()
            var versions: [ConversationKey: Int64] = [:]
            for try await row in rows {
                let record = try ConversationRecord(row)
                versions[ConversationKey(organizationID: record.organizationID, id: record.id)] = record.assigneeVersion
                changes.noteBefore(record.proto(now: now), id: record.id)
            }
            var outcomes: [AssigneeOutcome] = []
            var latest: [ConversationKey: AssigneeChange] = [:]
            var order: [ConversationKey] = []
            for item in items {
                let key = ConversationKey(organizationID: item.organizationID, id: item.conversationID)
                guard let version = versions[key] else {
                    outcomes.append(.notFound)
                    continue
                }
                guard item.version > version else {
                    outcomes.append(.stale(version: version))
                    continue
                }
                versions[key] = item.version
                if latest.updateValue(item, forKey: key) == nil { order.append(key) }
                outcomes.append(.applied(version: item.version))
            }
            guard !order.isEmpty else { return outcomes }
            let applied = order.compactMap { latest[$0] }
            try await connection.query(
                """
                UPDATE conversations c SET assignee_agent_id = nullif(x.agent, ''), assignee_team_id = nullif(x.team, ''),
                    assignee_version = x.version, updated_at = \(now)
                FROM unnest(\(applied.map(\.organizationID))::text[], \(applied.map(\.conversationID))::uuid[],
                    \(applied.map { $0.agentID ?? "" })::text[], \(applied.map { $0.teamID ?? "" })::text[],
                    \(applied.map(\.version))::int8[]) AS x(organization_id, id, agent, team, version)
                WHERE c.organization_id = x.organization_id AND c.id = x.id
                """,
                logger: self.logger)
            for item in applied {
                changes.add(
                    .conversationUpdated, organizationID: item.organizationID, conversationID: item.conversationID)
            }
            try await self.record(changes, on: connection, now: now)
            return outcomes
        }
    }

    // MARK: Snoozes

    /// Wakes up to `limit` conversations whose snooze is over (PENDING → OPEN, `snoozed_until`
    /// cleared; `conversations_snoozed`), their changes logged, in one transaction. Rows another
    /// replica is waking are skipped (`SKIP LOCKED`), so no wake is logged twice. Returns how many
    /// woke.
    func wakeSnoozed(now: Date, limit: Int) async throws -> Int {
        try await self.transaction { connection in
            let rows = try await connection.query(
                """
                \(unescaped: ConversationRecord.select)
                WHERE c.snoozed_until <= \(now)
                ORDER BY c.snoozed_until LIMIT \(limit) FOR UPDATE OF c SKIP LOCKED
                """,
                logger: self.logger)
            var changes = ChangeSet()
            var keys: [ConversationKey] = []
            for try await row in rows {
                let record = try ConversationRecord(row)
                keys.append(ConversationKey(organizationID: record.organizationID, id: record.id))
                changes.noteBefore(record.proto(now: now), id: record.id)
            }
            guard !keys.isEmpty else { return 0 }
            try await connection.query(
                """
                UPDATE conversations c SET snoozed_until = NULL, updated_at = \(now),
                    status = CASE WHEN c.status = 'pending' THEN 'open' ELSE c.status END
                FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.id))::uuid[]) AS x(organization_id, id)
                WHERE c.organization_id = x.organization_id AND c.id = x.id
                """,
                logger: self.logger)
            for key in keys {
                changes.add(.conversationUpdated, organizationID: key.organizationID, conversationID: key.id)
            }
            try await self.record(changes, on: connection, now: now)
            return keys.count
        }
    }
}
