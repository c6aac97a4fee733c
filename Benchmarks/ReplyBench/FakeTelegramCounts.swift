import AsyncHTTPClient
import BenchSupport
import PlatformJSON

/// What the fake Telegram received, read from platform-fakes' `GET /requests`
/// (`FakeRequestCounts`): its `sendMessage` requests, and how many distinct bodies among them.
/// Every reply's text carries its idempotency key, so a reply sent twice adds a request and no
/// distinct body.
struct FakeTelegramCounts: Sendable {
    var sendMessages = 0
    var distinctBodies = 0

    /// Reads the counts from `baseURL` (PLATFORM_FAKES_ADMIN_URL).
    static func read(from baseURL: String, http: HTTPClient) async throws -> FakeTelegramCounts {
        let response = try await http.execute(HTTPClientRequest(url: baseURL + "/requests"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status.code == 200, let json = WireJSON.parse(Array(body.readableBytesView)) else {
            throw BenchError("platform-fakes answered \(response.status.code) to GET \(baseURL)/requests")
        }
        guard let telegram = json["telegram"] else {
            throw BenchError("platform-fakes' counts have no telegram entry")
        }
        // No entry for sendMessage: the fake received none yet.
        let sendMessage = telegram["endpoints"]?["POST sendMessage"]
        return FakeTelegramCounts(
            sendMessages: Int(sendMessage?["requests"]?.integer ?? 0),
            distinctBodies: Int(sendMessage?["distinct_bodies"]?.integer ?? 0))
    }
}
