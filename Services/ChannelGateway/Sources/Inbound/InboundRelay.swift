import GRPCCore
import InboxAPI
import InboxKit
import Logging
import ServiceLifecycle
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Hands PENDING events to conversation-service (DESIGN.md §2 "Inbound"), in rounds:
///
/// 1. lock up to ``InboundSettings/relayBatchSize`` due rows in the round's transaction (`FOR
///    UPDATE SKIP LOCKED`: two relays never send one event at once; a relay that dies releases them
///    with its transaction; the outcome is written in the same transaction, one write per row);
/// 2. ask policy-service `CheckIngest` once for the round's (organisation, platform, channel)
///    triples: HOLD → HELD (kept until the inbox is active again, re-checked every
///    ``InboundSettings/heldRecheckInterval`` and on `ReleaseHeldEvents`), REJECT → REJECTED with
///    the reason;
/// 3. send the rest in ONE `IngestEvents` call and apply its per-item results: DELIVERED (ECHO
///    for our own messages coming back); a retryable failure, or the call failing as a whole,
///    retries with exponential backoff and jitter; after ``InboundSettings/maxAttempts`` tries, or
///    at once for a failure no retry changes, DEAD_LETTERED with the last error (replayable);
/// 4. move the gateway's own deliveries forward by the round's status webhooks (WhatsApp
///    `statuses[]`, Twilio status callbacks, Messenger and Instagram receipts that name their
///    `mid`s): DELIVERED, READ, or FAILED with the platform's reason (a WhatsApp 131047 after the
///    send was accepted), forward only, in ONE statement for the round
///    (``DeliveryRepository/applyPlatformStatuses(_:now:on:)``), in the round's transaction.
///
/// Step 4 is here rather than at the webhook's commit: the commit answers the platform and is
/// the hot path, an UNROUTED status has no channel yet, and a status can arrive before the worker
/// recorded the platform id of its send. conversation-service then answers that status NOT_FOUND,
/// retryable, and the round that relays it again finds the id. The statement runs after
/// conversation-service answered, so whatever it applied (it learns platform ids from the gateway,
/// after the gateway stored them) the gateway's row has. Every status of the round counts, held
/// and rejected ones too: the delivery's state is the platform's fact, whatever the inbox does with
/// it; repeating one (a retry, a re-delivery) changes nothing.
///
/// Woken by the commit of new rows in this process and by LISTEN/NOTIFY from the others
/// (``InboundNotifications``), so an event reaches the inbox within milliseconds; the poll only
/// catches retries coming due.
struct InboundRelay: Service {
    let log: InboundLog
    /// The gateway's deliveries, which the round's status webhooks move forward.
    let deliveries: DeliveryRepository
    let peers: GatewayPeers
    let settings: InboundSettings
    let signal: WorkSignal
    let logger: Logger
    let now: @Sendable () -> Date

