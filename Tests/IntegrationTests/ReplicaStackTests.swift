import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import Logging
import PlatformJSON
import PostgresNIO
import TestSupport
import Testing

/// Two replicas of every service on one database (issue 14): the eight executables over real
/// sockets, every `*_ADDR` listing both replicas of the service it names (``StackTests/startStacks``),
/// and a fake Telegram Bot API over real HTTP.
///
/// - Nothing is ingested twice: ten Telegram updates from five customers, each posted to BOTH
///   gateways (one after the other, the first alternating, or both at once), become five
///   conversations of two messages each, from ten inbound events; the two gateways' relays hand
///   them to both conversation-services.
/// - Nothing is sent twice: six replies, SendReply alternating between the two
///   conversation-services, each sent again with the same idempotency key to the other one; the
///   fake receives each reply once, the gateway holds one delivery for each, and every reply ends
///   SENT.
/// - A watch sees what the other replica wrote: WatchConversations streams opened on each
///   conversation-service see MESSAGE_CREATED for every reply, half of which the other replica
///   wrote (LISTEN/NOTIFY across processes).
@Suite("Two replicas of each service: no double ingestion, no double send, watches see both")
struct ReplicaStackTests {
    static let botToken = "123456:TEST-replica-bot"
    static let secretToken = "tg-replica-secret"
    static let customers = 5
    static let messagesPerCustomer = 2
    static let replies = 6

