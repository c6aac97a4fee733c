import GRPCCore
import InboxAPI
import InboxKit
import InboxRules
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Carries out the follow-ups that ingest, replies and edits leave (FollowUps.swift): routes new
/// and reopened conversations and releases resolved ones (assignment-service), offers customer
/// messages to the automatic replies and sends those that fire (policy-service, then the reply
/// flow), records inbox activity.
///
/// A round claims the due rows of one kind (`FOR UPDATE SKIP LOCKED`, oldest due first, so replicas
/// share the work and never take the same row), makes ONE batched call for them (activity: one
/// call per row), and in that same transaction deletes the rows that succeeded and reschedules the
/// others with exponential backoff. A row goes only after its call succeeded, in the transaction
/// that claimed it: nothing is lost, nothing is done twice (and should a commit be lost, a route is
/// idempotent by its route key, an automatic reply by its idempotency key). Ingest never waits for
/// it: ingest only inserts rows, in its own transaction. Scheduling uses the database's clock, like
/// the rows' `next_attempt_at` default. One conversation's routes and releases keep the order they
/// happened in (`FollowUpKind.predecessor`): a row whose predecessor is still queued waits for it
/// (rescheduled like a failure), so a quick resolve-and-reopen never releases the new opening's
/// assignment.
struct FollowUpWorker: Service {
    let repository: ConversationRepository
    let peers: ConversationPeers
    let settings: ConversationSettings
    let signals: ConversationSignals
    let logger: Logger
    let now: @Sendable () -> Date

