import GRPCCore
import GRPCProtobuf
import InboxAPI
import InboxKit
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

/// Hands stored replies to the gateway's `DeliverMessage` (DESIGN.md §2 "Reply"): a gateway that
/// is down delays a send, never loses it. The row is written in the reply's own transaction; this
/// worker claims due rows (`FOR UPDATE SKIP LOCKED`, so replicas never hand off one row at once),
/// calls the gateway, and deletes the row once the gateway accepted it. The gateway queues the
/// message durably under its idempotency key, so a hand-off repeated after a lost answer (or by a
/// replica that took over an expired claim) sends nothing twice.
///
/// A transient failure (the gateway unreachable, overloaded or failing) retries with exponential
/// backoff from `retryDelay` up to `maxRetryDelay`, for as long as it takes. A final refusal
/// (the request is invalid, the channel disconnected or its token bad) marks the message FAILED
/// with a reason an agent can act on, change-logged, and removes the row.
struct DeliveryOutbox: Service {
    /// Rows claimed per round.
    static let batchSize = 100
    /// DeliverMessage calls in flight at once in a round: one after the other, a round's pace was
    /// one call and one delete at a time (about 100 replies/s, whatever the gateway could take).
    static let concurrentCalls = 16
    /// How long a claim keeps other replicas off a row: enough for a round of hand-offs; a replica
    /// that dies mid-round leaves its rows to the others after it.
    static let claimDuration: TimeInterval = 120
    /// One DeliverMessage call's deadline (the gateway only queues the message).
    static let callTimeout: Duration = .seconds(10)

    /// A claimed row.
    struct HandOff: Sendable {
        var organizationID: String
        var messageID: UUID
        var request: Inbox_V1_DeliverMessageRequest?
        var attempts: Int
    }

    /// What the gateway said to one hand-off.
    enum Answer: Sendable, Equatable {
        case accepted
        /// Retry later; the text is kept as the row's `last_error` (for operators).
        case retry(String)
        /// The gateway will never take this message.
        case refused(StoredFailureReason, detail: String)
    }

    let repository: ConversationRepository
    let peers: ConversationPeers
    let settings: ConversationSettings
    let signals: ConversationSignals
    let logger: Logger
    let now: @Sendable () -> Date

