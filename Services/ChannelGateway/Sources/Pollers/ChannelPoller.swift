import InboxKit
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads the platforms' list APIs where webhooks are not enough (issue 9): LinkedIn's
/// notifications every ``PollerSettings/linkedInInterval`` (the default path; webhooks are the
/// fast path), and every ``PollerSettings/reconcileInterval`` the gap reconciliation of Messenger
/// and Instagram conversations and TikTok comments, so that what their webhooks missed lands.
///
/// Each LinkedIn, Facebook, Instagram and TikTok channel has one poller (`channel_pollers`),
/// created the first time a round sees the channel. A round:
///
/// 1. claims due pollers (`FOR UPDATE SKIP LOCKED`, a claim that expires: two replicas never poll
///    one channel at once, a replica that dies leaves its pollers to the others);
/// 2. sweeps each channel's list from its watermark (less ``PollerSettings/overlap``) up to the
///    time the sweep began, page by page, storing every page's items in the inbound log as one
///    delivery (path `poll:<platform>`, the list API's raw answer as body) — with the webhook's
///    event ids, so the log's unique key (channel, platform event id) stores an item once however
///    many times webhooks and polls bring it: what webhooks missed lands once;
/// 3. moves the watermark to the sweep's end only once the whole sweep is committed; a failure
///    keeps it, records the error on the poller (GetChannelHealth's `poller`) and retries with
///    backoff. A sweep longer than ``PollerSettings/maxStepsPerRound`` pages goes on in the next
///    round from its stored cursor.
///
/// ``reconcile(channelID:)`` runs one channel's poller now ("on demand").
struct ChannelPoller: Service {
    let pollers: ChannelPollerRepository
    let log: InboundLog
    let channels: ChannelRepository
    let box: ChannelSecretsBox
    let http: PlatformHTTPClient
    let endpoints: OutboundEndpoints
    let settings: PollerSettings
    let logger: Logger
    let now: @Sendable () -> Date
    /// Called when a poll stored new rows: the relay's wake-up in this process (the commit's
    /// NOTIFY wakes the other replicas' relays).
    var onStored: @Sendable () -> Void = {}

