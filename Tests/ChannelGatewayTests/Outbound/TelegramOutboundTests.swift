import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("Telegram outbound")
struct TelegramOutboundTests {
    let credentials = TelegramCredentials(botToken: "7000000001:AAFakeBotToken")

    @Test("sendMessage request: token in the path, numeric chat_id, reply_parameters for a quote")
    func request() throws {
        let adapter = TelegramOutboundAdapter(endpoint: OutboundEndpoints.production[TelegramOutboundAdapter.api])
        let request = try adapter.request(
            for: outboundMessage(.telegramMessage(chatID: "123456789"), "It's out for delivery.", quoted: "4711"),
            credentials: credentials)
        #expect(request.url == "https://api.telegram.org/bot7000000001:AAFakeBotToken/sendMessage")
        #expect(request.headers == ["content-type": "application/json"])
        #expect(
            bodyJSON(request.body)
                == [
                    "chat_id": 123_456_789, "text": "It's out for delivery.",
                    "reply_parameters": ["message_id": 4711, "allow_sending_without_reply": true],
                ])
        let channel = try adapter.request(
            for: outboundMessage(.telegramMessage(chatID: "@shopnews")), credentials: credentials)
        #expect(bodyJSON(channel.body) == ["chat_id": "@shopnews", "text": "Hello there"])
    }

    @Test("the fake accepts it; the id is result.message_id and the quote is kept")
    func sendsAgainstFake() async throws {
        try await withFake(try await TelegramBotAPIFake.start(botToken: "7000000001:AAFakeBotToken")) { fake in
            let adapter = TelegramOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.telegramMessage(chatID: "123456789"), quoted: "4711"), with: adapter,
                    credentials: credentials)
            }
            let id = try #require(sentID(outcome))
            #expect(Int(id) != nil)
            let recorded = try #require(fake.recorder.requests.last)
            #expect(recorded.path == "/bot7000000001:AAFakeBotToken/sendMessage")
            #expect(bodyJSON(recorded)?["reply_parameters"]?["message_id"] == 4711)
        }
    }

    @Test("a reply into a business chat carries business_connection_id; the fake sends on the connection's behalf")
    func businessConnection() async throws {
        let adapter = TelegramOutboundAdapter(endpoint: OutboundEndpoints.production[TelegramOutboundAdapter.api])
        let message = OutboundMessage(
            kind: .telegramMessage(chatID: "123456789"), text: "On its way", idempotencyKey: "idem-b",
            businessConnectionID: "BCfakeConnection1")
        let request = try adapter.request(for: message, credentials: credentials)
        #expect(
            bodyJSON(request.body)
                == ["chat_id": 123_456_789, "text": "On its way", "business_connection_id": "BCfakeConnection1"])
        let ownChat = try adapter.request(for: outboundMessage(.telegramMessage(chatID: "1")), credentials: credentials)
        #expect(bodyJSON(ownChat.body)?["business_connection_id"] == nil)
        try await withFake(try await TelegramBotAPIFake.start(botToken: "7000000001:AAFakeBotToken")) { fake in
            let faked = TelegramOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(message, with: faked, credentials: credentials)
            }
            #expect(sentID(outcome) != nil)
            #expect(bodyJSON(fake.recorder.requests.last)?["business_connection_id"] == "BCfakeConnection1")
        }
    }

    @Test("a group that became a supergroup names the new chat; sending there succeeds")
    func migratedChat() async throws {
        try await withFake(try await TelegramBotAPIFake.start(botToken: "7000000001:AAFakeBotToken")) { fake in
            fake.migrateChat(-4_000_001, to: -1_004_000_001)
            let adapter = TelegramOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            try await OutboundTestHarness.with { harness in
                let refused = try await harness.send(
                    outboundMessage(.telegramMessage(chatID: "-4000001")), with: adapter, credentials: credentials)
                #expect(failureReason(refused) == .other)
                let newChat = try #require(refused.telegramMigratedChatID)
                #expect(newChat == "-1004000001")
                let resent = try await harness.send(
                    outboundMessage(.telegramMessage(chatID: newChat)), with: adapter, credentials: credentials)
                #expect(sentID(resent) != nil)
                #expect(resent.telegramMigratedChatID == nil)
            }
        }
        let blocked = OutboundOutcome.failed(reason: .recipientUnavailable, detail: "Telegram 403: Forbidden")
        #expect(blocked.telegramMigratedChatID == nil)
        let elsewhere = OutboundOutcome.failed(reason: .other, detail: "WeChat 1: x; migrate_to_chat_id=-100")
        #expect(elsewhere.telegramMigratedChatID == nil)
    }

    @Test(
        "errors in the Bot API envelope",
        arguments: [
            (
                ScriptedFailure.rateLimited(retryAfterSeconds: 7),
                OutboundOutcome.retryAfter(delay: .seconds(7), reason: .rateLimited)
            ),
            (.serverError, .retryAfter(delay: nil, reason: .transient)),
        ])
    func retryable(failure: ScriptedFailure, expected: OutboundOutcome) async throws {
        try await withFake(try await TelegramBotAPIFake.start(botToken: "7000000001:AAFakeBotToken")) { fake in
            fake.script.enqueue(failure, on: TelegramBotAPIFake.Endpoint.sendMessage.rawValue)
            let adapter = TelegramOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.telegramMessage(chatID: "1")), with: adapter, credentials: credentials)
            }
            #expect(outcome == expected)
        }
    }

    @Test("blocked by the user is recipientUnavailable; an unknown bot token is tokenInvalid")
    func finalErrors() async throws {
        try await withFake(try await TelegramBotAPIFake.start(botToken: "7000000001:AAFakeBotToken")) { fake in
            fake.script.enqueue(.recipientUnavailable, on: TelegramBotAPIFake.Endpoint.sendMessage.rawValue)
            let adapter = TelegramOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            try await OutboundTestHarness.with { harness in
                let blocked = try await harness.send(
                    outboundMessage(.telegramMessage(chatID: "1")), with: adapter, credentials: credentials)
                #expect(failureReason(blocked) == .recipientUnavailable)
                let wrongToken = try await harness.send(
                    outboundMessage(.telegramMessage(chatID: "1")), with: adapter,
                    credentials: TelegramCredentials(botToken: "1:revoked")
                )
                #expect(failureReason(wrongToken) == .tokenInvalid)
            }
        }
    }
}