    @Test func twoOfEachIngestOnceSendOnceAndWatchEachOthersWrites() async throws {
        let fake = try await TelegramBotAPIFake.start(botToken: Self.botToken)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await withTestDatabase { database in
                let replicas = try StackTests().startStacks(
                    2, database, extra: [.channelGateway: ["TELEGRAM_API_BASE_URL": fake.baseURL]])
                for (index, stack) in replicas.enumerated() {
                    for service in InboxService.allCases {
                        let status = try await stack.waitUntilServing(service, timeout: .seconds(60))
                        #expect(
                            status == .serving,
                            "\(service.rawValue) \(index + 1): \(stack.processes[service]!.output.suffix(3000))")
                    }
                }
                try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { gatewayDatabase in
                    let path = try await ReplicaPath.make(replicas, gatewayDatabase: gatewayDatabase, http: http)
                    try await Self.ingestSendAndWatch(path, fake: fake)
                }
                let processes = replicas.flatMap(\.processes.values)
                for process in processes { process.terminate() }
                for process in processes { _ = await process.waitForExit(timeout: .seconds(20)) }
            }
        } catch {
            try? await http.shutdown()
            await fake.stop()
            throw error
        }
        try await http.shutdown()
        await fake.stop()
    }

    /// The three checks, with a client of each conversation-service and a watch open on each.
    static func ingestSendAndWatch(_ path: ReplicaPath, fake: TelegramBotAPIFake) async throws {
        let channel = try await path.connectTelegram()
        try await path.replicas[0].withClient(.conversationService) { first in
            try await path.replicas[1].withClient(.conversationService) { second in
                let conversations = [
                    Inbox_V1_ConversationService.Client(wrapping: first),
                    Inbox_V1_ConversationService.Client(wrapping: second),
                ]
                let watches = [WatchedEvents(), WatchedEvents()]
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (watch, client) in zip(watches, conversations) {
                        group.addTask { await watch.follow(client, metadata: path.agent) }
                    }
                    defer { group.cancelAll() }
                    let threads = try await Self.webhooksAreIngestedOnce(path, channel: channel, conversations)
                    // Each watch has read its starting point: a HEARTBEAT came, or an event of the
                    // ingestion above.
                    for (index, watch) in watches.enumerated() {
                        let ready = try await holds(within: .seconds(20)) { watch.isReady || !watch.events.isEmpty }
                        try #require(ready, "watch \(index + 1) did not start: \(watch.error ?? "no error")")
                    }
                    let replies = try await Self.repliesAreSentOnce(path, threads: threads, conversations, fake: fake)
                    // Every reply reaches both watches: half of them were written by the other replica.
                    for (index, watch) in watches.enumerated() {
                        let seen = try await holds {
                            let created = Set(watch.events.filter { $0.type == .messageCreated }.map(\.message.id))
                            return replies.allSatisfy { created.contains($0.id) }
                        }
                        let seenWhat =
                            "the watch on conversation-service \(index + 1) saw \(watch.events.map(\.type)), "
                            + "replies \(replies.map(\.id))"
                        #expect(seen, "\(seenWhat)")
                        #expect(watch.error == nil, "\(watch.error ?? "")")
                    }
                }
            }
        }
    }

    /// Ten updates, each posted to both gateways; returns the five conversations.
    static func webhooksAreIngestedOnce(
        _ path: ReplicaPath, channel: Inbox_V1_Channel, _ conversations: [ReplicaPath.Conversations]
    ) async throws -> [Inbox_V1_Conversation] {
        let now = Int64(Date().timeIntervalSince1970)
        let updates = Self.customers * Self.messagesPerCustomer
        for index in 0..<updates {
            let customer = index % Self.customers
            let update = WebhookPayloads.telegramMessage(
                updateID: 910_000 + Int64(index), messageID: 100 + Int64(index),
                chatID: 777_000_100 + Int64(customer), firstName: "Customer \(customer)",
                username: "customer\(customer)", text: Self.text(customer: customer, message: index / Self.customers),
                date: now)
            let first = index % 2
            let statuses: [Int]
            // Pairs of updates take turns: one after the other, then both at once.
            if (index / 2).isMultiple(of: 2) {
                // A platform's retry that lands on the other replica.
                let once = try await path.post(update, channel: channel, to: first)
                let again = try await path.post(update, channel: channel, to: 1 - first)
                statuses = [once, again]
            } else {
                // Both replicas at the same moment.
                async let once = path.post(update, channel: channel, to: first)
                async let again = path.post(update, channel: channel, to: 1 - first)
                statuses = try await [once, again]
            }
            #expect(statuses == [200, 200], "update \(index)")
        }

        // The gateways stored each update once and relayed every one.
        let relayed = try await eventually { () -> (all: Int, delivered: Int)? in
            let counts = try await path.inboundCounts()
            return counts.all >= updates && counts.delivered == counts.all ? counts : nil
        }
        let counts = try #require(relayed, "not every inbound event was relayed: \(path.gatewayOutput)")
        #expect(counts.all == updates)

        // Five conversations, the same on both replicas, each with its customer's two messages once.
        let onFirst = try await conversations[0].listConversations(.with { $0.pageSize = 50 }, metadata: path.agent)
        let onSecond = try await conversations[1].listConversations(.with { $0.pageSize = 50 }, metadata: path.agent)
        let threads = onSecond.conversations
        #expect(threads.count == Self.customers, "\(threads.map(\.id))")
        #expect(Set(onFirst.conversations.map(\.id)) == Set(threads.map(\.id)))
        var customersSeen = Set<Int>()
        for (index, thread) in threads.enumerated() {
            let messages = try await conversations[index % 2].listMessages(
                .with {
                    $0.conversationID = thread.id
                    $0.pageSize = 50
                }, metadata: path.agent
            ).messages
            #expect(messages.count == Self.messagesPerCustomer, "\(messages.map(\.text))")
            #expect(messages.allSatisfy { $0.direction == .inbound })
            #expect(Set(messages.map(\.platformMessageID)).count == messages.count)
            let customer = (0..<Self.customers).first { customer in
                Set(messages.map(\.text))
                    == Set((0..<Self.messagesPerCustomer).map { Self.text(customer: customer, message: $0) })
            }
            #expect(customer != nil, "\(messages.map(\.text))")
            if let customer { customersSeen.insert(customer) }
        }
        #expect(customersSeen.count == Self.customers)
        return threads
    }

    /// Six replies alternating between the replicas, each sent again to the other one; returns them.
    static func repliesAreSentOnce(
        _ path: ReplicaPath, threads: [Inbox_V1_Conversation], _ conversations: [ReplicaPath.Conversations],
        fake: TelegramBotAPIFake
    ) async throws -> [Inbox_V1_Message] {
        try #require(!threads.isEmpty)
        var replies: [Inbox_V1_Message] = []
        var replyConversations: [String] = []
        for index in 0..<Self.replies {
            let replica = index % 2
            let request = Inbox_V1_SendReplyRequest.with {
                $0.conversationID = threads[index % threads.count].id
                $0.idempotencyKey = "replica-reply-\(index)"
                $0.text = Self.replyText(index)
            }
            let reply = try await conversations[replica].sendReply(request, metadata: path.agent)
            // A client that retries on the other replica gets the same reply, not a second one.
            let again = try await conversations[1 - replica].sendReply(request, metadata: path.agent)
            #expect(again.id == reply.id)
            replies.append(reply)
            replyConversations.append(request.conversationID)
        }

        for (index, reply) in replies.enumerated() {
            // Read on the replica that did not take the reply.
            let settled = try await eventually { () -> Inbox_V1_Message? in
                let page = try await conversations[1 - index % 2].listMessages(
                    .with {
                        $0.conversationID = replyConversations[index]
                        $0.pageSize = 50
                    }, metadata: path.agent)
                return page.messages.first { $0.id == reply.id && $0.deliveryState != .pending }
            }
            let message = try #require(settled, "reply \(index) stayed PENDING: \(path.gatewayOutput)")
            #expect(message.deliveryState == .sent, "\(message.failureReason): \(message.failureDetail)")
            #expect(!message.platformMessageID.isEmpty)
        }

        // Telegram received each reply once; the gateway holds one delivery for each.
        let sends = fake.recorder.requests.filter { $0.path.hasSuffix("/sendMessage") }
            .map { String(decoding: $0.body, as: UTF8.self) }
        #expect(sends.count == Self.replies, "\(sends)")
        for index in 0..<Self.replies {
            #expect(sends.filter { $0.contains(Self.replyText(index)) }.count == 1, "reply \(index): \(sends)")
        }
        let deliveries = try await path.deliveriesPerMessage()
        #expect(deliveries == Dictionary(uniqueKeysWithValues: replies.map { ($0.id, 1) }), "\(deliveries)")
        return replies
    }

    static func text(customer: Int, message: Int) -> String {
        "customer \(customer) message \(message)"
    }

    static func replyText(_ index: Int) -> String {
        "order \(index) ships today"
    }
}

