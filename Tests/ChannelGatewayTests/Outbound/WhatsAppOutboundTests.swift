import AsyncHTTPClient
import Crypto
import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("WhatsApp outbound")
struct WhatsAppOutboundTests {
    let credentials = WhatsAppCredentials(phoneNumberID: "106540352242922", accessToken: "EAAfakeWABAToken")
    let production = WhatsAppOutboundAdapter(endpoint: OutboundEndpoints.production[WhatsAppOutboundAdapter.api])
    let template = WhatsAppTemplate(name: "order_update", languageCode: "en_US", bodyParameters: ["#1234"])

    @Test("text quotes the customer's message through context")
    func textRequest() throws {
        let request = try production.request(
            for: outboundMessage(.whatsAppText(to: "16505551234"), "Yes, we have it in blue.", quoted: "wamid.HBgL"),
            credentials: credentials)
        #expect(request.url == "https://graph.facebook.com/v26.0/106540352242922/messages")
        #expect(request.headers["authorization"] == "Bearer EAAfakeWABAToken")
        #expect(
            bodyJSON(request.body)
                == [
                    "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
                    "type": "text",
                    "text": ["preview_url": false, "body": "Yes, we have it in blue."],
                    "context": ["message_id": "wamid.HBgL"],
                ])
    }

    @Test("template carries name, language and body parameters")
    func templateRequest() throws {
        let request = try production.request(
            for: outboundMessage(.whatsAppTemplate(to: "16505551234", template: template)), credentials: credentials)
        #expect(
            bodyJSON(request.body)
                == [
                    "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
                    "type": "template",
                    "template": [
                        "name": "order_update", "language": ["code": "en_US"],
                        "components": [["type": "body", "parameters": [["type": "text", "text": "#1234"]]]],
                    ],
                ])
    }

    @Test(
        "a business-scoped user id goes as recipient, a phone number as to",
        arguments: [
            ("US.13491208655302741918", "recipient"), ("user.9373795779eb6441", "recipient"),
            ("16505551234", "to"), ("+16505551234", "to"),
        ])
    func addressing(id: String, field: String) throws {
        for kind in [OutboundKind.whatsAppText(to: id), .whatsAppTemplate(to: id, template: template)] {
            let body = bodyJSON(try production.request(for: outboundMessage(kind), credentials: credentials).body)
            #expect(body?[field]?.text == id)
            #expect(body?[field == "to" ? "recipient" : "to"] == nil)
        }
    }

    @Test("a BSUID send is accepted by the fake (which refuses a BSUID in `to`)")
    func bsuidAgainstFake() async throws {
        try await withWhatsAppFake { fake, adapter in
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.whatsAppText(to: "US.13491208655302741918")), with: adapter,
                    credentials: credentials)
            }
            #expect(sentID(outcome)?.hasPrefix("wamid.") == true)
            #expect(bodyJSON(fake.recorder.requests.last)?["recipient"] == "US.13491208655302741918")
        }
    }

    @Test("named body parameters carry parameter_name; a header parameter comes first")
    func namedAndHeaderParameters() throws {
        let named = WhatsAppTemplate(
            name: "order_update", languageCode: "en_US",
            namedBodyParameters: [.init(name: "order_id", text: "#1234"), .init(name: "eta", text: "Friday")],
            header: .image(.link("https://example.com/parcel.jpg")))
        let request = try production.request(
            for: outboundMessage(.whatsAppTemplate(to: "16505551234", template: named)), credentials: credentials)
        #expect(
            bodyJSON(request.body)?["template"]
                == [
                    "name": "order_update", "language": ["code": "en_US"],
                    "components": [
                        [
                            "type": "header",
                            "parameters": [["type": "image", "image": ["link": "https://example.com/parcel.jpg"]]],
                        ],
                        [
                            "type": "body",
                            "parameters": [
                                ["type": "text", "parameter_name": "order_id", "text": "#1234"],
                                ["type": "text", "parameter_name": "eta", "text": "Friday"],
                            ],
                        ],
                    ],
                ])
        let textHeader = WhatsAppTemplate(
            name: "welcome", languageCode: "de", header: .text("Ana", parameterName: "first_name"))
        let header = try production.request(
            for: outboundMessage(.whatsAppTemplate(to: "16505551234", template: textHeader)), credentials: credentials)
        let headerParameter: WireJSON = ["type": "text", "parameter_name": "first_name", "text": "Ana"]
        #expect(
            bodyJSON(header.body)?["template"]?["components"]
                == [["type": "header", "parameters": [headerParameter]]])
    }

    @Test("the fake takes a named template; one mixing named and positional parameters is refused (132012)")
    func namedTemplateAgainstFake() async throws {
        try await withWhatsAppFake { fake, adapter in
            let named = WhatsAppTemplate(
                name: "order_update", languageCode: "en_US", namedBodyParameters: [.init(name: "order_id", text: "#1")],
                header: .text("Ana", parameterName: "first_name"))
            let mixed = WhatsAppTemplate(
                name: "order_update", languageCode: "en_US", bodyParameters: ["#1"],
                namedBodyParameters: [.init(name: "eta", text: "Friday")])
            try await OutboundTestHarness.with { harness in
                let sent = try await harness.send(
                    outboundMessage(.whatsAppTemplate(to: "16505551234", template: named)), with: adapter,
                    credentials: credentials)
                #expect(sentID(sent) != nil)
                let refused = try await harness.send(
                    outboundMessage(.whatsAppTemplate(to: "16505551234", template: mixed)), with: adapter,
                    credentials: credentials)
                #expect(failureReason(refused) == .other)
            }
            #expect(fake.recorder.requests.count == 2)
        }
    }

    @Test(
        "text and template are accepted by the fake; the wamid is the platform id",
        arguments: [
            OutboundKind.whatsAppText(to: "16505551234"),
            .whatsAppTemplate(
                to: "16505551234",
                template: .init(name: "order_update", languageCode: "en_US", bodyParameters: ["#1234"])),
        ])
    func sendsAgainstFake(kind: OutboundKind) async throws {
        try await withWhatsAppFake { fake, adapter in
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(kind, quoted: "wamid.PREV"), with: adapter, credentials: credentials)
            }
            let id = try #require(sentID(outcome))
            #expect(id.hasPrefix("wamid."))
            #expect(
                bodyJSON(fake.recorder.requests.last)
                    == bodyJSON(
                        try adapter.request(for: outboundMessage(kind, quoted: "wamid.PREV"), credentials: credentials)
                            .body))
        }
    }

    @Test(
        "synchronous errors are classified",
        arguments: [
            (ScriptedFailure.windowError, OutboundFailureReason.outsideWindow, false),
            (.recipientUnavailable, .recipientUnavailable, false),
            (.rateLimited(retryAfterSeconds: 1), .rateLimited, true),
            (.platformError(code: 131_056), .rateLimited, true), (.tokenError, .tokenInvalid, false),
            (.platformError(code: 80_007), .rateLimited, true), (.platformError(code: 131_062), .other, false),
            (.platformError(code: 0), .tokenInvalid, false),
        ])
    func errors(failure: ScriptedFailure, reason: OutboundFailureReason, retryable: Bool) async throws {
        try await withWhatsAppFake { fake, adapter in
            fake.script.enqueue(failure, on: MetaGraphFake.Endpoint.messages.rawValue)
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.whatsAppText(to: "16505551234")), with: adapter, credentials: credentials)
            }
            if retryable {
                #expect(retryReason(outcome)?.0 == reason)
            } else {
                #expect(failureReason(outcome) == reason)
            }
        }
    }

    @Test("the pair rate limit suggests waiting 6 s")
    func pairRateLimitDelay() {
        let response = PlatformResponse(
            status: 400, body: Array(#"{"error":{"message":"(#131056) pair rate limit hit","code":131056}}"#.utf8))
        #expect(
            production.outcome(of: response, for: outboundMessage(.whatsAppText(to: "1")))
                == .retryAfter(delay: .seconds(6), reason: .rateLimited))
    }

    @Test("asynchronous window failure: 200 + wamid, then a signed failed status webhook (131047)")
    func asynchronousWindowFailure() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        try await withWhatsAppFake { fake, adapter in
            try await OutboundTestHarness.with { harness in
                fake.deliverStatusWebhooks(
                    to: WebhookTarget(url: receiver.baseURL + "/webhooks/whatsapp/ch1", secret: "app-secret"),
                    using: WebhookPoster(client: harness.client))
                fake.script.enqueue(.asyncWindowFailure, on: MetaGraphFake.Endpoint.messages.rawValue)
                let outcome = try await harness.send(
                    outboundMessage(.whatsAppText(to: "16505551234")), with: adapter, credentials: credentials)
                let wamid = try #require(sentID(outcome))
                let webhook = try #require(await receiver.recorder.waitForRequests(count: 1).first)
                #expect(webhook.path == "/webhooks/whatsapp/ch1")
                let expected = HMAC<SHA256>.authenticationCode(
                    for: webhook.body, using: SymmetricKey(data: Array("app-secret".utf8)))
                #expect(
                    webhook.headers["x-hub-signature-256"] == "sha256="
                        + expected.map { String(format: "%02x", $0) }.joined())
                let status = bodyJSON(webhook)?["entry"]?[0]?["changes"]?[0]?["value"]?["statuses"]?[0]
                #expect(status?["id"]?.text == wamid)
                #expect(status?["status"] == "failed")
                #expect(status?["errors"]?[0]?["code"] == 131047)
            }
        }
        await receiver.stop()
    }

    private func withWhatsAppFake(_ body: (MetaGraphFake, WhatsAppOutboundAdapter) async throws -> Void) async throws {
        try await withFake(
            try await MetaGraphFake.start(.whatsApp, accountIDs: ["106540352242922"], accessToken: "EAAfakeWABAToken")
        ) { fake in
            try await body(fake, WhatsAppOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "v26.0")))
        }
    }
}
