import Foundation
import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

/// platform-fakes' admin port (``PlatformFakesAdmin``), through which deploy/local/demo's
/// inbox-demo has the fake WhatsApp post a delivery status and the fake Messenger an echo of the
/// replies they accepted, as the tests ask the fakes in process.
@Suite("platform-fakes' admin endpoints")
struct PlatformFakesAdminTests {
    static let secret = "demo-app-secret"

    @Test("A status and an echo of accepted messages reach the target signed; what cannot be sent is refused")
    func statusesAndEchoes() async throws {
        let fakes = try await FakePlatforms.startAll(credentials: .demo)
        let receiver = WebhookReceiver()
        do {
            try await receiver.start()
            try await OutboundTestHarness.with { harness in
                let admin = try await PlatformFakesAdmin.serve(fakes, poster: WebhookPoster(client: harness.client))
                do {
                    try await Self.check(fakes: fakes, admin: admin, receiver: receiver, harness: harness)
                } catch {
                    await admin.stop()
                    throw error
                }
                await admin.stop()
            }
        } catch {
            await receiver.stop()
            await fakes.stopAll()
            throw error
        }
        await receiver.stop()
        await fakes.stopAll()
    }

    private static func check(
        fakes: FakePlatforms, admin: FakeHTTPServer, receiver: WebhookReceiver, harness: OutboundTestHarness
    ) async throws {
        let credentials = FakeCredentials.demo
        let auth = ["authorization": "Bearer \(credentials.metaAccessToken)", "content-type": "application/json"]

        // The fake WhatsApp accepts a reply; before it knows a target, it cannot post its status.
        let sent = try await harness.http.execute(
            PlatformRequest(
                method: "POST", url: "\(fakes.whatsApp.baseURL)/v26.0/\(credentials.phoneNumberID)/messages",
                headers: auth,
                body: Array(
                    #"{"messaging_product":"whatsapp","to":"16505551234","type":"text","text":{"body":"Blue, yes."}}"#
                        .utf8)))
        #expect(sent.status == 200)
        let wamid = try #require(WireJSON.parse(sent.body)?["messages"]?[0]?["id"]?.text)
        let delivered: WireJSON = ["platform": "whatsapp", "message_id": .string(wamid), "status": "delivered"]
        let early = try await Self.post(admin, "/statuses", delivered, harness)
        #expect(early.status == 409)
        #expect(receiver.recorder.requests.isEmpty)

        let target = try await Self.post(
            admin, "/status-webhooks",
            [
                "platform": "whatsapp", "url": .string(receiver.baseURL + "/webhooks/whatsapp"),
                "secret": .string(Self.secret),
            ],
            harness)
        #expect(target.status == 204)
        let posted = try await Self.post(admin, "/statuses", delivered, harness)
        #expect(posted.status == 200)
        #expect(WireJSON.parse(posted.body)?["receiver_status"] == 200)
        let afterStatus = await receiver.recorder.waitForRequests(count: 1)
        let statusWebhook = try #require(afterStatus.first)
        let status = try #require(
            try Self.events(statusWebhook, adapter: WhatsAppWebhookAdapter()).first?.deliveryStatus)
        #expect(status.messageID == wamid)
        #expect(status.state == .delivered)

        // The fake Messenger accepts a reply and echoes it on request, signed with the app secret.
        let reply = try await harness.http.execute(
            PlatformRequest(
                method: "POST", url: "\(fakes.facebook.baseURL)/v26.0/\(credentials.pageID)/messages", headers: auth,
                body: Array(
                    #"{"recipient":{"id":"7000000000000001"},"messaging_type":"RESPONSE","message":{"text":"Shipped."}}"#
                        .utf8)))
        #expect(reply.status == 200)
        let mid = try #require(WireJSON.parse(reply.body)?["message_id"]?.text)
        let facebookTarget = try await Self.post(
            admin, "/status-webhooks",
            [
                "platform": "facebook", "url": .string(receiver.baseURL + "/webhooks/facebook"),
                "secret": .string(Self.secret),
            ],
            harness)
        #expect(facebookTarget.status == 204)
        let echoed = try await Self.post(
            admin, "/echoes", ["platform": "facebook", "message_id": .string(mid)], harness)
        #expect(echoed.status == 200)
        let afterEcho = await receiver.recorder.waitForRequests(count: 2)
        #expect(afterEcho.count == 2)
        let echoWebhook = try #require(afterEcho.last)
        let echo = try #require(try Self.events(echoWebhook, adapter: FacebookWebhookAdapter()).first)
        #expect(echo.messageID == mid)
        #expect(echo.isOwn)
        #expect(echo.text == "Shipped.")

        // A message the fake never accepted, a platform without statuses, an unknown endpoint.
        let unknown = try await Self.post(
            admin, "/statuses", ["platform": "whatsapp", "message_id": "wamid.NEVER", "status": "read"], harness)
        #expect(unknown.status == 409)
        let wrongPlatform = try await Self.post(
            admin, "/statuses", ["platform": "telegram", "message_id": "1", "status": "read"], harness)
        #expect(wrongPlatform.status == 400)
        let nowhere = try await Self.post(admin, "/status", delivered, harness)
        #expect(nowhere.status == 404)
        #expect(receiver.recorder.requests.count == 2)

        // The request counts are still served, and count the two sends.
        let counts = try await harness.http.execute(PlatformRequest(method: "GET", url: admin.baseURL + "/requests"))
        #expect(counts.status == 200)
        #expect(WireJSON.parse(counts.body)?["whatsapp"]?["endpoints"]?["POST messages"]?["requests"] == 1)
        #expect(WireJSON.parse(counts.body)?["facebook"]?["endpoints"]?["POST messages"]?["requests"] == 1)
    }

    private static func post(_ admin: FakeHTTPServer, _ path: String, _ body: WireJSON, _ harness: OutboundTestHarness)
        async throws -> PlatformResponse
    {
        try await harness.http.execute(
            PlatformRequest(
                method: "POST", url: admin.baseURL + path, headers: ["content-type": "application/json"],
                body: body.encoded))
    }

    /// What `adapter` makes of a webhook the receiver recorded, verified with the app secret.
    private static func events(_ webhook: FakeRequest, adapter: some WebhookAdapter) throws -> [InboundEvent] {
        let request = WebhookRequest(
            method: "POST", path: webhook.path, query: [],
            headers: webhook.headers.map { WebhookRequest.Header(name: $0.key, value: $0.value) }, body: webhook.body,
            publicURL: "")
        let outcome = try adapter.handle(request, anySecrets: MetaWebhookSecrets(appSecret: Self.secret), now: Date())
        if case .events(let events, _, _) = outcome { return events }
        return []
    }
}
