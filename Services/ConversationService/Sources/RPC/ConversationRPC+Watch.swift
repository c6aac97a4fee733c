import GRPCCore
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension ConversationRPC {
    /// How many changes a watch reads at once: all it ever holds, however fast changes come.
    static let watchPageSize = 500

    /// WatchConversations: the organisation's changes that match the filter, read from the change
    /// log after the watch's cursor whenever the ``ChangeFeed`` says something was committed (and
    /// every `pollInterval` in case a notification was lost), with a HEARTBEAT after
    /// `heartbeatInterval` of silence. Changes come in the log's order (transaction, then number):
    /// a change waits until every transaction older than its own has ended (usually milliseconds),
    /// so that nothing can later appear before a cursor that passed it; while one waits, the log
    /// is read again every few milliseconds.
    ///
    /// Resuming: every change after `resume_token` is replayed first; a token older than what the
    /// log keeps (`changeRetention`) or newer than anything committed gets one RESET carrying the
    /// current cursor. A client that does not take an event within `slowWatcherTimeout` is ended
    /// with RESOURCE_EXHAUSTED (`STREAM_TOO_SLOW`) and resumes with its last cursor; a replica
    /// shutting down ends its watches with UNAVAILABLE for the same.
    func watchConversations(
        request: Inbox_V1_WatchConversationsRequest,
        response: RPCWriter<Inbox_V1_ConversationEvent>,
        context: ServerContext
    ) async throws {
        let organizationID = try Self.inboxCaller().organizationID
        let matcher = try FilterMatcher(request.filter)
        let resumeAfter = try Self.resumePoint(request.resumeToken)
        // Subscribed before the starting point is read: nothing committed after it goes unnoticed.
        let subscription = self.feed.subscribe(organizationID: organizationID)
        defer { self.feed.unsubscribe(subscription) }
        // gRPC tells a handler that its RPC ended (the client went away, the server stops) through
        // the context, not by cancelling its task: the wake-up makes the watch notice at once.
        try await withRPCCancellationHandler(
            operation: {
                try await self.streamChanges(
                    after: resumeAfter, organizationID: organizationID, matcher: matcher,
                    subscription: subscription, to: response, context: context)
            },
            onCancelRPC: { subscription.signal.wake() })
    }

    /// The watch's loop: the RESET if the resume point is lost, then page after page of the change
    /// log, waiting for the feed in between, until the RPC or the feed ends.
    private func streamChanges(
        after resumeAfter: WatchCursor?, organizationID: String, matcher: FilterMatcher,
        subscription: ChangeFeed.Subscription, to response: RPCWriter<Inbox_V1_ConversationEvent>,
        context: ServerContext
    ) async throws {
        let start = try await self.readingChangeLog {
            try await self.repository.watchStart(after: resumeAfter, organizationID: organizationID)
        }
        var cursor = start.cursor
        if start.reset {
            try await self.send(
                .with {
                    $0.type = .reset
                    $0.cursor = Self.cursor(cursor)
                }, to: response)
        }
        var selection = WatchSelection(matcher: matcher)
        let clock = ContinuousClock()
        var lastSent = clock.now
        while true {
            try Task.checkCancellation()
            guard !self.feed.isClosed, !context.cancellation.isCancelled else {
                throw DomainError.unavailable(
                    "the watch was ended by the server (it may be shutting down); watch again with the last cursor "
                        + "as resume_token")
            }
            let (page, waiting) = try await self.readingChangeLog {
                try await self.repository.changes(
                    after: cursor, organizationID: organizationID, limit: Self.watchPageSize)
            }
            for change in page {
                cursor = change.position
                if let event = selection.event(for: change) {
                    try await self.send(event, to: response)
                    lastSent = clock.now
                }
            }
            if clock.now - lastSent >= self.feed.heartbeatInterval {
                try await self.send(
                    .with {
                        $0.type = .heartbeat
                        $0.cursor = Self.cursor(cursor)
                    }, to: response)
                lastSent = clock.now
            }
            // A full page: more is committed already, read on without waiting.
            guard page.count < Self.watchPageSize else { continue }
            let untilHeartbeat = self.feed.heartbeatInterval - (clock.now - lastSent)
            // A committed change waits for an older transaction, whose end may notify nothing
            // (another service's, or one that wrote no change): look again soon.
            let interval = waiting ? min(Self.waitingRecheck, self.feed.pollInterval) : self.feed.pollInterval
            await subscription.wait(timeout: max(Duration.milliseconds(1), min(interval, untilHeartbeat)))
        }
    }

    /// How soon the log is read again while a committed change waits for an older transaction.
    static let waitingRecheck = Duration.milliseconds(5)

    /// An event's cursor: the change's place in the log, opaque to clients.
    static func cursor(_ position: WatchCursor) -> String {
        PageToken.encode("watch", "\(position.tx):\(position.seq)")
    }

    /// The change a resume token names (nil: no token); a malformed one is INVALID_ARGUMENT
    /// (`PAGE_TOKEN_INVALID`, field `resume_token`). A token of the log before migration 6 (a
    /// number alone) names that change at transaction 0, where the older changes are kept.
    static func resumePoint(_ token: String) throws(DomainError) -> WatchCursor? {
        guard !token.isEmpty else { return nil }
        let invalid = DomainError.invalidArgument(
            "resume_token is not a cursor of this watch; watch again without one", reason: .pageTokenInvalid,
            field: "resume_token")
        guard let text = try? PageToken.decode("watch", token) else { throw invalid }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let seq = Int64(parts[0]), seq >= 0 else { throw invalid }
            return WatchCursor(tx: 0, seq: seq)
        case 2:
            guard let tx = Int64(parts[0]), let seq = Int64(parts[1]), tx >= 0, seq >= 0 else { throw invalid }
            return WatchCursor(tx: tx, seq: seq)
        default:
            throw invalid
        }
    }

    /// Writes one event, or ends the watch when the client has not taken it within the feed's
    /// `slowWatcherTimeout`.
    func send(_ event: Inbox_V1_ConversationEvent, to response: RPCWriter<Inbox_V1_ConversationEvent>) async throws {
        try await Self.send(event, to: response, within: self.feed.slowWatcherTimeout)
    }

    /// Writes `event` unless the writer has not accepted it after `timeout` (the client stopped
    /// reading and flow control holds the write): then RESOURCE_EXHAUSTED, `STREAM_TOO_SLOW`.
    /// Nothing else waits for a slow client, so it never makes memory grow.
    static func send(
        _ event: Inbox_V1_ConversationEvent, to writer: RPCWriter<Inbox_V1_ConversationEvent>, within timeout: Duration
    ) async throws {
        let written = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await writer.write(event)
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        guard written else {
            throw DomainError.resourceExhausted(
                "the watch fell behind: an event was not taken within \(timeout); watch again with the last cursor "
                    + "processed as resume_token", reason: .streamTooSlow)
        }
    }

    /// Runs a read of the change log. A database failure ends the watch with UNAVAILABLE (the
    /// client resumes with its cursor), not INTERNAL; it is logged here.
    private func readingChangeLog<T: Sendable>(_ read: () async throws -> T) async throws -> T {
        do {
            return try await read()
        } catch let error as DomainError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            self.repository.logger.warning(
                "a watch could not read the change log", metadata: ["error": "\(String(reflecting: error))"])
            throw DomainError.unavailable(
                "the change log cannot be read right now; watch again with the last cursor as resume_token")
        }
    }
}