    init(
        repository: ConversationRepository, peers: ConversationPeers, settings: ConversationSettings,
        signals: ConversationSignals, logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        self.repository = repository
        self.peers = peers
        self.settings = settings
        self.signals = signals
        self.logger = logger
        self.now = now
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let claimed = await self.deliverDue()
                // A full round may have left more due rows; otherwise wait for a reply's commit
                // (this replica's) or the poll (other replicas' replies, retries coming due).
                if claimed < Self.batchSize {
                    await self.signals.deliveries.wait(timeout: self.settings.pollInterval)
                }
            }
        }
    }

    /// One round: claims the due rows and hands each to the gateway; returns how many it claimed.
    @discardableResult
    func deliverDue() async -> Int {
        let claimed: [HandOff]
        do {
            claimed = try await self.claim()
        } catch {
            self.logger.warning(
                "delivery outbox could not claim rows", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
        let answers = await self.send(claimed)
        var accepted: [HandOff] = []
        var unsent: [HandOff] = []
        for (handOff, answer) in zip(claimed, answers) {
            switch answer {
            case .accepted?: accepted.append(handOff)
            case nil: unsent.append(handOff)
            case let answer?:
                do {
                    try await self.settle(handOff, answer: answer)
                } catch {
                    self.logger.warning(
                        "delivery outbox could not settle a hand-off; it comes due again after its claim",
                        metadata: ["message": "\(handOff.messageID.text)", "error": "\(String(reflecting: error))"])
                }
            }
        }
        do {
            try await self.remove(accepted)
        } catch {
            // The gateway has them (its idempotency key): handing them off again after the claim
            // sends nothing twice.
            self.logger.warning(
                "delivery outbox could not remove accepted hand-offs; they come due again after their claim",
                metadata: ["count": "\(accepted.count)", "error": "\(String(reflecting: error))"])
        }
        // Shutting down: what was not sent comes due at once for the next run or another replica.
        await self.release(unsent)
        return claimed.count
    }

    private func claim() async throws -> [HandOff] {
        let now = self.now()
        let rows = try await self.repository.client.query(
            """
            UPDATE delivery_outbox AS o SET next_attempt_at = \(now.addingTimeInterval(Self.claimDuration))
            FROM (SELECT organization_id, message_id FROM delivery_outbox WHERE next_attempt_at <= \(now)
                  ORDER BY next_attempt_at LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED) AS due
            WHERE o.organization_id = due.organization_id AND o.message_id = due.message_id
            RETURNING o.organization_id, o.message_id, o.request, o.attempts
            """,
            logger: self.logger)
        var claimed: [HandOff] = []
        for try await row in rows.decode((String, UUID, ByteBuffer, Int).self) {
            let request = try? Inbox_V1_DeliverMessageRequest(serializedBytes: Array(row.2.readableBytesView))
            claimed.append(HandOff(organizationID: row.0, messageID: row.1, request: request, attempts: row.3))
        }
        return claimed
    }

    /// Hands the claimed rows to the gateway, `concurrentCalls` at a time; one answer per row, in
    /// order (nil: not sent, because the service is shutting down).
    func send(_ claimed: [HandOff]) async -> [Answer?] {
        await withTaskGroup(of: (Int, Answer).self) { group in
            var answers = [Answer?](repeating: nil, count: claimed.count)
            var next = 0
            func start() {
                guard next < claimed.count, !Task.isCancelled else { return }
                let index = next
                next += 1
                group.addTask { (index, await self.send(claimed[index])) }
            }
            for _ in 0..<Self.concurrentCalls { start() }
            for await (index, answer) in group {
                answers[index] = answer
                start()
            }
            return answers
        }
    }

    /// Calls the gateway once.
    func send(_ handOff: HandOff) async -> Answer {
        guard let request = handOff.request else {
            return .refused(.invalidRequest, detail: "The stored message could not be read for sending.")
        }
        var options = CallOptions.defaults
        options.timeout = Self.callTimeout
        do {
            _ = try await self.peers.gateway.deliverMessage(request, options: options)
            return .accepted
        } catch let error as RPCError {
            return Self.answer(to: error)
        } catch {
            return .retry(Self.describe(error))
        }
    }

    /// How a gateway error is handled: refusals that no retry changes are final (the message
    /// fails with a reason: CHANNEL_DISCONNECTED or TOKEN_INVALID when the channel is the cause,
    /// INVALID_REQUEST otherwise); anything else — the gateway unreachable, overloaded, failing, or
    /// this service's token not accepted yet — is retried.
    static func answer(to error: RPCError) -> Answer {
        let detail = String(error.message.prefix(500))
        switch error.code {
        case .failedPrecondition:
            let reason = (try? error.unpackGoogleRPCStatus())?.details.first?.errorInfo?.reason ?? ""
            switch reason {
            case ErrorReason.channelDisconnected.rawValue: return .refused(.channelDisconnected, detail: detail)
            case ErrorReason.channelTokenInvalid.rawValue: return .refused(.tokenInvalid, detail: detail)
            default: return .refused(.invalidRequest, detail: detail)
            }
        case .invalidArgument, .notFound, .permissionDenied, .alreadyExists:
            return .refused(.invalidRequest, detail: detail)
        default:
            return .retry(Self.describe(error))
        }
    }

    /// Deletes the hand-offs the gateway accepted, in one statement.
    private func remove(_ accepted: [HandOff]) async throws {
        guard !accepted.isEmpty else { return }
        try await self.repository.client.query(
            """
            DELETE FROM delivery_outbox WHERE (organization_id, message_id) IN (
                SELECT * FROM unnest(\(accepted.map(\.organizationID))::text[], \(accepted.map(\.messageID))::uuid[]))
            """,
            logger: self.logger)
    }

    private func settle(_ handOff: HandOff, answer: Answer) async throws {
        switch answer {
        case .accepted:
            try await self.remove([handOff])
        case .retry(let error):
            let attempts = handOff.attempts + 1
            let delay = Self.retryDelay(attempts: attempts, settings: self.settings)
            self.logger.info(
                "the gateway did not take a reply; retrying",
                metadata: ["message": "\(handOff.messageID.text)", "attempts": "\(attempts)", "error": "\(error)"])
            try await self.repository.client.query(
                """
                UPDATE delivery_outbox SET attempts = \(attempts), last_error = \(error),
                    next_attempt_at = \(self.now().addingTimeInterval(delay.timeInterval))
                WHERE organization_id = \(handOff.organizationID) AND message_id = \(handOff.messageID)
                """,
                logger: self.logger)
        case .refused(let reason, let detail):
            self.logger.warning(
                "the gateway refused a reply for good; the message failed",
                metadata: ["message": "\(handOff.messageID.text)", "reason": "\(reason.rawValue)"])
            try await self.markFailed(
                organizationID: handOff.organizationID, messageID: handOff.messageID, reason: reason, detail: detail)
        }
    }

    /// Fails the message for good (change-logged) and removes its hand-off row.
    func markFailed(organizationID: String, messageID: UUID, reason: StoredFailureReason, detail: String)
        async throws
    {
        let now = self.now()
        try await self.repository.transaction { connection in
            var changes = ChangeSet()
            try await self.repository.refuseDelivery(
                organizationID: organizationID, messageID: messageID, reason: reason, detail: detail,
                on: connection, changes: &changes, now: now)
            try await self.repository.record(changes, on: connection, now: now)
        }
    }

    /// Makes claimed rows due again now (best effort: otherwise their claim expires).
    private func release(_ handOffs: [HandOff]) async {
        for handOff in handOffs {
            _ = try? await self.repository.client.query(
                """
                UPDATE delivery_outbox SET next_attempt_at = \(self.now())
                WHERE organization_id = \(handOff.organizationID) AND message_id = \(handOff.messageID)
                """,
                logger: self.logger)
        }
    }

    /// The wait before attempt `attempts + 1`: `retryDelay` doubled per attempt, at most
    /// `maxRetryDelay`.
    static func retryDelay(attempts: Int, settings: ConversationSettings) -> Duration {
        Backoff.delay(attempts: attempts, base: settings.retryDelay, max: settings.maxRetryDelay)
    }

    static func describe(_ error: any Error) -> String {
        String(String(reflecting: error).prefix(500))
    }
}
