import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import PlatformJSON
import TestSupport
import Testing

/// The product end to end, the four executables over real sockets and a fake Telegram Bot API
/// over real HTTP: a signed webhook reaches the inbox (gateway → relay → conversation-service),
/// and an agent's reply reaches the platform (conversation-service → policy → gateway → worker →
/// the fake) and comes back SENT with the platform's id.
@Suite("The whole path: a webhook into the inbox, a reply out to the platform")
struct ReplyPathTests {
    @Test func aTelegramMessageReachesTheInboxAndTheReplyReachesTelegram() async throws {
        let botToken = "123456:TEST-bot-token"
        let secretToken = "tg-secret-token"
        let fake = try await TelegramBotAPIFake.start(botToken: botToken)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await withTestDatabase { database in
                let stack = try StackTests().startStack(
                    database, extra: [.channelGateway: ["TELEGRAM_API_BASE_URL": fake.baseURL]])
                try await stack.expectAllServing()
                // An enterprise organisation (Telegram needs it) with a Telegram channel.
                let organization = try await stack.withClient(.policyService) { client in
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
                // The gateway asks policy whether the plan allows Telegram; its connection to policy
                // may still be backing off from the start-up: UNAVAILABLE says retry.
                let channel = try await stack.withClient(.channelGateway) { client in
                    let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
                    let request = Inbox_V1_ConnectChannelRequest.with {
                        $0.platform = .telegram
                        $0.externalAccountID = "shop_bot"
                        $0.credentials = .with {
                            $0.accessToken = botToken
                            $0.verifyToken = secretToken
                        }
                        $0.idempotencyKey = "connect-shop-bot"
                    }
                    return try await Stack.retryingWhileUnavailable {
                        try await gateway.connectChannel(request, metadata: admin)
                    }
                }

                // The customer writes; Telegram posts the update to the channel's URL.
                let update = WebhookPayloads.telegramMessage(
                    updateID: 900_001, messageID: 41, chatID: 777_000_111, firstName: "Léa", username: "lea",
                    text: "Bonjour, où est ma commande ?", date: Int64(Date().timeIntervalSince1970))
                let webhook = TelegramWebhookSigner.signed(
                    update, url: "http://127.0.0.1:\(stack.httpPort)\(channel.webhookPath)", secretToken: secretToken)
                let (status, _) = try await WebhookPoster(client: http).post(webhook)
                #expect(status == 200)

                let conversation = try await stack.withClient(.conversationService) {
                    client -> Inbox_V1_Conversation? in
                    let conversations = Inbox_V1_ConversationService.Client(wrapping: client)
                    let deadline = ContinuousClock.now + .seconds(30)
                    while ContinuousClock.now < deadline {
                        let page = try await conversations.listConversations(
                            .with { $0.pageSize = 10 }, metadata: agent)
                        if let first = page.conversations.first { return first }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return nil
                }
                let found = try #require(
                    conversation, "\(stack.processes[.channelGateway]!.output.suffix(3000))")
                #expect(found.platform == .telegram)
                #expect(found.channelID == channel.id)

                // The agent answers; the reply goes out through the gateway and comes back SENT.
                let sent = try await stack.withClient(.conversationService) { client -> Inbox_V1_Message? in
                    let conversations = Inbox_V1_ConversationService.Client(wrapping: client)
                    let reply = try await conversations.sendReply(
                        .with {
                            $0.conversationID = found.id
                            $0.idempotencyKey = "reply-1"
                            $0.text = "Elle part aujourd'hui."
                        }, metadata: agent)
                    let deadline = ContinuousClock.now + .seconds(30)
                    while ContinuousClock.now < deadline {
                        let messages = try await conversations.listMessages(
                            .with { $0.conversationID = found.id }, metadata: agent)
                        if let message = messages.messages.first(where: { $0.id == reply.id }),
                            message.deliveryState != .pending
                        {
                            return message
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return nil
                }
                let message = try #require(sent, "\(stack.processes[.channelGateway]!.output.suffix(3000))")
                #expect(message.deliveryState == .sent, "\(message.failureReason): \(message.failureDetail)")
                #expect(!message.platformMessageID.isEmpty)
                let sends = fake.recorder.requests.filter { $0.path.hasSuffix("/sendMessage") }
                #expect(sends.count == 1)
                #expect(sends.first.map { String(decoding: $0.body, as: UTF8.self) }?.contains("aujourd") == true)

                for process in stack.processes.values { process.terminate() }
                for process in stack.processes.values { _ = await process.waitForExit(timeout: .seconds(20)) }
            }
        } catch {
            try? await http.shutdown()
            await fake.stop()
            throw error
        }
        try await http.shutdown()
        await fake.stop()
    }
}