/// A place in an organisation's change log: after the change numbered `seq` of transaction `tx`
/// (the log's order is transaction, then number; (0, 0) is before everything).
struct WatchCursor: Sendable, Hashable, Comparable {
    var tx: Int64
    var seq: Int64

    static let start = WatchCursor(tx: 0, seq: 0)

    static func < (lhs: WatchCursor, rhs: WatchCursor) -> Bool {
        (lhs.tx, lhs.seq) < (rhs.tx, rhs.seq)
    }
}

/// One row of the change log, decoded (`type` nil for a word this version does not know: skipped).
struct LoggedChange: Sendable {
    var position: WatchCursor
    var type: ChangeType?
    var conversation: Inbox_V1_Conversation
    var before: Inbox_V1_Conversation?
    var message: Inbox_V1_Message?
    var occurredAt: Date
}

/// What a watch sends for each change: the change itself when its conversation (after the change)
/// matches the filter; one CONVERSATION_UPDATED with `left_filter` when the conversation matched
/// before the change and no longer does; nothing otherwise. The next change of a conversation
/// that left starts from a `before` that does not match, so nothing more is said about it until
/// it matches again.
struct WatchSelection: Sendable {
    /// The changes of one transaction share their snapshots (before and after), so a transaction
    /// that changes a conversation several times would say "left" once per change: the ids just
    /// told are remembered. Only the rest of that transaction needs them, and a transaction
    /// touches at most 500 conversations (the batch limit), so the latest 1000 suffice.
    static let leftMemory = 1000

    let matcher: FilterMatcher
    private var recentlyLeft: [String] = []

    init(matcher: FilterMatcher) {
        self.matcher = matcher
    }

    mutating func event(for change: LoggedChange) -> Inbox_V1_ConversationEvent? {
        guard let type = change.type else { return nil }
        let id = change.conversation.id
        if self.matcher.matches(change.conversation) {
            if !self.recentlyLeft.isEmpty { self.recentlyLeft.removeAll { $0 == id } }
            return .with {
                $0.type = type.proto
                $0.conversation = change.conversation
                if let message = change.message { $0.message = message }
                $0.occurredAt = Google_Protobuf_Timestamp(date: change.occurredAt)
                $0.cursor = ConversationRPC.cursor(change.position)
            }
        }
        guard let before = change.before, self.matcher.matches(before), !self.recentlyLeft.contains(id) else {
            return nil
        }
        self.recentlyLeft.append(id)
        if self.recentlyLeft.count > Self.leftMemory { self.recentlyLeft.removeFirst() }
        return .with {
            $0.type = .conversationUpdated
            $0.conversation = change.conversation
            $0.leftFilter = true
            $0.occurredAt = Google_Protobuf_Timestamp(date: change.occurredAt)
            $0.cursor = ConversationRPC.cursor(change.position)
        }
    }
}

