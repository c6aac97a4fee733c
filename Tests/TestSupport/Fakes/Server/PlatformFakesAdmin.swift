import AsyncHTTPClient
import PlatformJSON

/// platform-fakes' own port (`PLATFORM_FAKES_ADMIN_URL`), for a client that runs the fakes as a
/// process and so can neither read their recorders nor call them in process as the tests do:
///
///     GET  /requests         how many requests each fake received per endpoint (FakeRequestCounts)
///     POST /status-webhooks  {"platform": "whatsapp", "url": "http://127.0.0.1:8080/webhooks/whatsapp",
///                             "secret": "<the app secret>"}
///     POST /statuses         {"platform": "whatsapp", "message_id": "wamid.FAKE3", "status": "delivered"}
///     POST /echoes           {"platform": "facebook", "message_id": "m_fake7"}
///
/// `status-webhooks` says where a Meta fake (`facebook`, `instagram`, `whatsapp`) posts the webhooks
/// it sends about the messages it accepted, signed with `secret` as Meta signs with the app secret
/// (``MetaGraphFake/deliverStatusWebhooks(to:using:)``), and answers 204. `statuses` posts one
/// WhatsApp status of a message the fake accepted (``MetaGraphFake/postStatus(_:of:errorCode:)``),
/// `echoes` the Messenger echo of one (``MetaGraphFake/postEcho(of:)``), now: the caller decides
/// when, as the tests do. Both answer `{"receiver_status": 200}`, the receiver's HTTP status; a
/// webhook the fake cannot send (no target yet, a message it never accepted) is 409 with
/// `{"error": …}`, a receiver that cannot be reached 502. `deploy/local/demo`'s inbox-demo uses
/// them for the delivery states and the echo it shows.
public enum PlatformFakesAdmin {
    /// Serves the endpoints above for `fakes` on 127.0.0.1 and a free port (anything else: 404);
    /// webhooks go out through `poster` (default: AsyncHTTPClient's shared client). The caller
    /// stops the server.
    public static func serve(_ fakes: FakePlatforms, poster: WebhookPoster? = nil) async throws -> FakeHTTPServer {
        let poster = poster ?? WebhookPoster(client: HTTPClient.shared)
        let named = fakes.named
        return try await FakeHTTPServer.start { request in
            await Self.answer(request, fakes: fakes, named: named, poster: poster)
        }
    }

    static func answer(
        _ request: FakeRequest, fakes: FakePlatforms, named: [(name: String, fake: any FakePlatform)],
        poster: WebhookPoster
    ) async -> FakeResponse {
        switch "\(request.method) /\(request.segments.joined(separator: "/"))" {
        case "GET /requests":
            return .json(200, FakeRequestCounts.json(named))
        case "POST /status-webhooks":
            guard let body = request.json, let fake = Self.metaFake(body["platform"]?.text, in: fakes) else {
                return Self.badRequest("platform must be facebook, instagram or whatsapp")
            }
            guard let url = body["url"]?.text, url.hasPrefix("http"), let secret = body["secret"]?.text,
                !secret.isEmpty
            else {
                return Self.badRequest("url (http://…) and secret are required")
            }
            fake.deliverStatusWebhooks(to: WebhookTarget(url: url, secret: secret), using: poster)
            return FakeResponse(status: 204)
        case "POST /statuses":
            guard let body = request.json, let messageID = body["message_id"]?.text,
                let status = body["status"]?.text
            else {
                return Self.badRequest("platform, message_id and status are required")
            }
            guard body["platform"]?.text == "whatsapp" else {
                return Self.badRequest("statuses are WhatsApp's: platform must be whatsapp")
            }
            let errorCode = body["error_code"]?.integer.map { Int($0) }
            return await Self.posted {
                try await fakes.whatsApp.postStatus(status, of: messageID, errorCode: errorCode)
            }
        case "POST /echoes":
            guard let body = request.json, let messageID = body["message_id"]?.text else {
                return Self.badRequest("platform and message_id are required")
            }
            guard body["platform"]?.text == "facebook" else {
                return Self.badRequest("echoes are posted for Messenger only: platform must be facebook")
            }
            return await Self.posted { try await fakes.facebook.postEcho(of: messageID) }
        default:
            return .json(404, ["error": .string("no such endpoint: \(request.method) \(request.path)")])
        }
    }

    private static func metaFake(_ name: String?, in fakes: FakePlatforms) -> MetaGraphFake? {
        switch name {
        case "facebook": fakes.facebook
        case "instagram": fakes.instagram
        case "whatsapp": fakes.whatsApp
        default: nil
        }
    }

    /// Runs `post` and answers with the receiver's status, or why there is none.
    private static func posted(_ post: () async throws -> Int) async -> FakeResponse {
        do {
            let status = try await post()
            return .json(200, ["receiver_status": .int(Int64(status))])
        } catch let error as FakeWebhookError {
            return .json(409, ["error": .string(error.description)])
        } catch {
            return .json(502, ["error": .string("the webhook could not be posted: \(error)")])
        }
    }

    private static func badRequest(_ message: String) -> FakeResponse {
        .json(400, ["error": .string(message)])
    }
}
