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

    /// WatchConversations: the organisation's changes that match the filter, in commit order, read
    /// from the change log after the watch's cursor whenever the ``ChangeFeed`` says something was
    /// committed (and every `pollInterval` in case a notification was lost), with a HEARTBEAT after
    /// `heartbeatInterval` of silence.
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
        after resumeAfter: Int64?, organizationID: String, matcher: FilterMatcher,
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
            let page = try await self.readingChangeLog {
                try await self.repository.changes(
                    after: cursor, organizationID: organizationID, limit: Self.watchPageSize)
            }
            for change in page {
                cursor = change.seq
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
            await subscription.wait(
                timeout: max(Duration.milliseconds(1), min(self.feed.pollInterval, untilHeartbeat)))
        }
    }

    /// An event's cursor: the change's number in its organisation's log, opaque to clients.
    static func cursor(_ seq: Int64) -> String {
        PageToken.encode("watch", String(seq))
    }

    /// The change a resume token names (nil: no token); a malformed one is INVALID_ARGUMENT
    /// (`PAGE_TOKEN_INVALID`, field `resume_token`).
    static func resumePoint(_ token: String) throws(DomainError) -> Int64? {
        guard !token.isEmpty else { return nil }
        guard let text = try? PageToken.decode("watch", token), let seq = Int64(text), seq >= 0 else {
            throw .invalidArgument(
                "resume_token is not a cursor of this watch; watch again without one", reason: .pageTokenInvalid,
                field: "resume_token")
        }
        return seq
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

/// One row of the change log, decoded (`type` nil for a word this version does not know: skipped).
struct LoggedChange: Sendable {
    var seq: Int64
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
                $0.cursor = ConversationRPC.cursor(change.seq)
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
            $0.cursor = ConversationRPC.cursor(change.seq)
        }
    }
}

extension ConversationRepository {
    /// Where a watch starts. No resume point: the organisation's last change now. A resume point
    /// in the log: from there. A resume point the log no longer holds the changes after (removed by
    /// retention) or that was never reached: `reset`, from the last change now.
    func watchStart(after resume: Int64?, organizationID: String) async throws -> (cursor: Int64, reset: Bool) {
        let rows = try await self.client.query(
            """
            SELECT coalesce((SELECT value FROM change_counters WHERE organization_id = \(organizationID)), 0),
                (SELECT min(seq) FROM changes WHERE organization_id = \(organizationID))
            """,
            logger: self.logger)
        var current: Int64 = 0
        var oldest: Int64?
        for try await row in rows.decode((Int64, Int64?).self) {
            current = row.0
            oldest = row.1
        }
        guard let resume else { return (current, false) }
        if resume > current { return (current, true) }
        // Changes resume+1 ... current are needed; the oldest one kept must be at most resume+1.
        if resume < current, resume + 1 < (oldest ?? current + 1) { return (current, true) }
        return (resume, false)
    }

    /// The organisation's changes after `seq`, oldest first, at most `limit`.
    func changes(after seq: Int64, organizationID: String, limit: Int) async throws -> [LoggedChange] {
        let rows = try await self.client.query(
            """
            SELECT seq, type, conversation, before, message, occurred_at FROM changes
            WHERE organization_id = \(organizationID) AND seq > \(seq)
            ORDER BY seq LIMIT \(limit)
            """,
            logger: self.logger)
        var page: [LoggedChange] = []
        for try await row in rows.decode((Int64, String, ByteBuffer, ByteBuffer?, ByteBuffer?, Date).self) {
            page.append(
                LoggedChange(
                    seq: row.0, type: ChangeType(rawValue: row.1),
                    conversation: try Inbox_V1_Conversation(serializedBytes: Array(row.2.readableBytesView)),
                    before: try row.3.map { try Inbox_V1_Conversation(serializedBytes: Array($0.readableBytesView)) },
                    message: try row.4.map { try Inbox_V1_Message(serializedBytes: Array($0.readableBytesView)) },
                    occurredAt: row.5))
        }
        return page
    }
}
