import InboxAPI
import InboxKit
import Logging
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Sends the queued replies (DESIGN.md §2 "Reply"), in rounds:
///
/// 1. deliveries left SENDING by a worker that died mid-send (their claim ran out) become FAILED
///    with the reason MAYBE_SENT: their request may have reached the platform, and no platform has
///    an idempotency of its own (``PlatformIdempotency``), so they are never sent again by
///    themselves;
/// 2. claim up to ``OutboundSettings/batchSize`` due PENDING deliveries (`FOR UPDATE SKIP LOCKED`,
///    a claim that expires: two replicas never send one delivery);
/// 3. open each channel's secrets once per round; a channel that is gone, disconnected or
///    TOKEN_INVALID fails its deliveries with CHANNEL_DISCONNECTED or TOKEN_INVALID at once; an X
///    token about to expire is renewed first (``XTokenRefresher``; a refused refresh token makes the
///    channel TOKEN_INVALID);
/// 4. pace each channel (``ChannelPacer``): a delivery whose channel has no token now goes back
///    PENDING, due at its turn, and the round sends the other channels' at once;
/// 5. mark the ones going out SENDING (counting the try) and send them, ``OutboundSettings/concurrentSends``
///    at a time, through ``OutboundSender``;
/// 6. apply each outcome, in one transaction with the statuses this queues for conversation-service
///    (``DeliveryStatusOutbox``) and the channels' errors (GetChannelHealth):
///    - sent: SENT with the platform's message id;
///    - worth retrying (rate limits, 5xx, a request that never left): PENDING again after the
///      platform's delay or the backoff with jitter, whichever is longer (a rate limit also pauses
///      the channel); after ``OutboundSettings/maxAttempts`` tries FAILED with RETRIES_EXHAUSTED;
///    - the token refused: FAILED with TOKEN_INVALID, and the channel TOKEN_INVALID with the error
///      (X first renews a refused token once and sends again: a 401 means X did nothing);
///    - a Telegram group that became a supergroup (400 with `migrate_to_chat_id`: nothing was
///      sent) gets the message once more at its new chat id, in the same try; the new chat is kept
///      on the delivery (a retry goes there at once) and reported with the final state
///      (`moved_to_thread_key`), so conversation-service re-targets the conversation;
///    - an answer lost after the request went out (a timeout, a reset) or the platform's own "may
///      have been sent": FAILED with MAYBE_SENT, final;
///    - any other refusal: FAILED with its reason (outside the window, recipient unavailable,
///      opted out, the platform's error).
///
/// Woken by DeliverMessage in this process and by LISTEN/NOTIFY from the others; the poll catches
/// retries coming due. On graceful shutdown the round in flight finishes its sends and records
/// them before the worker stops (cancelling a send would make it MAYBE_SENT).
struct DeliveryWorker: Service {
    let deliveries: DeliveryRepository
    let channels: ChannelRepository
    let box: ChannelSecretsBox
    let sender: OutboundSender
    /// Renews X tokens ahead of expiry and after a 401.
    let tokens: XTokenRefresher
    let pacer: ChannelPacer
    let settings: OutboundSettings
    /// Where the platforms call the gateway (Twilio's status callback).
    let publicBaseURL: String
    let signal: WorkSignal
    let logger: Logger
    let now: @Sendable () -> Date
    /// Called after a round that queued statuses (this process's status outbox, without waiting
    /// for its poll).
    var onStatusQueued: @Sendable () -> Void = {}

