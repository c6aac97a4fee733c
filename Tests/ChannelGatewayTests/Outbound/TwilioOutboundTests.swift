import TestSupport
import Testing

@testable import ChannelGateway

@Suite("Twilio outbound")
struct TwilioOutboundTests {
    let credentials = TwilioCredentials(
        accountSID: "AC0123456789abcdef0123456789abcdef", authToken: "secret-token")
    let addressing = TwilioAddressing(
        to: "+11234567890", sender: .phoneNumber("+12345678901"), mediaURLs: ["https://example.com/a.jpg"],
        statusCallback: "https://gw.example.com/twilio/status")

    @Test("Messages.json request: Basic auth, form body in order, + encoded")
    func request() throws {
        let adapter = TwilioOutboundAdapter(endpoint: OutboundEndpoints.production[TwilioOutboundAdapter.api])
        let request = try adapter.request(
            for: outboundMessage(.twilioMessage(addressing), "Is 5 ok?"), credentials: credentials)
        #expect(
            request.url == "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
        )
        #expect(
            request.headers == [
                "authorization": "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpzZWNyZXQtdG9rZW4=",
                "content-type": "application/x-www-form-urlencoded",
            ])
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == "To=%2B11234567890&From=%2B12345678901&Body=Is%205%20ok%3F&MediaUrl=https%3A%2F%2Fexample.com%2Fa.jpg"
                + "&StatusCallback=https%3A%2F%2Fgw.example.com%2Ftwilio%2Fstatus")
    }

    @Test("the fake accepts From and MessagingServiceSid senders; the id is the Message sid", arguments: [true, false])
    func sendsAgainstFake(viaService: Bool) async throws {
        try await withFake(
            try await TwilioAPIFake.start(accountSID: "AC0123456789abcdef0123456789abcdef", authToken: "secret-token")
        ) { fake in
            let adapter = TwilioOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "2010-04-01"))
            var addressing = addressing
            if viaService { addressing.sender = .messagingService(sid: "MG0123456789abcdef0123456789abcdef") }
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.twilioMessage(addressing)), with: adapter, credentials: credentials)
            }
            #expect(sentID(outcome)?.hasPrefix("MM") == true)
            let form = try #require(fake.recorder.requests.last).form
            #expect(form.first { $0.0 == "To" }?.1 == "+11234567890")
            #expect(form.contains { $0.0 == (viaService ? "MessagingServiceSid" : "From") })
            #expect(form.first { $0.0 == "StatusCallback" }?.1 == "https://gw.example.com/twilio/status")
        }
    }

    @Test(
        "Twilio error codes",
        arguments: [
            (ScriptedFailure.platformError(code: 21610), OutboundFailureReason.recipientOptedOut),
            (.recipientUnavailable, .recipientUnavailable), (.tokenError, .tokenInvalid),
        ])
    func finalErrors(failure: ScriptedFailure, reason: OutboundFailureReason) async throws {
        try await withFake(
            try await TwilioAPIFake.start(accountSID: "AC0123456789abcdef0123456789abcdef", authToken: "secret-token")
        ) { fake in
            fake.script.enqueue(failure, on: TwilioAPIFake.Endpoint.messages.rawValue)
            let adapter = TwilioOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "2010-04-01"))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.twilioMessage(addressing)), with: adapter, credentials: credentials)
            }
            #expect(failureReason(outcome) == reason)
        }
    }

    @Test(
        "21606 and 21608 are our number's and account's configuration, not an unreachable recipient",
        arguments: [(21606, "sending number"), (21608, "trial account")])
    func ourConfiguration(code: Int, cause: String) async throws {
        try await withFake(
            try await TwilioAPIFake.start(accountSID: "AC0123456789abcdef0123456789abcdef", authToken: "secret-token")
        ) { fake in
            fake.script.enqueue(.platformError(code: code), on: TwilioAPIFake.Endpoint.messages.rawValue)
            let adapter = TwilioOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "2010-04-01"))
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(.twilioMessage(addressing)), with: adapter, credentials: credentials)
            }
            guard case .failed(.other, let detail) = outcome else {
                Issue.record("expected other, got \(outcome)")
                return
            }
            #expect(detail.contains("Twilio \(code)"))
            #expect(detail.contains(cause))
        }
    }

    @Test("20429 with Retry-After is retried after that delay; a wrong Auth Token gets 20003")
    func rateLimitAndAuth() async throws {
        try await withFake(
            try await TwilioAPIFake.start(accountSID: "AC0123456789abcdef0123456789abcdef", authToken: "secret-token")
        ) { fake in
            fake.script.enqueue(.rateLimited(retryAfterSeconds: 3), on: TwilioAPIFake.Endpoint.messages.rawValue)
            let adapter = TwilioOutboundAdapter(endpoint: .init(baseURL: fake.baseURL, version: "2010-04-01"))
            try await OutboundTestHarness.with { harness in
                let limited = try await harness.send(
                    outboundMessage(.twilioMessage(addressing)), with: adapter, credentials: credentials)
                #expect(limited == .retryAfter(delay: .seconds(3), reason: .rateLimited))
                let wrong = try await harness.send(
                    outboundMessage(.twilioMessage(addressing)), with: adapter,
                    credentials: TwilioCredentials(accountSID: "AC0123456789abcdef0123456789abcdef", authToken: "nope"))
                guard case .failed(.tokenInvalid, let detail) = wrong else {
                    Issue.record("expected tokenInvalid, got \(wrong)")
                    return
                }
                #expect(detail.contains("20003"))
            }
        }
    }
}
