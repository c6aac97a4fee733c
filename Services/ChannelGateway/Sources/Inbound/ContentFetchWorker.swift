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

/// Reads the content the platforms leave out of their webhooks (DESIGN.md §2 "Inbound"): an
/// event whose adapter asked for a ``ContentFetch`` step (Instagram mentions, TikTok comments
/// without text, Facebook comments without `post{}`) is committed AWAITING_CONTENT, and this
/// worker completes it after the commit, in rounds:
///
/// 1. claim up to ``batchSize`` due rows (`FOR UPDATE SKIP LOCKED`, a claim that expires, as the
///    relay's);
/// 2. open each channel's secrets once per round and run the steps through the outbound client
///    (``ContentFetcher``), ``concurrentFetches`` at a time;
/// 3. apply what was read — the text and the author's handle of a mention or comment; for a
///    comment on an unpublished (dark, ad) Facebook post the kind DARK_POST_COMMENT and
///    `flags.is_paid` — and hand the event to the relay (PENDING);
/// 4. a fetch worth trying again (throttled, a platform or network failure) waits, AWAITING_CONTENT,
///    for the platform's delay or the backoff, whichever is longer, up to
///    ``InboundSettings/contentFetchMaxAttempts`` tries.
///
/// The event is never dropped for its content: a fetch that failed for good, ran out of tries, or
/// could not be made (the channel is gone, disconnected or has no token) hands the event to the
/// relay with what the webhook said, flagged `content_incomplete`, the reason as its last error.
///
/// Woken by the commit of new rows in this process and by LISTEN/NOTIFY from the others
/// (``InboundNotifications``); the poll catches retries coming due. A round that made events
/// PENDING signals ``InboundLog/notifyChannel`` and calls ``onReady``, so the relay sends them at once.
struct ContentFetchWorker: Service {
    let log: InboundLog
    let channels: ChannelRepository
    let box: ChannelSecretsBox
    let fetcher: ContentFetcher
    let settings: InboundSettings
    let signal: WorkSignal
    let logger: Logger
    let now: @Sendable () -> Date
    /// Called after a round that made events PENDING (this process's relay, without waiting for
    /// the NOTIFY to come back).
    var onReady: @Sendable () -> Void = {}

    /// Rows per round. With ``concurrentFetches`` at a time, a round whose every fetch runs into
    /// the HTTP client's timeout (15 s) still ends within two timeouts, well inside a claim.
    static let batchSize = 32
    static let concurrentFetches = 16

