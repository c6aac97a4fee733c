import TestSupport
import Testing

@testable import ChannelGateway

@Suite("Platform HTTP client")
struct PlatformHTTPClientTests {
    @Test("a hanging platform is cut off by the per-request timeout and reported maybe-sent, once")
    func hangTimesOut() async throws {
        try await withFake(try await TelegramBotAPIFake.start(botToken: "1:T")) { fake in
            fake.script.enqueue(.hang, on: TelegramBotAPIFake.Endpoint.sendMessage.rawValue)
            let adapter = TelegramOutboundAdapter(endpoint: .init(baseURL: fake.baseURL))
            let started = ContinuousClock.now
            // 1 s: long enough for the fake to have received the request on a loaded 2-core machine
            // (a cut-off before it did made this test flaky), short of the 3 s bound below.
            let outcome = try await OutboundTestHarness.with(timeout: .seconds(1)) {
                try await $0.send(
                    outboundMessage(.telegramMessage(chatID: "1")), with: adapter,
                    credentials: TelegramCredentials(botToken: "1:T"))
            }
            let elapsed = ContinuousClock.now - started
            // The request went out and no answer came: the platform may have sent the message.
            #expect(failureReason(outcome) == .maybeSent)
            #expect(elapsed < .seconds(15))
            #expect(await fake.recorder.waitForRequests(count: 1, timeout: .seconds(2)).count == 1)
        }
    }

    @Test("a refused connection is transient, and the transport error names no token")
    func connectionRefused() async throws {
        // Port 1 on loopback: nothing listens there (a stopped fake's port could be reused by a
        // fake of a test running in parallel).
        let deadURL = "http://127.0.0.1:1"
        try await OutboundTestHarness.with(timeout: .seconds(10)) { harness in
            let adapter = TelegramOutboundAdapter(endpoint: .init(baseURL: deadURL))
            let outcome = try await harness.send(
                outboundMessage(.telegramMessage(chatID: "1")), with: adapter,
                credentials: TelegramCredentials(botToken: "1:SECRET"))
            #expect(outcome == .retryAfter(delay: nil, reason: .transient))
            let request = try adapter.request(
                for: outboundMessage(.telegramMessage(chatID: "1")),
                credentials: TelegramCredentials(botToken: "1:SECRET"))
            let failure = await #expect(throws: PlatformTransportError.self) { try await harness.http.execute(request) }
            // Nothing left: a new try cannot duplicate anything.
            #expect(failure?.mayHaveReachedPlatform == false)
            #expect(failure?.request.contains("SECRET") == false)
            #expect(failure?.request.contains("/bot<token>/sendMessage") == true)
        }
    }

    @Test("headers and status come back as the platform sent them")
    func responseHeaders() async throws {
        try await withFake(try await LinkedInAPIFake.start(accessToken: "t")) { fake in
            try await OutboundTestHarness.with { harness in
                let adapter = LinkedInOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "202611"))
                let request = try adapter.request(
                    for: outboundMessage(
                        .linkedInComment(.init(actor: "urn:li:organization:1", object: "urn:li:activity:2"))),
                    credentials: LinkedInCredentials(accessToken: "t"))
                let response = try await harness.http.execute(request)
                #expect(response.status == 201)
                #expect(response.headers["x-restli-id"]?.hasPrefix("urn:li:comment:") == true)
            }
        }
    }
}