    func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            while !stopping.isSet, !Task.isCancelled {
                let claimed = await self.round()
                if claimed < self.settings.batchSize, !stopping.isSet {
                    await self.signal.wait(timeout: self.settings.pollInterval)
                }
            }
        } onGracefulShutdown: {
            stopping.set()
            self.signal.wake()
        }
    }

    /// One round; returns how many deliveries it claimed.
    @discardableResult
    func round() async -> Int {
        let now = self.now()
        do {
            let queued = try await self.deliveries.recoverAbandonedSends(
                now: now, resendable: Array(PlatformIdempotency.resendable))
            if queued > 0 { self.onStatusQueued() }
        } catch {
            self.logger.warning(
                "the delivery worker could not look for abandoned sends",
                metadata: ["error": "\(String(reflecting: error))"])
        }
        let claim = UUID()
        let claimed: [ClaimedDelivery]
        do {
            claimed = try await self.deliveries.claimDue(
                limit: self.settings.batchSize, now: now,
                until: now + self.settings.claimDuration.timeInterval, claim: claim)
        } catch {
            self.logger.warning(
                "the delivery worker could not claim deliveries", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
        guard !claimed.isEmpty else { return 0 }

        var lookups: [UUID: ChannelLookup] = [:]
        for id in Set(claimed.map(\.channelID)) {
            lookups[id] = await self.renewingToken(await self.lookup(channel: id))
        }
        var settlements: [DeliverySettlement] = []
        var ready: [PreparedSend] = []
        for row in claimed {
            switch self.prepare(row, channel: lookups[row.channelID] ?? .unavailable("the channel was not looked up")) {
            case .send(let send): ready.append(send)
            case .settled(let settlement): settlements.append(settlement)
            }
        }
        let (admitted, deferred) = self.pace(ready, now: now)
        settlements += deferred

        var channelErrors: [UUID: ChannelSendError] = [:]
        if !admitted.isEmpty {
            let started = self.now()
            do {
                let marked = try await self.deliveries.markSending(
                    admitted.map { (organizationID: $0.row.organizationID, id: $0.row.id) }, claim: claim,
                    now: started, until: started + self.settings.claimDuration.timeInterval)
                for (send, result) in await self.send(admitted.filter { marked.contains($0.row.id) }) {
                    settlements.append(self.settlement(for: send, result: result, channelErrors: &channelErrors))
                }
            } catch {
                // Nothing went out: they come due again when their claim runs out.
                self.logger.warning(
                    "the delivery worker could not mark deliveries as sending; none was sent",
                    metadata: ["deliveries": "\(admitted.count)", "error": "\(String(reflecting: error))"])
            }
        }
        await self.record(settlements, claim: claim, channelErrors: Array(channelErrors.values))
        return claimed.count
    }

    /// Records a round's outcome, trying a few times: sent deliveries whose outcome is not recorded
    /// stay SENDING and become MAYBE_SENT after their claim.
    private func record(_ settlements: [DeliverySettlement], claim: UUID, channelErrors: [ChannelSendError]) async {
        for attempt in 1...3 {
            do {
                let queued = try await self.deliveries.settle(
                    settlements, claim: claim, channelErrors: channelErrors, now: self.now())
                if queued > 0 { self.onStatusQueued() }
                return
            } catch {
                guard attempt < 3 else {
                    self.logger.error(
                        "the delivery worker could not record a round; its sent deliveries will show MAYBE_SENT",
                        metadata: ["deliveries": "\(settlements.count)", "error": "\(String(reflecting: error))"])
                    return
                }
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    // MARK: The channel

    /// What a round knows of a channel: its account and credentials, or why none can be used.
    enum ChannelLookup: Sendable {
        case ready(ChannelAccount, any ChannelCredentials)
        /// No send can be made: its deliveries fail with this reason.
        case unusable(DeliveryFailureReason, String)
        /// The channel could not be read now (the database, a secrets key): tried again later.
        case unavailable(String)
    }

    func lookup(channel id: UUID) async -> ChannelLookup {
        let found: (ChannelAccount, ChannelSecrets?)?
        do {
            found = try await self.channels.openedChannel(id, box: self.box)
        } catch let error as ChannelSecretsUnreadable {
            // A key missing from this deployment's configuration is fixed by configuring it.
            return .unavailable(
                "the channel's credentials could not be opened: \(InboundRelay.describe(error.underlying))")
        } catch {
            return .unavailable("the channel could not be read: \(InboundRelay.describe(error))")
        }
        guard let (account, opened) = found else {
            return .unusable(.channelDisconnected, "The channel no longer exists.")
        }
        switch account.status {
        case .disconnected:
            return .unusable(.channelDisconnected, "The channel was disconnected before the message could be sent.")
        case .subscriptionRevoked:
            return .unusable(
                .channelDisconnected, "The account revoked the app's access before the message could be sent.")
        case .tokenInvalid:
            return .unusable(
                .tokenInvalid,
                "The channel's access token is invalid or expired; rotate its credentials and send again.")
        case .active:
            break
        }
        guard let secrets = opened else {
            return .unusable(.tokenInvalid, "The channel has no credentials to send with; rotate its credentials.")
        }
        let missing = secrets.missingOutboundFields(for: account.platform)
        guard missing.isEmpty else {
            return .unusable(
                .tokenInvalid,
                "The channel has no \(missing.joined(separator: ", ")) to send with; rotate its credentials.")
        }
        return .ready(account, secrets.outboundCredentials(for: account))
    }

    /// An X channel whose token expires within the refresher's margin gets it renewed (once per
    /// channel and round); the other channels' lookups are unchanged.
    func renewingToken(_ lookup: ChannelLookup) async -> ChannelLookup {
        guard case .ready(let account, let credentials) = lookup, let current = credentials as? XCredentials else {
            return lookup
        }
        switch await self.tokens.credentials(channelID: account.id, current: current) {
        case .credentials(let renewed): return .ready(account, renewed)
        case .refused(let reason, let detail): return .unusable(reason, detail)
        case .unavailable(let detail): return .unavailable(detail)
        }
    }

    // MARK: One delivery

    /// A delivery ready to go: its message as the platform's adapter takes it.
    struct PreparedSend: Sendable {
        var row: ClaimedDelivery
        var message: OutboundMessage
        var credentials: any ChannelCredentials
    }

    enum Prepared: Sendable {
        case send(PreparedSend)
        case settled(DeliverySettlement)
    }

    func prepare(_ row: ClaimedDelivery, channel: ChannelLookup) -> Prepared {
        switch channel {
        case .unavailable(let reason):
            // Not tried: due again after the backoff, the try not counted.
            let wait =
                Self.backoff(tries: max(row.attempts, 1), settings: self.settings).timeInterval
                * Double.random(in: 1...1.25)
            return .settled(self.pending(row, at: self.now() + wait, error: reason))
        case .unusable(let reason, let detail):
            return .settled(self.failed(row, reason, detail: detail))
        case .ready(let account, let credentials):
            let request: Inbox_V1_DeliverMessageRequest
            do {
                request = try Inbox_V1_DeliverMessageRequest(serializedBytes: row.request)
            } catch {
                return .settled(self.failed(row, .invalidRequest, detail: "The stored request could not be read."))
            }
            do {
                var message = try request.outboundMessage(on: account, publicBaseURL: self.publicBaseURL)
                // An earlier try found the group moved to a supergroup: this one goes there.
                if let moved = row.movedToThreadKey, case .telegramMessage = message.kind {
                    message.kind = .telegramMessage(chatID: moved)
                }
                return .send(PreparedSend(row: row, message: message, credentials: credentials))
            } catch {
                return .settled(self.failed(row, .invalidRequest, detail: error.message))
            }
        }
    }

    /// The sends each channel's pace lets go now, and the others back PENDING at their turn.
    func pace(_ sends: [PreparedSend], now: Date) -> (admitted: [PreparedSend], deferred: [DeliverySettlement]) {
        var order: [UUID] = []
        var byChannel: [UUID: [PreparedSend]] = [:]
        for send in sends {
            if byChannel[send.row.channelID] == nil { order.append(send.row.channelID) }
            byChannel[send.row.channelID, default: []].append(send)
        }
        var admitted: [PreparedSend] = []
        var deferred: [DeliverySettlement] = []
        for channel in order {
            let group = byChannel[channel] ?? []
            // A web-chat reply calls no platform API (it goes into the visitor's transcript): no
            // platform limit to stay under.
            if group.first?.row.platform == .webChat {
                admitted += group
                continue
            }
            let (count, later) = self.pacer.admit(channel, count: group.count, now: now)
            admitted += group.prefix(count)
            for (send, turn) in zip(group.dropFirst(count), later) {
                deferred.append(self.pending(send.row, at: turn, error: nil))
                OutboundMetrics.delivery(send.row.platform, "paced")
            }
        }
        return (admitted, deferred)
    }

    enum SendResult: Sendable {
        case outcome(OutboundOutcome)
        /// Telegram refused the send because the group became a supergroup; the message went once
        /// more to the supergroup's `chatID`, with this outcome.
        case movedChat(chatID: String, OutboundOutcome)
        /// The adapter could not build the request (a kind or credentials of another platform).
        case notBuilt(OutboundBuildError)
    }

    /// Sends each, ``OutboundSettings/concurrentSends`` at a time.
    func send(_ sends: [PreparedSend]) async -> [(PreparedSend, SendResult)] {
        await withTaskGroup(of: (PreparedSend, SendResult).self) { group in
            var queue = sends.makeIterator()
            for _ in 0..<max(1, self.settings.concurrentSends) {
                guard let send = queue.next() else { break }
                group.addTask { (send, await self.attempt(send)) }
            }
            var results: [(PreparedSend, SendResult)] = []
            for await result in group {
                results.append(result)
                if let send = queue.next() {
                    group.addTask { (send, await self.attempt(send)) }
                }
            }
            return results
        }
    }

    func attempt(_ send: PreparedSend) async -> SendResult {
        do {
            let outcome = try await self.sender.send(
                send.message, on: send.row.platform, credentials: send.credentials)
            if let chatID = outcome.telegramMigratedChatID, case .telegramMessage = send.message.kind {
                // Telegram refused the request, so nothing was sent: the message goes once to the
                // supergroup, as the same try; only that answer counts (a second refusal is final).
                var moved = send.message
                moved.kind = .telegramMessage(chatID: chatID)
                self.logger.info(
                    "a Telegram group became a supergroup; the reply goes to its new chat",
                    metadata: ["delivery": "\(send.row.id.text)", "chat": "\(chatID)"])
                return .movedChat(
                    chatID: chatID,
                    try await self.sender.send(moved, on: send.row.platform, credentials: send.credentials))
            }
            guard case .failed(.tokenInvalid, _) = outcome, let refused = send.credentials as? XCredentials,
                refused.refreshToken != nil
            else {
                return .outcome(outcome)
            }
            // X answers 401 before acting on a request: with a renewed token the message goes once
            // more (and only once).
            switch await self.tokens.credentials(channelID: send.row.channelID, current: refused, rejected: true) {
            case .credentials(let renewed) where renewed.userAccessToken != refused.userAccessToken:
                return .outcome(
                    try await self.sender.send(send.message, on: send.row.platform, credentials: renewed))
            case .refused(.tokenInvalid, let detail):
                return .outcome(.failed(reason: .tokenInvalid, detail: detail))
            case .unavailable:
                return .outcome(.retryAfter(delay: nil, reason: .transient))
            case .credentials, .refused:
                return .outcome(outcome)
            }
        } catch {
            return .notBuilt(error)
        }
    }

    /// The settlement of one sent delivery, noting what its outcome says about the channel.
    func settlement(
        for send: PreparedSend, result: SendResult, channelErrors: inout [UUID: ChannelSendError]
    ) -> DeliverySettlement {
        let row = send.row
        let tries = row.attempts + 1
        let now = self.now()
        var message = send.message
        var movedTo: String?
        let decision: Decision
        switch result {
        case .notBuilt(let error):
            decision = .failed(
                .invalidRequest, detail: "The request could not be built for \(row.platform.rawValue): \(error).")
        case .outcome(let outcome):
            decision = self.decide(outcome, row: row, tries: tries, now: now, channelErrors: &channelErrors)
        case .movedChat(let chatID, let outcome):
            // A bot chat's thread key is its chat id (TelegramThread).
            message.kind = .telegramMessage(chatID: chatID)
            movedTo = chatID
            decision = self.decide(outcome, row: row, tries: tries, now: now, channelErrors: &channelErrors)
        }
        OutboundMetrics.delivery(row.platform, decision.metricWord)
        var settlement: DeliverySettlement
        switch decision {
        case .sent(let id):
            settlement = DeliverySettlement(
                organizationID: row.organizationID, id: row.id, state: .sent,
                platformMessageID: message.recordedPlatformMessageID(id), failureReason: nil,
                failureDetail: nil, lastError: nil, nextAttemptAt: now)
        case .retry(let after, let reason):
            settlement = self.pending(row, at: now + after, error: reason)
        case .failed(let reason, let detail):
            settlement = self.failed(row, reason, detail: detail)
        }
        settlement.movedToThreadKey = movedTo
        return settlement
    }

    /// The decision for one outcome, noting what it says about the channel.
    private func decide(
        _ outcome: OutboundOutcome, row: ClaimedDelivery, tries: Int, now: Date,
        channelErrors: inout [UUID: ChannelSendError]
    ) -> Decision {
        let decision = Self.decision(
            for: outcome, tries: tries, platform: row.platform, settings: self.settings,
            jitter: Double.random(in: 1...1.25))
        self.note(outcome, decision: decision, row: row, tries: tries, now: now, into: &channelErrors)
        return decision
    }

    /// What an outcome says about the channel: a refused token makes it TOKEN_INVALID; a rate limit
    /// pauses it here and is shown; a platform failing until the tries ran out is shown.
    private func note(
        _ outcome: OutboundOutcome, decision: Decision, row: ClaimedDelivery, tries: Int, now: Date,
        into errors: inout [UUID: ChannelSendError]
    ) {
        var error: ChannelSendError?
        switch outcome {
        case .failed(.tokenInvalid, let detail):
            error = ChannelSendError(
                channelID: row.channelID,
                text:
                    "The platform refused the channel's access token (\(detail.prefix(200))). Rotate its credentials.",
                reason: "token_invalid", tokenInvalid: true)
        case .retryAfter(let delay, .rateLimited):
            let wait = delay.map(\.timeInterval) ?? self.settings.retryDelay.timeInterval
            self.pacer.pause(row.channelID, until: now + wait)
            error = ChannelSendError(
                channelID: row.channelID, text: "The platform rate-limits this channel's sends; they wait and retry.",
                reason: "rate_limited", tokenInvalid: false)
        case .retryAfter(_, .transient):
            if case .failed(.retriesExhausted, _) = decision {
                error = ChannelSendError(
                    channelID: row.channelID,
                    text: "The platform failed or did not answer \(tries) tries of a send (5xx, timeouts).",
                    reason: "platform_unavailable", tokenInvalid: false)
            }
        default:
            break
        }
        guard let error else { return }
        // A refused token outweighs whatever else the round saw of the channel.
        if errors[row.channelID]?.tokenInvalid == true, !error.tokenInvalid { return }
        errors[row.channelID] = error
    }

    func pending(_ row: ClaimedDelivery, at: Date, error: String?) -> DeliverySettlement {
        DeliverySettlement(
            organizationID: row.organizationID, id: row.id, state: .pending, platformMessageID: nil,
            failureReason: nil, failureDetail: nil, lastError: error.map { String($0.prefix(1000)) },
            nextAttemptAt: at)
    }

    func failed(_ row: ClaimedDelivery, _ reason: DeliveryFailureReason, detail: String) -> DeliverySettlement {
        if reason == .maybeSent {
            self.logger.warning(
                "a delivery may have been sent; it is not sent again",
                metadata: ["delivery": "\(row.id.text)", "platform": "\(row.platform.rawValue)"])
        }
        return DeliverySettlement(
            organizationID: row.organizationID, id: row.id, state: .failed, platformMessageID: nil,
            failureReason: reason, failureDetail: String(detail.prefix(1000)), lastError: nil,
            nextAttemptAt: self.now())
    }

    // MARK: Outcomes (pure)

    /// What an outcome does to a delivery tried `tries` times (this one included).
    enum Decision: Sendable, Hashable {
        case sent(platformMessageID: String?)
        /// PENDING again in `after` seconds.
        case retry(after: TimeInterval, reason: String)
        case failed(DeliveryFailureReason, detail: String)

        var metricWord: String {
            switch self {
            case .sent: "sent"
            case .retry: "retried"
            case .failed(let reason, _): reason.rawValue
            }
        }
    }

    /// `jitter` (1 to 1.25 in production) stretches the backoff, so retries of many deliveries
    /// spread out.
    static func decision(
        for outcome: OutboundOutcome, tries: Int, platform: Platform, settings: OutboundSettings, jitter: Double
    ) -> Decision {
        switch outcome {
        case .sent(let id):
            return .sent(platformMessageID: id)
        case .retryAfter(let delay, let reason):
            return Self.retry(
                delay: delay, reason: "the platform answered \(Self.words(reason))", tries: tries, settings: settings,
                jitter: jitter)
        case .failed(.maybeSent, let detail) where PlatformIdempotency.resendIsSafe(on: platform):
            return Self.retry(
                delay: nil, reason: "\(detail); sent again, \(platform.rawValue) deduplicates", tries: tries,
                settings: settings, jitter: jitter)
        case .failed(let reason, let detail):
            return .failed(DeliveryFailureReason(reason), detail: detail)
        }
    }

    /// PENDING after the platform's delay or the backoff, whichever is longer; FAILED with
    /// RETRIES_EXHAUSTED once the tries are used up.
    static func retry(
        delay: Duration?, reason: String, tries: Int, settings: OutboundSettings, jitter: Double
    ) -> Decision {
        guard tries < settings.maxAttempts else {
            return .failed(.retriesExhausted, detail: "After \(tries) tries: \(reason).")
        }
        let backoff = Self.backoff(tries: tries, settings: settings).timeInterval * jitter
        return .retry(after: max(delay.map(\.timeInterval) ?? 0, backoff), reason: reason)
    }

    /// `retryDelay` doubled per try, at most `maxRetryDelay`.
    static func backoff(tries: Int, settings: OutboundSettings) -> Duration {
        let doublings = min(max(tries - 1, 0), 30)
        return min(settings.retryDelay * (1 << doublings), settings.maxRetryDelay)
    }

    static func words(_ reason: OutboundFailureReason) -> String {
        switch reason {
        case .rateLimited: "a rate limit"
        case .transient: "an error expected to pass (5xx, or no connection)"
        default: reason.rawValue
        }
    }
}

/// Set once graceful shutdown begins: the worker finishes its round and stops.
private final class StopFlag: Sendable {
    private let value = Mutex(false)

    var isSet: Bool { self.value.withLock { $0 } }

    func set() {
        self.value.withLock { $0 = true }
    }
}
