import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

/// platform-fakes' request counts (`GET /requests`), which Benchmarks/run-reply-bench reads to
/// check that the fake Telegram received exactly one sendMessage per reply.
@Suite("Fake platforms' request counts")
struct FakeRequestCountsTests {
    @Test("Requests per endpoint and the distinct bodies among them, whatever the token in the path")
    func countsByEndpoint() async throws {
        try await withFake(try await TelegramBotAPIFake.start(botToken: "1:counted")) { fake in
            let counts = try await FakeRequestCounts.serve([(name: "telegram", fake: fake)])
            do {
                try await OutboundTestHarness.with { harness in
                    let headers = ["content-type": "application/json"]
                    let bodies = [
                        #"{"chat_id":5,"text":"a"}"#, #"{"chat_id":5,"text":"a"}"#, #"{"chat_id":5,"text":"b"}"#,
                    ]
                    for body in bodies {
                        let sent = try await harness.http.execute(
                            PlatformRequest(
                                method: "POST", url: fake.baseURL + "/bot1:counted/sendMessage", headers: headers,
                                body: Array(body.utf8)))
                        #expect(sent.status == 200)
                    }
                    // Another bot's token: refused, and counted under the same endpoint.
                    let refused = try await harness.http.execute(
                        PlatformRequest(
                            method: "POST", url: fake.baseURL + "/bot2:other/sendMessage", headers: headers,
                            body: Array(#"{"chat_id":5,"text":"c"}"#.utf8)))
                    #expect(refused.status == 401)

                    let answer = try await harness.http.execute(
                        PlatformRequest(method: "GET", url: counts.baseURL + "/requests"))
                    #expect(answer.status == 200)
                    let telegram = WireJSON.parse(answer.body)?["telegram"]
                    #expect(telegram?["requests"] == 4)
                    #expect(telegram?["endpoints"]?["POST sendMessage"]?["requests"] == 4)
                    #expect(telegram?["endpoints"]?["POST sendMessage"]?["distinct_bodies"] == 3)

                    let unknown = try await harness.http.execute(
                        PlatformRequest(method: "GET", url: counts.baseURL + "/counts"))
                    #expect(unknown.status == 404)
                }
            } catch {
                await counts.stop()
                throw error
            }
            await counts.stop()
        }
    }
}
