import ArgumentParser
import AsyncHTTPClient
import BenchSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import PlatformJSON
import TestSupport

/// What the measurement needs, made the way a customer and an admin make it: an organisation at
/// policy-service, Telegram channels connected at the gateway, and one conversation per customer,
/// each created by a Telegram webhook (the tests' real-format payload, to the channel's URL, with
/// its secret token) that the gateway commits and relays to conversation-service. Webhooks rather
/// than IngestEvents with a service token: 2,000 of them take a few seconds, and the conversations
/// then hold exactly what the relay stores (contact, identity, the customer's message), so the
/// replies are checked and sent as any reply to a Telegram customer would be.
///
/// Several channels, not one: the gateway paces each channel at 20 sends/s (burst 40,
/// `OutboundSettings.channelSendsPerSecond`, under Telegram's ~30 messages/s per bot), so one bot
/// could never carry 1,000 replies/s, nor can a real one. The bots share the fake's one token
/// (platform-fakes' fake Telegram accepts only its own); the gateway paces by channel, not token.
struct Setup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create the organisation, its Telegram channels and one conversation per customer.",
        discussion: """
            Conversation i belongs to channel i mod --channels, with the Telegram chat 880000000 + i \
            and update id i + 1. Prints the organisation id; writes the conversation ids to --out.
            """
    )

    @Option(help: "host:port of policy-service's gRPC listener.")
    var policy: String

    @Option(help: "host:port of channel-gateway's gRPC listener.")
    var gateway: String

    @Option(help: "host:port of conversation-service's gRPC listener.")
    var conversation: String

    @Option(help: "channel-gateway's webhook listener, http://host:port.")
    var webhooks: String

    @Option(help: "The file to write the conversation ids to, one a line.")
    var out: String

    @Option(help: "How many Telegram bots (channels) to connect.")
    var channels: Int = 100

    @Option(help: "How many conversations (customers) to create.")
    var conversations: Int = 2000

    @Option(help: "The bots' token (platform-fakes' fake Telegram accepts only its own).")
    var botToken: String = FakeCredentials.demo.telegramBotToken

    @Option(help: "Seconds to wait until conversation-service lists every conversation.")
    var timeout: Int = 300

    func validate() throws {
        guard HostAndPort(self.policy) != nil else { throw ValidationError("--policy must be host:port") }
        guard HostAndPort(self.gateway) != nil else { throw ValidationError("--gateway must be host:port") }
        guard HostAndPort(self.conversation) != nil else { throw ValidationError("--conversation must be host:port") }
        guard self.webhooks.hasPrefix("http://") || self.webhooks.hasPrefix("https://") else {
            throw ValidationError("--webhooks must be a URL such as http://127.0.0.1:8080")
        }
        guard (1...1000).contains(self.channels) else { throw ValidationError("--channels must be from 1 to 1000") }
        guard (1...100_000).contains(self.conversations) else {
            throw ValidationError("--conversations must be from 1 to 100000")
        }
        guard self.timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let tokens = try await BenchTokens.fromEnvironment(subject: "reply-bench")
        guard let policyAddress = HostAndPort(self.policy), let gatewayAddress = HostAndPort(self.gateway),
            let conversationAddress = HostAndPort(self.conversation)
        else { throw BenchError("the addresses must be host:port") }
        let started = ContinuousClock.now

        let organization = try await Self.createOrganization(at: policyAddress, tokens: tokens)
        let admin = try await tokens.metadata(.admin, organization: organization, agent: "bench-admin")
        let bots = try await Self.connectBots(
            self.channels, botToken: self.botToken, at: gatewayAddress, metadata: admin)
        Self.log("organisation \(organization), \(bots.count) Telegram channels connected")

        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await Self.postCustomerMessages(
                self.conversations, to: bots, base: Self.trimmed(self.webhooks), http: http)
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        Self.log("\(self.conversations) Telegram webhooks accepted (200)")

        let expected = self.conversations
        let timeout = self.timeout
        let ids = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: conversationAddress.host, port: conversationAddress.port),
                transportSecurity: .plaintext)
        ) { client in
            try await Self.waitForConversations(
                expected, in: Inbox_V1_ConversationService.Client(wrapping: client), metadata: admin,
                timeout: .seconds(timeout))
        }
        guard FileManager.default.createFile(atPath: self.out, contents: Data(ids.map { $0 + "\n" }.joined().utf8))
        else {
            throw BenchError("cannot write \(self.out)")
        }
        Self.log(
            "conversation-service lists the \(ids.count) conversations ("
                + String(format: "%.1f", micros(ContinuousClock.now - started) / 1e6) + " s for the whole setup)")
        print(organization)
    }

    /// Telegram is on the enterprise plan only.
    static func createOrganization(at address: HostAndPort, tokens: BenchTokens) async throws -> String {
        let operatorToken = try await tokens.metadata(.operator)
        return try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
        ) { client in
            let policy = Inbox_V1_PolicyService.Client(wrapping: client)
            let created = try await policy.createOrganization(
                .with {
                    $0.name = "org-reply-bench"
                    $0.plan = .enterprise
                    $0.timeZone = "Europe/Paris"
                }, metadata: operatorToken)
            return created.id
        }
    }

    /// A connected bot: its channel (with the webhook path) and the secret token Telegram would
    /// send with each update.
    struct Bot: Sendable {
        var channel: Inbox_V1_Channel
        var secretToken: String
    }

    /// Connects `count` Telegram bots, `reply_bench_bot_<n>`. The gateway asks policy whether the
    /// plan allows Telegram; its connection to policy may still be backing off from the start-up, so
    /// UNAVAILABLE is retried for 30 s.
    static func connectBots(_ count: Int, botToken: String, at address: HostAndPort, metadata: Metadata)
        async throws -> [Bot]
    {
        try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
        ) { client in
            let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
            var bots: [Bot] = []
            for number in 1...count {
                let secretToken = "reply-bench-secret-\(number)"
                let request = Inbox_V1_ConnectChannelRequest.with {
                    $0.platform = .telegram
                    $0.externalAccountID = "reply_bench_bot_\(number)"
                    $0.displayName = "Reply bench bot \(number)"
                    $0.credentials = .with {
                        $0.accessToken = botToken
                        $0.verifyToken = secretToken
                    }
                    $0.idempotencyKey = "reply-bench-bot-\(number)"
                }
                let deadline = ContinuousClock.now + .seconds(30)
                while true {
                    do {
                        let channel = try await gateway.connectChannel(request, metadata: metadata)
                        bots.append(Bot(channel: channel, secretToken: secretToken))
                        break
                    } catch let error as RPCError where error.code == .unavailable && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
            return bots
        }
    }

    /// What the customers write.
    static let texts = [
        "Hello, has my order shipped yet?", "Bonjour, où en est ma commande ?",
        "Can I change the delivery address for my parcel?", "Je voudrais annuler ma réservation pour samedi",
        "Do you have this jacket in size M?", "The package arrived damaged, what should I do?",
    ]

    /// One customer message per conversation, 16 webhooks in flight at a time. A 5xx (the gateway
    /// could not commit) is posted again, as Telegram would; anything else but 200 ends the setup.
    static func postCustomerMessages(_ count: Int, to bots: [Bot], base: String, http: HTTPClient) async throws {
        let poster = WebhookPoster(client: http)
        let date = Int64(Date().timeIntervalSince1970)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= 16 { _ = try await group.next() }
                let bot = bots[index % bots.count]
                let update = WebhookPayloads.telegramMessage(
                    updateID: Int64(index + 1), messageID: Int64(index + 1), chatID: Int64(880_000_000 + index),
                    firstName: "Customer \(index)", username: "customer_\(index)",
                    text: Self.texts[index % Self.texts.count], date: date)
                let webhook = TelegramWebhookSigner.signed(
                    update, url: base + bot.channel.webhookPath, secretToken: bot.secretToken)
                group.addTask {
                    for attempt in 1...5 {
                        let (status, body) = try await poster.post(webhook)
                        if status == 200 { return }
                        guard status >= 500, attempt < 5 else {
                            throw BenchError(
                                "the gateway answered \(status) to the webhook of customer \(index): "
                                    + String(decoding: body.prefix(300), as: UTF8.self))
                        }
                        try await Task.sleep(for: .milliseconds(200 * attempt))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Lists the organisation's conversations until there are `expected` (the relay delivers the
    /// webhooks' events within a few seconds); their ids.
    static func waitForConversations(
        _ expected: Int, in conversations: any Inbox_V1_ConversationService.ClientProtocol, metadata: Metadata,
        timeout: Duration
    ) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var ids: [String] = []
        while true {
            var seen = Set<String>()
            ids = []
            var token = ""
            repeat {
                let page = try await conversations.listConversations(
                    .with {
                        $0.pageSize = 100
                        $0.pageToken = token
                    }, metadata: metadata)
                for conversation in page.conversations where seen.insert(conversation.id).inserted {
                    ids.append(conversation.id)
                }
                token = page.nextPageToken
            } while !token.isEmpty
            if ids.count >= expected { return ids }
            guard ContinuousClock.now < deadline else {
                throw BenchError(
                    "conversation-service lists \(ids.count) of the \(expected) conversations after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    static func trimmed(_ base: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    static func log(_ line: String) {
        FileHandle.standardError.write(Data("reply-bench: \(line)\n".utf8))
    }
}