/// The two replica sets, an organisation on the enterprise plan (Telegram needs it), its admin
/// and an agent, and the gateways' database for what the API does not show.
struct ReplicaPath: Sendable {
    typealias Conversations = Inbox_V1_ConversationService.Client<HTTP2ClientTransport.Posix>

    let replicas: [Stack]
    let gatewayDatabase: PostgresClient
    let http: HTTPClient
    let admin: Metadata
    let agent: Metadata

    static func make(_ replicas: [Stack], gatewayDatabase: PostgresClient, http: HTTPClient) async throws
        -> ReplicaPath
    {
        let organization = try await replicas[0].withClient(.policyService) { client in
            try await Inbox_V1_PolicyService.Client(wrapping: client).createOrganization(
                .with {
                    $0.name = "Shop"
                    $0.plan = .enterprise
                }, metadata: TestTokens.metadata(.operator, organization: nil)
            ).id
        }
        let admin = try await TestTokens.metadata(.admin, organization: organization)
        let agent: Metadata = [
            "authorization":
                "Bearer \(try await TestTokens.token(.agent, organization: organization, agent: "agent-1"))"
        ]
        return ReplicaPath(replicas: replicas, gatewayDatabase: gatewayDatabase, http: http, admin: admin, agent: agent)
    }

    /// Both gateways' last output.
    var gatewayOutput: String {
        self.replicas.enumerated().map { index, stack in
            "gateway \(index + 1): " + String(stack.processes[.channelGateway]?.output.suffix(2000) ?? "")
        }.joined(separator: "\n")
    }

    /// ConnectChannel on gateway 1; its connection to policy may still be backing off from the
    /// start-up: UNAVAILABLE says retry.
    func connectTelegram() async throws -> Inbox_V1_Channel {
        try await self.replicas[0].withClient(.channelGateway) { client in
            let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
            let request = Inbox_V1_ConnectChannelRequest.with {
                $0.platform = .telegram
                $0.externalAccountID = "shop_bot"
                $0.credentials = .with {
                    $0.accessToken = ReplicaStackTests.botToken
                    $0.verifyToken = ReplicaStackTests.secretToken
                }
                $0.idempotencyKey = "connect-shop-bot"
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                do {
                    return try await gateway.connectChannel(request, metadata: self.admin)
                } catch let error as RPCError where error.code == .unavailable && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    /// Posts `update` to the channel's URL on gateway `replica` (0 or 1), signed as Telegram signs
    /// it; returns the HTTP status.
    func post(_ update: WireJSON, channel: Inbox_V1_Channel, to replica: Int) async throws -> Int {
        let url = "http://127.0.0.1:\(self.replicas[replica].httpPort)\(channel.webhookPath)"
        let webhook = TelegramWebhookSigner.signed(update, url: url, secretToken: ReplicaStackTests.secretToken)
        return try await WebhookPoster(client: self.http).post(webhook).status
    }

    /// How many inbound events the gateways stored, and how many of them were relayed.
    func inboundCounts() async throws -> (all: Int, delivered: Int) {
        let rows = try await self.gatewayDatabase.query(
            "SELECT count(*), count(*) FILTER (WHERE state = 'delivered') FROM inbound_events",
            logger: Logger(label: "test"))
        for try await (all, delivered) in rows.decode((Int, Int).self) { return (all, delivered) }
        return (0, 0)
    }

    /// The gateway's deliveries, counted per conversation-service message.
    func deliveriesPerMessage() async throws -> [String: Int] {
        let rows = try await self.gatewayDatabase.query(
            "SELECT message_id::text, count(*) FROM outbound_deliveries GROUP BY message_id",
            logger: Logger(label: "test"))
        var counts: [String: Int] = [:]
        for try await (messageID, count) in rows.decode((String, Int).self) { counts[messageID] = count }
        return counts
    }
}

/// Polls `probe` every 100 ms until it answers a value, for up to `timeout`.
private func eventually<T: Sendable>(timeout: Duration = .seconds(30), _ probe: () async throws -> T?) async throws
    -> T?
{
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { return nil }
        try await Task.sleep(for: .milliseconds(100))
    }
}

/// Polls `probe` every 100 ms until it holds, for up to `timeout`; whether it did.
private func holds(within timeout: Duration = .seconds(30), _ probe: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await probe() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(100))
    }
}