extension ConversationRepository {
    /// Where a watch starts. No resume point: after the organisation's last change that a reader
    /// may take now (its transaction older than every running one; a change committed but still
    /// waiting is delivered, not skipped: the start waits up to 2 s for such a change first). A resume point at or after the newest change the
    /// retention removed (`change_floors`), and not beyond the last number given: from there.
    /// Otherwise `reset`, from the last change now.
    func watchStart(after resume: WatchCursor?, organizationID: String) async throws -> (
        cursor: WatchCursor, reset: Bool
    ) {
        var start = try await self.logEnds(organizationID: organizationID)
        // A change committed just now may still wait for an older transaction (usually
        // milliseconds; as long as the longest write transaction of the cluster at worst): starting
        // after it, rather than before, spares the watch a replay of it. Past 2 s the watch starts
        // before it and delivers it.
        for _ in 0..<200 where start.waiting {
            try await Task.sleep(for: .milliseconds(10))
            start = try await self.logEnds(organizationID: organizationID)
        }
        guard let resume else { return (start.current, false) }
        if resume.seq > start.newest || resume < start.floor { return (start.current, true) }
        return (resume, false)
    }

    /// The organisation's log as a watch starting now sees it: its last change a reader may take
    /// (else the floor), the floor, the highest number given, and whether a change waits.
    private func logEnds(organizationID: String) async throws
        -> (current: WatchCursor, floor: WatchCursor, newest: Int64, waiting: Bool)
    {
        let rows = try await self.client.query(
            """
            SELECT ready.tx::text::int8, ready.seq, f.tx::text::int8, f.seq,
                (SELECT max(seq) FROM changes WHERE organization_id = \(organizationID)),
                EXISTS (SELECT 1 FROM changes WHERE organization_id = \(organizationID)
                    AND tx >= pg_snapshot_xmin(pg_current_snapshot()))
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT tx, seq FROM changes WHERE organization_id = \(organizationID)
                    AND tx < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY tx DESC, seq DESC LIMIT 1) AS ready ON true
            LEFT JOIN change_floors f ON f.organization_id = \(organizationID)
            """,
            logger: self.logger)
        var result = (current: WatchCursor.start, floor: WatchCursor.start, newest: Int64(0), waiting: false)
        for try await row in rows.decode((Int64?, Int64?, Int64?, Int64?, Int64?, Bool).self) {
            if let tx = row.2, let seq = row.3 { result.floor = WatchCursor(tx: tx, seq: seq) }
            if let tx = row.0, let seq = row.1 {
                result.current = max(WatchCursor(tx: tx, seq: seq), result.floor)
            } else {
                result.current = result.floor
            }
            result.newest = max(row.4 ?? 0, result.floor.seq)
            result.waiting = row.5
        }
        return result
    }

    /// The organisation's changes after `cursor` in the log's order, at most `limit`, that a reader
    /// may take now: those whose transaction is older than every running one (all such
    /// transactions have ended, so no change can still appear before them). `waiting`: a later
    /// change is committed but waits for an older transaction.
    func changes(after cursor: WatchCursor, organizationID: String, limit: Int) async throws
        -> (page: [LoggedChange], waiting: Bool)
    {
        let rows = try await self.client.query(
            """
            SELECT tx::text::int8, seq, type, conversation, before, message, occurred_at,
                tx < pg_snapshot_xmin(pg_current_snapshot())
            FROM changes
            WHERE organization_id = \(organizationID) AND (tx, seq) > (\(String(cursor.tx))::xid8, \(cursor.seq))
            ORDER BY tx, seq LIMIT \(limit)
            """,
            logger: self.logger)
        var page: [LoggedChange] = []
        var waiting = false
        for try await row in rows.decode((Int64, Int64, String, ByteBuffer, ByteBuffer?, ByteBuffer?, Date, Bool).self)
        {
            // The log's order puts every change a reader may take first.
            guard row.7, !waiting else {
                waiting = true
                continue
            }
            page.append(
                LoggedChange(
                    position: WatchCursor(tx: row.0, seq: row.1), type: ChangeType(rawValue: row.2),
                    conversation: try Inbox_V1_Conversation(serializedBytes: Array(row.3.readableBytesView)),
                    before: try row.4.map { try Inbox_V1_Conversation(serializedBytes: Array($0.readableBytesView)) },
                    message: try row.5.map { try Inbox_V1_Message(serializedBytes: Array($0.readableBytesView)) },
                    occurredAt: row.6))
        }
        return (page, waiting)
    }
}
