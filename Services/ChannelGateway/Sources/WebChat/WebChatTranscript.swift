import Crypto
import InboxKit
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One message of a visitor's transcript, as the widget sees it (README "Web chat": Message).
struct WebChatMessage: Sendable, Hashable {
    enum Direction: String, Sendable, Hashable {
        case visitor
        case agent
    }

    /// Where a message stands; it only moves forward.
    enum State: String, Sendable, Hashable, Comparable {
        case sent
        case delivered
        case read

        var rank: Int {
            switch self {
            case .sent: 1
            case .delivered: 2
            case .read: 3
            }
        }

        static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    var id: String
    var clientID: String?
    var seq: Int64
    var version: Int64
    var direction: Direction
    var text: String
    var author: String?
    var createdAt: Date
    var state: State

    /// The id of a visitor's message: the same for every resend of one `client_id`, so the inbox
    /// (unique on channel and platform message id) and the transcript each keep it once.
    static func visitorMessageID(visitorID: String, clientID: String) -> String {
        let digest = SHA256.hash(data: Array("\(visitorID)\n\(clientID)".utf8))
        return "v-" + Base64URL.encode(Array(digest.prefix(16)))
    }

    /// The id of a team reply: a digest of its delivery's idempotency key, so a retried send
    /// (after a crash between the write and the delivery's update) finds the message it wrote.
    static func agentMessageID(idempotencyKey: String) -> String {
        let digest = SHA256.hash(data: Array(idempotencyKey.utf8))
        return "a-" + Base64URL.encode(Array(digest.prefix(16)))
    }
}

/// A message to add to a transcript.
struct NewWebChatMessage: Sendable {
    var id: String
    var direction: WebChatMessage.Direction
    var clientID: String?
    var text: String
    var author: String?
    var createdAt: Date
}

/// `gateway.webchat_visitors` and `gateway.webchat_messages`: what each web-chat visitor sees.
///
/// Every change (a new message, a new state) takes the next version of its visitor under the
/// visitor row's lock and sends `NOTIFY webchat '<channel> <visitor>'` in the same statement (the
/// `pg_notify(...)::text = ''` filter, true for each returned row, is where it is sent), so
/// every gateway replica's ``WebChatHub`` wakes the visitor's open streams once it commits.
struct WebChatTranscript: Sendable {
    static let notifyChannel = "webchat"

    let client: PostgresClient
    let logger: Logger

    private static let columns = "id, client_id, seq, version, direction, text, author, state, created_at"

