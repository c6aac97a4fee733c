import AsyncHTTPClient
import PlatformJSON

/// One HTTP call with a JSON body and answer: the status, and the body parsed (nil when it is
/// not JSON).
enum JSONCall {
    enum Method: Sendable {
        case get
        case post
    }

    static func send(
        _ http: HTTPClient, _ method: Method, _ url: String, bearer: String? = nil, body: WireJSON? = nil
    ) async throws -> (status: Int, json: WireJSON?) {
        var request = HTTPClientRequest(url: url)
        request.method = method == .get ? .GET : .POST
        if let bearer { request.headers.add(name: "authorization", value: "Bearer \(bearer)") }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(body.encoded)
        }
        let response = try await http.execute(request, timeout: .seconds(20))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), WireJSON.parse(Array(bytes.readableBytesView)))
    }
}

/// platform-fakes' admin port (`PLATFORM_FAKES_ADMIN_URL`, ``PlatformFakesAdmin`` in TestSupport):
/// where the Meta fakes post their webhooks, the webhooks they post when asked, and how many
/// requests each fake received.
struct PlatformFakesClient: Sendable {
    let baseURL: String
    let http: HTTPClient

    /// Makes the fake of `platform` (`facebook`, `instagram`, `whatsapp`) post to `url`, signed
    /// with `secret`.
    func deliverWebhooks(of platform: String, to url: String, secret: String) async throws {
        let answer = try await JSONCall.send(
            self.http, .post, self.baseURL + "/status-webhooks",
            body: ["platform": .string(platform), "url": .string(url), "secret": .string(secret)])
        guard answer.status == 204 else {
            throw DemoFailure(
                "platform-fakes answered \(answer.status) to POST /status-webhooks"
                    + Self.reason(answer.json) + " (is it an older build? deploy/local/demo restarts it when rebuilt)")
        }
    }

    /// The fake WhatsApp posts `status` of the message it answered with `wamid`; the gateway's
    /// HTTP status.
    func postWhatsAppStatus(_ status: String, of wamid: String) async throws -> Int {
        try await self.posted(
            "/statuses", ["platform": "whatsapp", "message_id": .string(wamid), "status": .string(status)])
    }

    /// The fake Messenger posts the echo of the message it answered with `mid`; the gateway's HTTP
    /// status.
    func postMessengerEcho(of mid: String) async throws -> Int {
        try await self.posted("/echoes", ["platform": "facebook", "message_id": .string(mid)])
    }

    /// How many requests the fakes received, per platform and endpoint (`POST messages`).
    func requestCounts() async throws -> FakeRequestTally {
        let answer = try await JSONCall.send(self.http, .get, self.baseURL + "/requests")
        guard answer.status == 200, let json = answer.json else {
            throw DemoFailure("platform-fakes answered \(answer.status) to GET /requests")
        }
        return FakeRequestTally(json: json)
    }

    private func posted(_ path: String, _ body: WireJSON) async throws -> Int {
        let answer = try await JSONCall.send(self.http, .post, self.baseURL + path, body: body)
        guard answer.status == 200, let status = answer.json?["receiver_status"]?.integer else {
            throw DemoFailure("platform-fakes answered \(answer.status) to POST \(path)" + Self.reason(answer.json))
        }
        return Int(status)
    }

    private static func reason(_ json: WireJSON?) -> String {
        json?["error"]?.text.map { ": \($0)" } ?? ""
    }
}

/// The fakes' request counts at one moment (`GET /requests`).
struct FakeRequestTally: Sendable {
    let json: WireJSON

    /// Requests `platform`'s fake received at `endpoint` (`POST sendMessage`).
    func requests(_ platform: String, _ endpoint: String) -> Int {
        Int(self.json[platform]?["endpoints"]?[endpoint]?["requests"]?.integer ?? 0)
    }
}
