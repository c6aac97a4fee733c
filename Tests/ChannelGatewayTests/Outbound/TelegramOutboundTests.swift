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