    /// Adds `message` to the visitor's transcript, or finds it when a message with its id is
    /// there already: `created` says which.
    func append(channelID: UUID, visitorID: String, _ message: NewWebChatMessage) async throws -> (
        message: WebChatMessage, created: Bool
    ) {
        let rows = try await self.client.query(
            """
            WITH visitor AS (
                INSERT INTO webchat_visitors AS v (channel_id, visitor_id, last_seq, last_version)
                VALUES (\(channelID), \(visitorID), 1, 1)
                ON CONFLICT (channel_id, visitor_id)
                    DO UPDATE SET last_seq = v.last_seq + 1, last_version = v.last_version + 1
                RETURNING last_seq, last_version
            ), inserted AS (
                INSERT INTO webchat_messages (
                    channel_id, visitor_id, id, seq, version, direction, client_id, text, author,
                    state, created_at)
                SELECT \(channelID), \(visitorID), \(message.id), last_seq, last_version,
                    \(message.direction.rawValue), \(message.clientID), \(message.text),
                    \(message.author), 'sent', \(message.createdAt)
                FROM visitor
                ON CONFLICT DO NOTHING
                RETURNING \(unescaped: Self.columns)
            )
            SELECT \(unescaped: Self.columns) FROM inserted
            WHERE pg_notify(\(Self.notifyChannel), \(channelID.text + " " + visitorID))::text = ''
            """,
            logger: self.logger)
        if let created = try await Self.messages(rows).first { return (created, true) }
        let existing = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns) FROM webchat_messages
            WHERE channel_id = \(channelID) AND visitor_id = \(visitorID) AND id = \(message.id)
            """,
            logger: self.logger)
        guard let found = try await Self.messages(existing).first else {
            // The id is another visitor's message (the same client id digest, or a reply's key
            // reused for another visitor): trying again cannot repair it.
            throw DomainError.failedPrecondition(
                "web-chat message \(message.id) conflicts with another transcript's", reason: .resourceAlreadyExists)
        }
        return (found, false)
    }

    /// The `limit` messages before `before` (the latest without it), oldest first, and whether
    /// older ones exist.
    func history(channelID: UUID, visitorID: String, before: Int64?, limit: Int) async throws -> (
        [WebChatMessage], hasMore: Bool
    ) {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns) FROM webchat_messages
            WHERE channel_id = \(channelID) AND visitor_id = \(visitorID) AND seq < \(before ?? Int64.max)
            ORDER BY seq DESC LIMIT \(limit + 1)
            """,
            logger: self.logger)
        var messages = try await Self.messages(rows)
        let hasMore = messages.count > limit
        messages = Array(messages.prefix(limit))
        return (messages.reversed(), hasMore)
    }

    /// The visitor's messages changed after `version` (new, or in a new state), in version order.
    func changes(channelID: UUID, visitorID: String, after version: Int64, limit: Int = 500) async throws
        -> [WebChatMessage]
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns) FROM webchat_messages
            WHERE channel_id = \(channelID) AND visitor_id = \(visitorID) AND version > \(version)
            ORDER BY version, seq LIMIT \(limit)
            """,
            logger: self.logger)
        return try await Self.messages(rows)
    }

    /// The visitor's current version (0 before their first message).
    func version(channelID: UUID, visitorID: String) async throws -> Int64 {
        let rows = try await self.client.query(
            """
            SELECT last_version FROM webchat_visitors WHERE channel_id = \(channelID) AND visitor_id = \(visitorID)
            """,
            logger: self.logger)
        for try await version in rows.decode(Int64.self) { return version }
        return 0
    }

    /// Tells the visitor's open streams, on every replica, that an agent is typing (or stopped):
    /// `NOTIFY webchat '<channel> <visitor> typing <0|1> <author>'`. Nothing is stored: an
    /// indicator is only worth something while it is true.
    func notifyTyping(channelID: UUID, visitorID: String, typing: Bool, author: String) async throws {
        let payload = "\(channelID.text) \(visitorID) typing \(typing ? 1 : 0) \(author)"
        try await self.client.query(
            "SELECT pg_notify(\(Self.notifyChannel), \(payload))::text", logger: self.logger)
    }

    /// The visitor's team messages among `ids`.
    func agentMessages(channelID: UUID, visitorID: String, ids: [String]) async throws -> [WebChatMessage] {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns) FROM webchat_messages
            WHERE channel_id = \(channelID) AND visitor_id = \(visitorID) AND id = ANY(\(ids)) AND direction = 'agent'
            """,
            logger: self.logger)
        return try await Self.messages(rows)
    }

    /// Moves the visitor's team messages among `ids` forward to `state` (never back); returns
    /// those that moved. Ids of other visitors' or of the visitor's own messages are ignored.
    func acknowledge(channelID: UUID, visitorID: String, ids: [String], state: WebChatMessage.State) async throws
        -> [WebChatMessage]
    {
        guard !ids.isEmpty else { return [] }
        let rank = state.rank
        let rows = try await self.client.query(
            """
            WITH visitor AS (
                UPDATE webchat_visitors SET last_version = last_version + 1
                WHERE channel_id = \(channelID) AND visitor_id = \(visitorID) AND EXISTS (
                    SELECT 1 FROM webchat_messages m
                    WHERE m.channel_id = \(channelID) AND m.visitor_id = \(visitorID) AND m.id = ANY(\(ids))
                        AND m.direction = 'agent'
                        AND (CASE m.state WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 ELSE 3 END) < \(rank))
                RETURNING last_version
            ), updated AS (
                UPDATE webchat_messages m SET state = \(state.rawValue), version = visitor.last_version
                FROM visitor
                WHERE m.channel_id = \(channelID) AND m.visitor_id = \(visitorID) AND m.id = ANY(\(ids))
                    AND m.direction = 'agent'
                    AND (CASE m.state WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 ELSE 3 END) < \(rank)
                RETURNING m.id, m.client_id, m.seq, m.version, m.direction, m.text, m.author, m.state,
                    m.created_at
            )
            -- One notification however many moved: identical ones of a transaction are sent once.
            SELECT \(unescaped: Self.columns) FROM updated
            WHERE pg_notify(\(Self.notifyChannel), \(channelID.text + " " + visitorID))::text = ''
            """,
            logger: self.logger)
        return try await Self.messages(rows)
    }

    private static func messages(_ rows: PostgresRowSequence) async throws -> [WebChatMessage] {
        var messages: [WebChatMessage] = []
        for try await row in rows.decode(
            (String, String?, Int64, Int64, String, String, String?, String, Date).self)
        {
            messages.append(
                WebChatMessage(
                    id: row.0, clientID: row.1, seq: row.2, version: row.3,
                    direction: WebChatMessage.Direction(rawValue: row.4) ?? .visitor, text: row.5, author: row.6,
                    createdAt: row.8, state: WebChatMessage.State(rawValue: row.7) ?? .sent))
        }
        return messages
    }
}

/// base64url without padding (RFC 4648 §5), for tokens and ids.
enum Base64URL {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard base64.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" }) else { return nil }
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