    /// One call's deadline: IngestEvents of a full batch, or CheckIngest.
    static let callTimeout: Duration = .seconds(30)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let claimed = await self.relayOnce()
                if claimed < self.settings.relayBatchSize {
                    await self.signal.wait(timeout: self.settings.pollInterval)
                }
            }
        }
    }

    /// One round, in one transaction: lock the due rows, decide, record; returns how many rows it
    /// took.
    @discardableResult
    func relayOnce() async -> Int {
        do {
            return try await self.log.client.withTransaction(logger: self.logger) { connection in
                let claimed = try await self.log.lockPending(
                    limit: self.settings.relayBatchSize, now: self.now(), on: connection)
                guard !claimed.isEmpty else { return 0 }
                let round = await self.relay(claimed)
                for settlement in round.settlements {
                    InboundMetrics.relayed(settlement.state == .pending ? "retried" : settlement.state.rawValue)
                }
                if !round.statuses.isEmpty {
                    let moved = try await self.deliveries.applyPlatformStatuses(
                        round.statuses, now: self.now(), on: connection)
                    OutboundMetrics.statusWebhooks(moved: moved, reported: round.statuses.count)
                }
                try await self.log.settle(round.settlements, now: self.now(), on: connection)
                return claimed.count
            }
        } catch {
            self.logger.warning(
                "a relay round failed; its events are due again at once",
                metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
    }

    /// What a round decided: where each claimed event goes, and the status webhooks among them
    /// that name one of our messages by its platform id (for the gateway's own deliveries).
    struct Round: Sendable {
        var settlements: [RelaySettlement]
        var statuses: [ReportedDeliveryStatus]
    }

    /// Where each claimed event goes, and the round's delivery statuses.
    func relay(_ claimed: [ClaimedEvent]) async -> Round {
        var events: [Inbox_V1_InboundEvent] = []
        var settlements: [RelaySettlement] = []
        var sendable: [ClaimedEvent] = []
        var statuses: [ReportedDeliveryStatus] = []
        for row in claimed {
            guard var event = try? Inbox_V1_InboundEvent(serializedBytes: row.event) else {
                settlements.append(
                    self.deadLetter(row.id, error: "the stored event could not be decoded; replay it after a fix"))
                continue
            }
            // The row's organisation and channel are authoritative (an UNROUTED event got them later).
            event.id = row.id.text
            event.organizationID = row.organizationID
            event.channelID = row.channelID.text
            if event.hasDeliveryStatus {
                event.deliveryStatus.organizationID = row.organizationID
                event.deliveryStatus.channelID = row.channelID.text
                if let status = ReportedDeliveryStatus(
                    event.deliveryStatus, organizationID: row.organizationID, channelID: row.channelID)
                {
                    statuses.append(status)
                }
            }
            events.append(event)
            sendable.append(row)
        }
        let decided = await self.decide(sendable, events: events, settled: settlements)
        return Round(settlements: decided, statuses: statuses)
    }

    /// Steps 2 and 3 for the decoded events (`events[i]` is `sendable[i]`'s), after `settled`
    /// (the rows that could not be decoded).
    private func decide(
        _ sendable: [ClaimedEvent], events: [Inbox_V1_InboundEvent], settled: [RelaySettlement]
    ) async -> [RelaySettlement] {
        var settlements = settled
        guard !sendable.isEmpty else { return settlements }

        // 2. Policy.
        let verdicts: [String: Inbox_V1_IngestVerdict]
        do {
            verdicts = try await self.checkIngest(sendable)
        } catch {
            let text = "policy-service could not be asked: \(Self.describe(error))"
            return settlements + sendable.map { self.retry($0, error: text, countsAsTry: false) }
        }
        var deliver: [(ClaimedEvent, Inbox_V1_InboundEvent)] = []
        for (row, event) in zip(sendable, events) {
            let verdict = verdicts[Self.scopeKey(row)]
            switch verdict?.decision {
            case .deliver?:
                deliver.append((row, event))
            case .hold?:
                settlements.append(
                    RelaySettlement(
                        id: row.id, state: .held, outcome: verdict.map { "\($0.reasonCode)" },
                        error: verdict?.reason, nextAttemptAt: self.now()))
            case .reject?:
                settlements.append(
                    RelaySettlement(
                        id: row.id, state: .rejected, outcome: verdict.map { "\($0.reasonCode)" },
                        error: verdict?.reason ?? "refused by policy", nextAttemptAt: self.now()))
            default:
                settlements.append(self.retry(row, error: "policy-service gave no verdict for this event"))
            }
        }
        guard !deliver.isEmpty else { return settlements }

        // 3. Conversation-service.
        var options = CallOptions.defaults
        options.timeout = Self.callTimeout
        let response: Inbox_V1_IngestEventsResponse
        do {
            response = try await self.peers.conversation.ingestEvents(
                .with { $0.events = deliver.map(\.1) }, options: options)
        } catch {
            let text = "conversation-service: \(Self.describe(error))"
            let final = (error as? RPCError).map { [.invalidArgument, .permissionDenied].contains($0.code) } ?? false
            return settlements
                + deliver.map {
                    final ? self.deadLetter($0.0.id, error: text) : self.retry($0.0, error: text, countsAsTry: false)
                }
        }
        guard response.results.count == deliver.count else {
            let text = "conversation-service answered \(response.results.count) results for \(deliver.count) events"
            return settlements + deliver.map { self.retry($0.0, error: text) }
        }
        for ((row, event), result) in zip(deliver, response.results) {
            switch result.outcome {
            case .created, .duplicate, .updated, .hidden:
                settlements.append(
                    RelaySettlement(
                        id: row.id, state: event.flags.isEcho ? .echo : .delivered, outcome: Self.word(result.outcome),
                        error: nil, nextAttemptAt: self.now()))
            default:
                let text = result.hasError ? "\(result.error.message)" : "conversation-service failed the event"
                settlements.append(
                    result.retryable ? self.retry(row, error: text) : self.deadLetter(row.id, error: text))
            }
        }
        return settlements
    }

    /// CheckIngest for the distinct (organisation, platform, channel) triples of the round.
    private func checkIngest(_ rows: [ClaimedEvent]) async throws -> [String: Inbox_V1_IngestVerdict] {
        var seen = Set<String>()
        var queries: [Inbox_V1_IngestQuery] = []
        for row in rows where seen.insert(Self.scopeKey(row)).inserted {
            queries.append(
                .with {
                    $0.organizationID = row.organizationID
                    $0.platform = row.platform.proto
                    $0.channelID = row.channelID.text
                })
        }
        var options = CallOptions.defaults
        options.timeout = Self.callTimeout
        var verdicts: [String: Inbox_V1_IngestVerdict] = [:]
        var start = 0
        while start < queries.count {
            let chunk = Array(queries[start..<min(start + 500, queries.count)])
            let response = try await self.peers.policy.checkIngest(.with { $0.queries = chunk }, options: options)
            for verdict in response.verdicts {
                verdicts[Self.scopeKey(verdict.query)] = verdict
            }
            start += 500
        }
        return verdicts
    }

    static func scopeKey(_ row: ClaimedEvent) -> String {
        "\(row.organizationID) \(row.platform.proto.rawValue) \(row.channelID.text)"
    }

    static func scopeKey(_ query: Inbox_V1_IngestQuery) -> String {
        "\(query.organizationID) \(query.platform.rawValue) \(query.channelID)"
    }

    /// PENDING again after the backoff, or DEAD_LETTERED once the tries are used up. A round that
    /// does not count as a try (the peer unreachable) backs off all the same, up to the bound.
    func retry(_ row: ClaimedEvent, error: String, countsAsTry: Bool = true) -> RelaySettlement {
        if countsAsTry, row.attempts >= self.settings.maxAttempts {
            return self.deadLetter(row.id, error: "after \(row.attempts) tries: \(error)")
        }
        let delay = Self.backoff(attempts: row.attempts, settings: self.settings).timeInterval
        return RelaySettlement(
            id: row.id, state: .pending, outcome: nil, error: error,
            nextAttemptAt: self.now() + delay * Double.random(in: 1...1.25), countsAsTry: countsAsTry)
    }

    func deadLetter(_ id: UUID, error: String) -> RelaySettlement {
        self.logger.warning(
            "an inbound event is dead-lettered", metadata: ["event": "\(id.text)", "error": "\(error)"])
        return RelaySettlement(id: id, state: .deadLettered, outcome: nil, error: error, nextAttemptAt: self.now())
    }

    /// `retryDelay` doubled per try, at most `maxRetryDelay`.
    static func backoff(attempts: Int, settings: InboundSettings) -> Duration {
        Backoff.delay(attempts: attempts, base: settings.retryDelay, max: settings.maxRetryDelay)
    }

    static func word(_ outcome: Inbox_V1_IngestOutcome) -> String {
        switch outcome {
        case .created: "created"
        case .duplicate: "duplicate"
        case .updated: "updated"
        case .hidden: "hidden"
        default: "failed"
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? RPCError { return String("\(error.code): \(error.message)".prefix(500)) }
        return String(String(describing: error).prefix(500))
    }
}
