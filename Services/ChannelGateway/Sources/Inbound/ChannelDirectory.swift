import InboxKit
import Logging
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A channel as the webhook endpoints need it: the account and its secrets opened, in the
/// platform adapter's type.
struct WebhookChannel: Sendable {
    let account: ChannelAccount
    let secrets: any WebhookSecrets
}

/// The channels the webhook endpoints look up, reused for a short time (``InboundSettings/channelCacheTTL``)
/// so that a burst of deliveries costs no query nor decryption per request. Changes made through
/// this process (connect, rotate, disconnect) clear it at once; another replica's take effect within
/// the TTL.
final class ChannelDirectory: Sendable {
    private struct Entry<Value: Sendable>: Sendable {
        let value: Value
        let expires: ContinuousClock.Instant
    }

    private struct State {
        var byID: [UUID: Entry<WebhookChannel?>] = [:]
        var byAccount: [String: Entry<ChannelAccount?>] = [:]
    }

    /// Entries kept at most; beyond it the cache starts over (a flood of unknown ids cannot grow it).
    static let capacity = 50_000

    private let repository: ChannelRepository
    private let box: ChannelSecretsBox
    private let ttl: Duration
    private let logger: Logger
    private let state = Mutex(State())

    init(repository: ChannelRepository, box: ChannelSecretsBox, ttl: Duration, logger: Logger) {
        self.repository = repository
        self.box = box
        self.ttl = ttl
        self.logger = logger
    }

    /// Forgets everything (after a change to a channel made through this process).
    func invalidate() {
        self.state.withLock { $0 = State() }
    }

    /// The channel with this id, if it is connected (a disconnected channel has no endpoint).
    func channel(id: UUID) async throws -> WebhookChannel? {
        let now = ContinuousClock.now
        if let cached = self.state.withLock({ $0.byID[id] }), cached.expires > now { return cached.value }
        var found: WebhookChannel?
        if let (account, opened) = try await self.repository.openedChannel(id, box: self.box),
            account.status != .disconnected
        {
            found = WebhookChannel(
                account: account,
                secrets: (opened ?? ChannelSecrets()).webhookSecrets(for: account.platform, settings: account.settings))
        }
        self.state.withLock { state in
            if state.byID.count >= Self.capacity { state.byID = [:] }
            state.byID[id] = Entry(value: found, expires: now + self.ttl)
        }
        return found
    }

    /// The connected channel of each of these accounts of `platform` (absent: none).
    func channels(platform: Platform, accountIDs: Set<String>) async throws -> [String: ChannelAccount] {
        let now = ContinuousClock.now
        var result: [String: ChannelAccount] = [:]
        let missing = self.state.withLock { state -> [String] in
            var missing: [String] = []
            for account in accountIDs {
                if let cached = state.byAccount[Self.key(platform, account)], cached.expires > now {
                    if let channel = cached.value { result[account] = channel }
                } else {
                    missing.append(account)
                }
            }
            return missing
        }
        guard !missing.isEmpty else { return result }
        let found = try await self.repository.connectedChannels(platform: platform, accountIDs: missing)
        let byAccount = Dictionary(found.map { ($0.externalAccountID, $0) }, uniquingKeysWith: { first, _ in first })
        self.state.withLock { state in
            if state.byAccount.count >= Self.capacity { state.byAccount = [:] }
            for account in missing {
                state.byAccount[Self.key(platform, account)] = Entry(value: byAccount[account], expires: now + self.ttl)
            }
        }
        result.merge(byAccount) { first, _ in first }
        return result
    }

    private static func key(_ platform: Platform, _ account: String) -> String {
        "\(platform.rawValue) \(account)"
    }
}