    /// Rows per round and kind: the peers' batch limit.
    static let batchSize = BatchLimit.standard
    /// A peer that does not answer within this fails the call (its rows are retried).
    static let callTimeout: Duration = .seconds(10)

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    let more = await self.runRound()
                    if !more { await self.signals.followUps.wait(timeout: self.settings.pollInterval) }
                    try Task.checkCancellation()
                }
            }
        } catch is CancellationError {
            // Shutting down: unfinished rows stay due, for the next start or another replica.
        }
    }

    /// One round over every kind; true when a kind filled a whole batch (more may be due at once).
    func runRound() async -> Bool {
        var more = false
        for kind in FollowUpKind.allCases {
            do {
                more = try await self.process(kind) == Self.batchSize || more
            } catch {
                guard !Task.isCancelled else { return false }
                self.logger.warning(
                    "follow-up round failed",
                    metadata: ["kind": "\(kind.rawValue)", "error": "\(String(reflecting: error))"])
            }
        }
        return more
    }

    /// Claims, carries out and settles the due rows of one kind; returns how many it claimed.
    func process(_ kind: FollowUpKind) async throws -> Int {
        try await self.repository.transaction { connection in
            let due = try await self.claim(kind, on: connection)
            guard !due.isEmpty else { return 0 }
            let waiting = try await self.waitingForPredecessors(kind, due, on: connection)
            let ready = due.indices.filter { !waiting.contains($0) }
            var outcomes = [FollowUpOutcome](
                repeating: .retry("waiting for an earlier route or release of the same conversation"), count: due.count)
            if !ready.isEmpty {
                let rows = ready.map { due[$0] }
                let results: [FollowUpOutcome]
                switch kind {
                case .release: results = await self.release(rows)
                case .route: results = await self.route(rows)
                case .autoReply: results = await self.answer(rows)
                case .activity: results = await self.recordActivity(rows)
                }
                for (index, outcome) in zip(ready, results) { outcomes[index] = outcome }
            }
            try await self.settle(kind, due, outcomes, on: connection)
            return due.count
        }
    }

    private func claim(_ kind: FollowUpKind, on connection: PostgresConnection) async throws -> [DueFollowUp] {
        let rows = try await connection.query(
            """
            SELECT organization_id, subject, payload, attempts FROM follow_ups
            WHERE kind = \(kind.rawValue) AND next_attempt_at <= now()
            ORDER BY next_attempt_at
            LIMIT \(Self.batchSize)
            FOR UPDATE SKIP LOCKED
            """,
            logger: self.logger)
        var due: [DueFollowUp] = []
        for try await (organizationID, subject, payload, attempts) in rows.decode(
            (String, String, ByteBuffer, Int).self)
        {
            due.append(
                DueFollowUp(
                    organizationID: organizationID, subject: subject, payload: Array(payload.readableBytesView),
                    attempts: attempts))
        }
        return due
    }

    /// The claimed rows (by index) whose predecessor (`FollowUpKind.predecessor`) is still queued.
    private func waitingForPredecessors(
        _ kind: FollowUpKind, _ due: [DueFollowUp], on connection: PostgresConnection
    ) async throws -> Set<Int> {
        let predecessors = due.enumerated().compactMap { index, row in
            kind.predecessor(of: row.subject).map {
                (
                    index: index,
                    key: QueuedKey(organizationID: row.organizationID, kind: $0.kind.rawValue, subject: $0.subject)
                )
            }
        }
        guard !predecessors.isEmpty else { return [] }
        let keys = predecessors.map { $0.key }
        let rows = try await connection.query(
            """
            SELECT organization_id, kind, subject FROM follow_ups
            WHERE (organization_id, kind, subject) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.kind))::text[],
                    \(keys.map(\.subject))::text[]))
            """,
            logger: self.logger)
        var queued: Set<QueuedKey> = []
        for try await (organizationID, kind, subject) in rows.decode((String, String, String).self) {
            queued.insert(QueuedKey(organizationID: organizationID, kind: kind, subject: subject))
        }
        return Set(predecessors.filter { queued.contains($0.key) }.map { $0.index })
    }

    // MARK: The peers

    /// One ReleaseConversations call for every due resolution (releasing one twice changes
    /// nothing; a conversation assignment-service never assigned is a no-op there, not an error).
    private func release(_ due: [DueFollowUp]) async -> [FollowUpOutcome] {
        await self.batched(due, as: Inbox_V1_ConversationToRelease.self) { conversations in
            try await self.peers.assignment.releaseConversations(
                .with { $0.conversations = conversations }, options: Self.callOptions
            ).results.map { (failed: $0.outcome == .failed, retryable: $0.retryable, message: $0.error.message) }
        }
    }

    /// One RouteConversation call for every due conversation (a retried route key is answered
    /// with the first decision, so a repeat never assigns twice).
    private func route(_ due: [DueFollowUp]) async -> [FollowUpOutcome] {
        await self.batched(due, as: Inbox_V1_ConversationToRoute.self) { conversations in
            try await self.peers.assignment.routeConversation(
                .with { $0.conversations = conversations }, options: Self.callOptions
            ).results.map { (failed: $0.outcome == .failed, retryable: $0.retryable, message: $0.error.message) }
        }
    }

    /// The rows' payloads as `Item`s, sent in one `call` that answers one result per item: a
    /// payload that does not read is unreadable; a failed call retries every readable row.
    private func batched<Item: SwiftProtobuf.Message>(
        _ due: [DueFollowUp], as type: Item.Type,
        call: ([Item]) async throws -> [(failed: Bool, retryable: Bool, message: String)]
    ) async -> [FollowUpOutcome] {
        let requests = due.map { try? Item(serializedBytes: $0.payload) }
        let items = requests.compactMap { $0 }
        guard !items.isEmpty else { return requests.map { _ in .unreadable } }
        let results: [(failed: Bool, retryable: Bool, message: String)]
        do {
            results = try await call(items)
        } catch {
            return requests.map { $0 == nil ? .unreadable : .retry(Self.describe(error)) }
        }
        return Self.outcomes(requests.map { $0 != nil }, results)
    }

    /// Each row's outcome from a batched answer of one result per readable row, in order: done
    /// unless failed (then retried when retryable, dropped otherwise); a row without a result is
    /// retried.
    private static func outcomes(
        _ readable: [Bool], _ results: [(failed: Bool, retryable: Bool, message: String)]
    ) -> [FollowUpOutcome] {
        var outcomes: [FollowUpOutcome] = []
        var position = 0
        for isReadable in readable {
            guard isReadable else {
                outcomes.append(.unreadable)
                continue
            }
            defer { position += 1 }
            guard position < results.count else {
                outcomes.append(.retry("assignment-service answered no result for this conversation"))
                continue
            }
            let result = results[position]
            if !result.failed {
                outcomes.append(.done)
            } else {
                outcomes.append(result.retryable ? .retry(result.message) : .drop(result.message))
            }
        }
        return outcomes
    }

    /// One EvaluateAutoReply call for every due candidate, then each reply that fires.
    private func answer(_ due: [DueFollowUp]) async -> [FollowUpOutcome] {
        let candidates = due.map { try? Inbox_V1_AutoReplyCandidate(serializedBytes: $0.payload) }
        let offered = candidates.compactMap { $0 }
        guard !offered.isEmpty else { return candidates.map { _ in .unreadable } }
        let response: Inbox_V1_EvaluateAutoReplyResponse
        do {
            response = try await self.peers.policy.evaluateAutoReply(
                .with { $0.candidates = offered }, options: Self.callOptions)
        } catch {
            return candidates.map { $0 == nil ? .unreadable : .retry(Self.describe(error)) }
        }
        let byMessage = Dictionary(
            response.decisions.map { ($0.messageID, $0) }, uniquingKeysWith: { first, _ in first })
        var outcomes: [FollowUpOutcome] = []
        var position = 0
        for candidate in candidates {
            guard let candidate else {
                outcomes.append(.unreadable)
                continue
            }
            defer { position += 1 }
            let inOrder = response.decisions.count == offered.count ? response.decisions[position] : nil
            guard let decision = byMessage[candidate.messageID] ?? inOrder else {
                outcomes.append(.retry("policy-service answered no decision for this message"))
                continue
            }
            if decision.reply {
                outcomes.append(await self.sendAutomaticReply(decision, to: candidate))
            } else {
                outcomes.append(.done)
            }
        }
        return outcomes
    }

    /// Sends the reply an automatic rule chose when the reply rules allow an automatic reply now
    /// (never with the human-agent tag, so never outside the standard window): done when stored
    /// for delivery or refused by policy, retried when a peer or the database failed.
    private func sendAutomaticReply(
        _ decision: Inbox_V1_AutoReplyDecision, to candidate: Inbox_V1_AutoReplyCandidate
    ) async -> FollowUpOutcome {
        guard let conversationID = UUID(uuidString: candidate.conversationID),
            let messageID = UUID(uuidString: candidate.messageID)
        else { return .drop("the candidate names no conversation or message") }
        guard !decision.text.isEmpty else { return .drop("the automatic reply rule gave no text") }
        let metadata: Logger.Metadata = [
            "organization": "\(candidate.organizationID)", "conversation": "\(candidate.conversationID)",
            "rule": "\(decision.ruleID)",
        ]
        do {
            let stored = try await self.repository.transaction { connection -> Bool in
                guard
                    let conversation = try await self.repository.lockedConversation(
                        conversationID, organizationID: candidate.organizationID, on: connection)
                else {
                    self.logger.info("automatic reply dropped: the conversation no longer exists", metadata: metadata)
                    return false
                }
                let verdict: Inbox_V1_CheckReplyResponse = try await self.peers.policy.checkReply(
                    Self.checkReply(for: conversation), options: Self.callOptions)
                guard verdict.decision == .allowed else {
                    self.logger.info(
                        "automatic reply refused by policy",
                        metadata: metadata.merging(["reason": "\(verdict.reason)"]) { $1 })
                    return false
                }
                let now = self.now()
                let key = "auto-reply:\(messageID.text)"
                var changes = ChangeSet()
                changes.noteBefore(conversation.proto(now: now), id: conversation.id)
                _ = try await self.repository.storeReply(
                    OutboundReply(
                        conversation: conversation, text: decision.text, template: nil, attachments: [],
                        sendKind: .defaultFor(conversation.kind), tag: .unspecified,
                        replyToMessageID: conversation.kind == .directMessage ? nil : messageID, agentID: nil,
                        automatic: true, idempotencyKey: key, fingerprint: key),
                    on: connection, changes: &changes, now: now)
                try await self.repository.record(changes, on: connection, now: now)
                return true
            }
            if stored {
                self.signals.deliveries.wake()
                self.signals.followUps.wake()
            }
            return .done
        } catch {
            return .retry(Self.describe(error))
        }
    }

    /// One RecordActivity call per row; after a failed call the remaining rows wait for the next
    /// attempt instead of each waiting for the same timeout.
    private func recordActivity(_ due: [DueFollowUp]) async -> [FollowUpOutcome] {
        var outcomes: [FollowUpOutcome] = []
        var failure: String?
        for row in due {
            guard let request = try? Inbox_V1_RecordActivityRequest(serializedBytes: row.payload) else {
                outcomes.append(.unreadable)
                continue
            }
            if let failure {
                outcomes.append(.retry(failure))
                continue
            }
            do {
                _ = try await self.peers.policy.recordActivity(request, options: Self.callOptions)
                outcomes.append(.done)
            } catch {
                failure = Self.describe(error)
                outcomes.append(.retry(Self.describe(error)))
            }
        }
        return outcomes
    }

    /// CheckReply for an automatic reply of the conversation's default send kind.
    static func checkReply(for conversation: ConversationRecord) -> Inbox_V1_CheckReplyRequest {
        let facts = conversation.replyFacts(humanAuthored: false)
        return .with {
            $0.organizationID = conversation.organizationID
            $0.conversationID = conversation.id.text
            $0.channelID = conversation.channelID
            $0.platform = conversation.platform.proto
            $0.conversationKind = conversation.kind.proto
            $0.sendKind = facts.sendKind.proto
            $0.humanAuthored = false
            if let at = facts.lastCustomerMessageAt { $0.lastCustomerMessageAt = .init(date: at) }
            if let at = facts.commentCreatedAt { $0.commentCreatedAt = .init(date: at) }
            $0.privateRepliesSent = Int32(clamping: facts.privateRepliesSent)
            $0.contactOptedOut = facts.contactOptedOut
        }
    }

    // MARK: Settling a round

    /// Deletes what is done (or given up, logged), reschedules the rest with its error.
    private func settle(
        _ kind: FollowUpKind, _ due: [DueFollowUp], _ outcomes: [FollowUpOutcome], on connection: PostgresConnection
    ) async throws {
        var finished: [DueFollowUp] = []
        var retried: [(row: DueFollowUp, reason: String)] = []
        for (row, outcome) in zip(due, outcomes) {
            switch outcome {
            case .done:
                finished.append(row)
            case .drop(let reason):
                self.logger.warning(
                    "follow-up given up",
                    metadata: [
                        "kind": "\(kind.rawValue)", "organization": "\(row.organizationID)",
                        "subject": "\(row.subject)", "reason": "\(reason)",
                    ])
                finished.append(row)
            case .retry(let reason):
                retried.append((row, reason))
            }
        }
        if !finished.isEmpty {
            try await connection.query(
                """
                DELETE FROM follow_ups f
                USING unnest(\(finished.map(\.organizationID))::text[], \(finished.map(\.subject))::text[])
                    AS x(org, subject)
                WHERE f.organization_id = x.org AND f.kind = \(kind.rawValue) AND f.subject = x.subject
                """,
                logger: self.logger)
        }
        guard let first = retried.first else { return }
        self.logger.warning(
            "follow-ups failed; retrying with backoff",
            metadata: ["kind": "\(kind.rawValue)", "count": "\(retried.count)", "error": "\(first.reason)"])
        let delays = retried.map { Self.retryDelay(afterAttempts: $0.row.attempts, self.settings).timeInterval }
        try await connection.query(
            """
            UPDATE follow_ups f SET attempts = f.attempts + 1, last_error = x.reason,
                next_attempt_at = now() + make_interval(secs => x.delay)
            FROM unnest(\(retried.map { $0.row.organizationID })::text[], \(retried.map { $0.row.subject })::text[],
                \(delays)::float8[], \(retried.map { $0.reason })::text[]) AS x(org, subject, delay, reason)
            WHERE f.organization_id = x.org AND f.kind = \(kind.rawValue) AND f.subject = x.subject
            """,
            logger: self.logger)
    }

    /// The wait after `attempts` earlier failures and this one: `retryDelay`, doubling per attempt,
    /// at most `maxRetryDelay`.
    /// After `attempts` failed tries (0 for the first failure): `retryDelay` doubled per try.
    static func retryDelay(afterAttempts attempts: Int, _ settings: ConversationSettings) -> Duration {
        Backoff.delay(attempts: attempts + 1, base: settings.retryDelay, max: settings.maxRetryDelay)
    }

    static var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = Self.callTimeout
        return options
    }

    /// A failure as stored in `last_error` (for operators; never shown to a caller).
    static func describe(_ error: any Error) -> String {
        String(String(reflecting: error).prefix(500))
    }
}

/// A follow-up row's key.
private struct QueuedKey: Hashable {
    var organizationID: String
    var kind: String
    var subject: String
}

/// A claimed follow-up row.
private struct DueFollowUp {
    var organizationID: String
    var subject: String
    var payload: [UInt8]
    var attempts: Int
}

/// What became of one follow-up in a round.
private enum FollowUpOutcome {
    case done
    /// Try again after the backoff (a peer failed, or asked for a retry).
    case retry(String)
    /// Give up: logged and deleted (a retry would fail the same way).
    case drop(String)

    static let unreadable = FollowUpOutcome.drop("the stored payload is unreadable")
}