    /// The author id of a mention or comment whose author stayed unknown (the fetch failed, or the
    /// platform named nobody): conversation-service needs one for a customer's message. No
    /// platform id or handle has parentheses, so it never stands for a real person.
    static let unknownAuthorID = "(unknown)"

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let claimed = await self.round()
                if claimed < Self.batchSize {
                    await self.signal.wait(timeout: self.settings.pollInterval)
                }
            }
        }
    }

    /// One round; returns how many rows it claimed.
    @discardableResult
    func round() async -> Int {
        let now = self.now()
        let claimed: [ClaimedContentFetch]
        do {
            claimed = try await self.log.claimAwaitingContent(
                limit: Self.batchSize, now: now, until: now + self.settings.claimDuration.timeInterval)
        } catch {
            self.logger.warning(
                "the content fetcher could not claim events", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
        guard !claimed.isEmpty else { return 0 }
        var lookups: [UUID: ChannelLookup] = [:]
        for id in Set(claimed.map(\.channelID)) {
            lookups[id] = await self.lookup(channel: id)
        }
        let settlements = await self.fetch(claimed, lookups: lookups)
        do {
            let ready = try await self.log.settleContentFetches(settlements)
            if ready > 0 { self.onReady() }
        } catch {
            self.logger.warning(
                "the content fetcher could not record a round; its events come due again after their claim",
                metadata: ["events": "\(claimed.count)", "error": "\(String(reflecting: error))"])
        }
        return claimed.count
    }

    /// Each claimed row's settlement, ``concurrentFetches`` fetches at a time.
    func fetch(_ claimed: [ClaimedContentFetch], lookups: [UUID: ChannelLookup]) async -> [ContentFetchSettlement] {
        await withTaskGroup(of: ContentFetchSettlement.self) { group in
            var rows = claimed.makeIterator()
            for _ in 0..<Self.concurrentFetches {
                guard let row = rows.next() else { break }
                let channel = lookups[row.channelID]
                group.addTask { await self.settlement(for: row, channel: channel) }
            }
            var settlements: [ContentFetchSettlement] = []
            for await settlement in group {
                settlements.append(settlement)
                if let row = rows.next() {
                    let channel = lookups[row.channelID]
                    group.addTask { await self.settlement(for: row, channel: channel) }
                }
            }
            return settlements
        }
    }

    // MARK: The channel

    /// What a round knows of a channel: its credentials, or why none can be used.
    enum ChannelLookup: Sendable {
        case ready(any ChannelCredentials)
        /// No fetch can be made (gone, disconnected, no token): the events go on without content.
        case unusable(String)
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
        guard let (account, opened) = found else { return .unusable("the channel no longer exists") }
        switch account.status {
        case .disconnected, .subscriptionRevoked:
            return .unusable("the channel is \(account.status.rawValue)")
        case .active, .tokenInvalid:
            break
        }
        guard let secrets = opened else { return .unusable("the channel has no credentials") }
        let missing = secrets.missingOutboundFields(for: account.platform)
        guard missing.isEmpty else {
            return .unusable("the channel has no \(missing.joined(separator: ", ")) to read the content with")
        }
        return .ready(secrets.outboundCredentials(for: account))
    }

    // MARK: One row

    func settlement(for row: ClaimedContentFetch, channel: ChannelLookup?) async -> ContentFetchSettlement {
        guard var event = try? Inbox_V1_InboundEvent(serializedBytes: row.event) else {
            // Unchanged: the relay dead-letters it (replayable after a fix).
            return ContentFetchSettlement(
                id: row.id, attempts: row.attempts, state: .pending, event: nil,
                error: "the stored event could not be decoded", nextAttemptAt: self.now())
        }
        guard let stored = row.step, let step = ContentFetch(storedJSON: stored) else {
            return self.incomplete(row, event, step: nil, reason: "the stored content fetch step could not be read")
        }
        let credentials: any ChannelCredentials
        switch channel ?? .unavailable("the channel was not looked up") {
        case .ready(let found): credentials = found
        case .unusable(let reason): return self.incomplete(row, event, step: step, reason: reason)
        case .unavailable(let reason): return self.retry(row, event, step: step, delay: nil, reason: reason)
        }
        let outcome: ContentFetchOutcome
        do {
            outcome = try await self.fetcher.fetch(step, credentials: credentials)
        } catch {
            return self.incomplete(
                row, event, step: step, reason: "the content could not be requested: \(String(describing: error))")
        }
        switch outcome {
        case .fetched(let content):
            Self.apply(content, to: &event)
            Self.fillAuthor(of: &event, step: step)
            return ContentFetchSettlement(
                id: row.id, attempts: row.attempts, state: .pending, event: Self.bytes(event), error: nil,
                nextAttemptAt: self.now())
        case .retryAfter(let delay, let reason):
            return self.retry(
                row, event, step: step, delay: delay, reason: "the platform answered \(reason.rawValue); try again")
        case .failed(let reason, let detail):
            return self.incomplete(row, event, step: step, reason: "\(reason.rawValue): \(detail)")
        }
    }

    /// AWAITING_CONTENT again after the platform's delay or the backoff, whichever is longer; once
    /// the tries are used up, on without the content.
    func retry(
        _ row: ClaimedContentFetch, _ event: Inbox_V1_InboundEvent, step: ContentFetch, delay: Duration?,
        reason: String
    ) -> ContentFetchSettlement {
        guard row.attempts < self.settings.contentFetchMaxAttempts else {
            return self.incomplete(row, event, step: step, reason: "after \(row.attempts) tries: \(reason)")
        }
        let backoff =
            InboundRelay.backoff(attempts: row.attempts, settings: self.settings).timeInterval
            * Double.random(in: 1...1.25)
        let wait = max(delay.map(\.timeInterval) ?? 0, backoff)
        return ContentFetchSettlement(
            id: row.id, attempts: row.attempts, state: .awaitingContent, event: nil,
            error: "content fetch: \(reason)", nextAttemptAt: self.now() + wait)
    }

    /// PENDING with what the webhook said, flagged `content_incomplete`, `reason` as the last error.
    func incomplete(
        _ row: ClaimedContentFetch, _ event: Inbox_V1_InboundEvent, step: ContentFetch?, reason: String
    ) -> ContentFetchSettlement {
        var event = event
        event.flags.contentIncomplete = true
        Self.fillAuthor(of: &event, step: step)
        self.logger.warning(
            "an inbound event goes on without its content",
            metadata: ["event": "\(row.id.text)", "channel": "\(row.channelID.text)", "reason": "\(reason)"])
        return ContentFetchSettlement(
            id: row.id, attempts: row.attempts, state: .pending, event: Self.bytes(event),
            error: "content incomplete: \(reason)", nextAttemptAt: self.now())
    }

    // MARK: The event

    /// What was read, into the event: a text replaces the (missing) text, a handle becomes the
    /// author's (and their id when the webhook named none); an unpublished post makes the comment a
    /// dark-post comment, paid. A published post changes nothing, whatever its promotion status
    /// (organic reels report `ineligible` too; CHANNELS.md §1.3e).
    static func apply(_ content: FetchedContent, to event: inout Inbox_V1_InboundEvent) {
        switch content {
        case .text(let text, let handle):
            event.text = text
            if let handle, !handle.isEmpty {
                event.author.handle = handle
                if event.author.platformUserID.isEmpty { event.author.platformUserID = handle }
            }
        case .postVisibility(let isPublished, _):
            guard !isPublished else { return }
            if event.kind == .comment { event.kind = .darkPostComment }
            event.flags.isPaid = true
        }
    }

    /// A customer's mention or comment whose author is still unknown gets ``unknownAuthorID``:
    /// conversation-service refuses a message without an author, and the event must reach the inbox.
    /// Not for a Facebook post read, which never concerns the author (the webhook's is kept as sent).
    static func fillAuthor(of event: inout Inbox_V1_InboundEvent, step: ContentFetch?) {
        if case .facebookPostVisibility? = step { return }
        guard event.type == .message, !event.flags.isEcho, event.author.platformUserID.isEmpty else { return }
        event.author.platformUserID = Self.unknownAuthorID
    }

    static func bytes(_ event: Inbox_V1_InboundEvent) -> [UInt8]? {
        try? event.serializedBytes()
    }
}