    /// A webhook about a comment came after the comment; this much allows for the platform's and
    /// our clocks disagreeing.
    static let clockMargin: TimeInterval = 3600

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let reports = await self.round()
                if reports.count < self.settings.maxConcurrentPolls {
                    try? await Task.sleep(for: self.settings.tick)
                }
            }
        }
    }

    /// One round: creates the pollers of new channels, claims up to
    /// ``PollerSettings/maxConcurrentPolls`` due ones and polls them at once.
    @discardableResult
    func round() async -> [PollReport] {
        let now = self.now()
        let claimed: [ClaimedPoller]
        do {
            try await self.pollers.provision(now: now)
            claimed = try await self.pollers.claimDue(
                limit: self.settings.maxConcurrentPolls, claimID: UUID(), now: now, until: self.claimEnd(from: now))
        } catch {
            self.logger.warning(
                "the poller could not claim channels; it tries again later",
                metadata: ["error": "\(String(reflecting: error))"])
            return []
        }
        guard !claimed.isEmpty else { return [] }
        return await withTaskGroup(of: PollReport.self) { group in
            for poller in claimed {
                group.addTask { await self.poll(poller) }
            }
            var reports: [PollReport] = []
            for await report in group { reports.append(report) }
            return reports
        }
    }

    /// Polls one channel now, from its watermark, whether or not it is due — unless another
    /// round (of any replica) is polling it (``PollReport/Outcome/busy``). A channel without a
    /// poller kind, disabled or disconnected is ``PollReport/Outcome/notPolled``.
    func reconcile(channelID: UUID) async throws -> PollReport {
        let now = self.now()
        try await self.pollers.provision(channelID: channelID, now: now)
        if let claimed = try await self.pollers.claim(
            channelID: channelID, claimID: UUID(), now: now, until: self.claimEnd(from: now))
        {
            return await self.poll(claimed)
        }
        let state = try await self.pollers.pollerState(channelID: channelID)
        return PollReport(channelID: channelID, outcome: state?.enabled == true ? .busy : .notPolled, stored: 0)
    }

    /// One claimed poller: its sweep's next pages, then the watermark, or the failure.
    func poll(_ poller: ClaimedPoller) async -> PollReport {
        let started = self.now()
        var stored = 0
        do {
            let channel = try await self.channel(poller)
            let lookback = PollerSettings.seconds(self.settings.initialLookback)
            let start = poller.watermark ?? started.addingTimeInterval(-lookback)
            let window = PollWindow(
                since: start.addingTimeInterval(-PollerSettings.seconds(settings.overlap)),
                until: poller.sweepUntil ?? started)
            var cursor = poller.cursor
            for _ in 0..<max(1, self.settings.maxStepsPerRound) {
                let step = try await self.step(poller.kind, channel: channel, window: window, cursor: cursor)
                stored += step.stored
                let at = self.now()
                guard let next = step.next else {
                    // Every page of the sweep is committed: only now does the watermark move.
                    try await self.pollers.completeSweep(
                        poller, watermark: window.until, now: at,
                        nextPollAt: at.addingTimeInterval(PollerSettings.seconds(poller.kind.interval(self.settings))))
                    self.logStored(stored, poller)
                    return PollReport(channelID: poller.channelID, outcome: .complete, stored: stored)
                }
                cursor = next
                let kept = try await self.pollers.advance(
                    poller, cursor: next, sweepUntil: window.until, now: at, claimUntil: self.claimEnd(from: at))
                guard kept else {
                    // The claim expired and another round took the poller over: it goes on from here.
                    self.logStored(stored, poller)
                    return PollReport(channelID: poller.channelID, outcome: .busy, stored: stored)
                }
            }
            let paused = self.now()
            try await self.pollers.pause(poller, now: paused, nextPollAt: paused)
            self.logStored(stored, poller)
            return PollReport(channelID: poller.channelID, outcome: .partial, stored: stored)
        } catch {
            let failure: PollFailure
            if let known = error as? PollFailure {
                failure = known
            } else {
                self.logger.error(
                    "a poll could not store what it read",
                    metadata: ["channel": "\(poller.channelID.text)", "error": "\(String(reflecting: error))"])
                failure = PollFailure(.transient, "what the platform listed could not be stored; polled again later")
            }
            await self.recordFailure(failure, poller)
            return PollReport(channelID: poller.channelID, outcome: .failed(failure), stored: stored)
        }
    }

    /// The error on the poller (health), the watermark untouched, the next try after a backoff
    /// that doubles per failure in a row (never sooner than the platform asked).
    private func recordFailure(_ failure: PollFailure, _ poller: ClaimedPoller) async {
        let failures = poller.consecutiveFailures + 1
        let doubling = Double(1 << min(failures - 1, 20))
        var delay = min(
            PollerSettings.seconds(self.settings.retryDelay) * doubling,
            PollerSettings.seconds(self.settings.maxRetryDelay))
        if let asked = failure.retryAfter { delay = max(delay, PollerSettings.seconds(asked)) }
        let at = self.now()
        self.logger.warning(
            "a poll failed; it is tried again later",
            metadata: [
                "channel": "\(poller.channelID.text)", "kind": "\(poller.kind.rawValue)",
                "reason": "\(failure.reason.rawValue)", "error": "\(failure.text)", "failures": "\(failures)",
            ])
        do {
            try await self.pollers.recordFailure(
                poller, error: failure.text, restartSweep: failures >= self.settings.restartSweepAfterFailures,
                now: at, nextPollAt: at.addingTimeInterval(delay))
        } catch {
            // The claim expires by itself; the poller is due again then.
            self.logger.error(
                "could not record a poll's failure", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    private func logStored(_ stored: Int, _ poller: ClaimedPoller) {
        guard stored > 0 else { return }
        self.logger.info(
            "a poll stored events no webhook had delivered",
            metadata: ["channel": "\(poller.channelID.text)", "kind": "\(poller.kind.rawValue)", "stored": "\(stored)"])
    }

    func claimEnd(from instant: Date) -> Date {
        instant.addingTimeInterval(PollerSettings.seconds(self.settings.claimDuration))
    }

    /// The polled channel and the credentials its list API is read with.
    private func channel(_ poller: ClaimedPoller) async throws -> PolledChannel {
        let found: (ChannelAccount, ChannelSecrets?)?
        do {
            found = try await self.channels.openedChannel(poller.channelID, box: self.box)
        } catch is ChannelSecretsUnreadable {
            throw PollFailure(
                .configuration, "the channel's secrets could not be opened; is their key still configured?")
        }
        guard let (account, secrets) = found, account.status != .disconnected else {
            throw PollFailure(.configuration, "the channel is disconnected")
        }
        guard let secrets, !secrets.accessToken.isEmpty else {
            throw PollFailure(.configuration, "the channel has no access token; rotate its credentials to add one")
        }
        // The same credentials as the outbound client's (the Page, account or business id is the
        // channel's external account id; Instagram Login when its settings say so).
        let credentials = secrets.outboundCredentials(for: account)
        return PolledChannel(account: account, credentials: credentials)
    }
}

/// What one poll of a channel did.
struct PollReport: Sendable, Hashable {
    enum Outcome: Sendable, Hashable {
        /// The sweep read everything up to its end; the watermark moved there.
        case complete
        /// The round read its share of a longer sweep; the next round goes on from its cursor.
        case partial
        /// Nothing more was read; the error is on the poller and the watermark stayed.
        case failed(PollFailure)
        /// Another round holds the channel's poller (or took it over from this one).
        case busy
        /// The channel has no poller: a platform without one, disabled, or disconnected.
        case notPolled
    }

    var channelID: UUID
    var outcome: Outcome
    /// Rows stored that were new; items stored before (by a webhook or an earlier poll) are not
    /// counted.
    var stored: Int
}

/// A channel as a poll reads it.
struct PolledChannel: Sendable {
    let account: ChannelAccount
    let credentials: any ChannelCredentials
}
