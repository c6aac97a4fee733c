import AsyncHTTPClient
import InboxKit
import Logging
import PostgresNIO
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The composition root of channel-gateway.
public struct ChannelGatewayApp: Sendable {
    public let configuration: GatewayConfiguration
    let now: @Sendable () -> Date

    public init(configuration: GatewayConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.now = now
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration.service, logger: logger)
        let parts = try Self.assemble(
            configuration: self.configuration, database: runtime.database, peers: GatewayPeers(runtime.peers),
            plans: PolicyPlanCheck(policy: runtime.peers.policy), health: runtime.health, logger: logger,
            now: self.now)
        try await runtime.run(rpcServices: [parts.rpc], migrations: GatewayMigrations.all, background: parts.background)
    }

    /// The handlers, the webhook endpoint and the background work, wired; production and the
    /// tests build them here. Background order matters for shutdown, which runs in reverse: the
    /// HTTP server stops taking requests first, then the committer answers what it holds, then the
    /// relay and the rest stop.
    static func assemble(
        configuration: GatewayConfiguration, database: PostgresClient, peers: GatewayPeers, plans: any PlanCheck,
        health: HealthStatus, logger: Logger, now: @escaping @Sendable () -> Date
    ) throws -> GatewayParts {
        let assets = try WebChatAssets.load()
        let settings = configuration.inbound
        let channels = ChannelRepository(client: database, logger: logger)
        let box = ChannelSecretsBox(current: configuration.secretsKey, previous: configuration.previousSecretsKeys)
        let directory = ChannelDirectory(repository: channels, box: box, ttl: settings.channelCacheTTL, logger: logger)
        let log = InboundLog(client: database, logger: logger)
        let relaySignal = WorkSignal()
        let fetchSignal = WorkSignal()
        let committer = InboundCommitter(
            log: log, logger: logger,
            onCommit: {
                relaySignal.wake()
                fetchSignal.wake()
            })
        let counters = InboundCounters(client: database, interval: settings.counterFlushInterval, logger: logger)
        let endpoint = WebhookEndpoint(
            directory: directory, apps: configuration.platformApps, committer: committer, counters: counters,
            channels: channels, publicBaseURL: configuration.publicBaseURL, logger: logger, now: now)
        let transcript = WebChatTranscript(client: database, logger: logger)
        let hub = WebChatHub(client: database, logger: logger)
        let webChat = WebChatAPI(
            directory: directory, transcript: transcript, hub: hub, committer: committer,
            limits: configuration.webChat, publicBaseURL: configuration.publicBaseURL, logger: logger, now: now)
        let platformHTTP = PlatformHTTPClient(client: HTTPClient.shared)
        let pollers = ChannelPollerRepository(client: database, logger: logger)
        let poller = ChannelPoller(
            pollers: pollers, log: log, channels: channels, box: box, http: platformHTTP,
            endpoints: configuration.outboundEndpoints, settings: configuration.pollers, logger: logger, now: now,
            onStored: { relaySignal.wake() })
        let inbound = InboundOperations(
            log: log, directory: directory, relaySignal: relaySignal, pollers: pollers, poller: poller)
        let deliveries = DeliveryRepository(client: database, logger: logger)
        let deliverySignal = WorkSignal()
        let statusSignal = WorkSignal()
        let outbound = OutboundOperations(
            deliveries: deliveries, signal: deliverySignal, publicBaseURL: configuration.publicBaseURL,
            xOAuthClient: configuration.xOAuthClient)
        let rpc = GatewayRPC(
            channels: channels, secrets: box, plans: plans, inbound: inbound, outbound: outbound, now: now)
        let sendHTTP = PlatformHTTPClient(client: HTTPClient.shared, timeout: configuration.outbound.sendTimeout)
        let sender = OutboundSender(
            http: sendHTTP, adapters: OutboundAdapters(endpoints: configuration.outboundEndpoints),
            weChatTokens: WeChatAccessTokenCache(store: PostgresWeChatTokenStore(client: database, logger: logger)),
            webChat: WebChatReplies(transcript: transcript, hub: hub, logger: logger, now: now))
        let tokens = XTokenRefresher(
            channels: channels, box: box, http: sendHTTP,
            adapter: XOutboundAdapter(endpoints: configuration.outboundEndpoints),
            operatorClient: configuration.xOAuthClient, logger: logger, now: now)
        var background: [any Service] = [
            counters,
            hub,
            InboundRelay(
                log: log, deliveries: deliveries, peers: peers, settings: settings, signal: relaySignal,
                logger: logger, now: now),
            ContentFetchWorker(
                log: log, channels: channels, box: box,
                fetcher: ContentFetcher(http: platformHTTP, endpoints: configuration.outboundEndpoints),
                settings: settings, signal: fetchSignal, logger: logger, now: now, onReady: { relaySignal.wake() }),
            InboundNotifications(client: database, signals: [relaySignal, fetchSignal], logger: logger),
            InboundMaintenance(
                log: log, peers: peers, settings: settings, relaySignal: relaySignal, logger: logger, now: now),
            DeliveryWorker(
                deliveries: deliveries, channels: channels, box: box, sender: sender, tokens: tokens,
                pacer: ChannelPacer(
                    sendsPerSecond: configuration.outbound.channelSendsPerSecond,
                    burst: configuration.outbound.channelBurst),
                settings: configuration.outbound, publicBaseURL: configuration.publicBaseURL, signal: deliverySignal,
                logger: logger, now: now, onStatusQueued: { statusSignal.wake() }),
            DeliveryStatusOutbox(
                deliveries: deliveries, peers: peers, settings: configuration.outbound, signal: statusSignal,
                logger: logger, now: now),
            InboundNotifications(
                client: database, signals: [deliverySignal], logger: logger, channel: DeliveryRepository.notifyChannel),
        ]
        // Without the scheduled pollers (`PollerSettings.enabled` false) the same poller still
        // serves ReconcileChannel: only its rounds are not run.
        if configuration.pollers.enabled { background.append(poller) }
        background += [
            committer,
            WebhookHTTPServer.make(
                configuration: configuration, health: health, endpoint: endpoint, webChat: webChat, assets: assets,
                logger: logger),
        ]
        return GatewayParts(rpc: rpc, endpoint: endpoint, webChat: webChat, background: background)
    }
}

struct GatewayParts: Sendable {
    let rpc: GatewayRPC
    let endpoint: WebhookEndpoint
    let webChat: WebChatAPI
    let background: [any Service]
}
