import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

/// The fakes refuse what the real APIs refuse, in the platforms' own error shapes, so a wrong
/// request from the gateway cannot pass unnoticed.
@Suite("Fake platform validation")
struct FakeValidationTests {
    private func post(
        _ fake: some FakePlatform, _ path: String, headers: [String: String], body: String
    ) async throws -> (status: Int, json: WireJSON?) {
        try await OutboundTestHarness.with { harness in
            let response = try await harness.http.execute(
                PlatformRequest(method: "POST", url: fake.baseURL + path, headers: headers, body: Array(body.utf8)))
            return (response.status, WireJSON.parse(response.body))
        }
    }

    @Test("Messenger without messaging_type, and a non-HUMAN_AGENT tag, are Graph error 100")
    func messenger() async throws {
        try await withFake(try await MetaGraphFake.start(.facebook, accountIDs: ["1"], accessToken: "tok")) {
            fake in
            let headers = ["authorization": "Bearer tok", "content-type": "application/json"]
            let untyped = try await post(
                fake, "/v26.0/1/messages", headers: headers, body: #"{"recipient":{"id":"2"},"message":{"text":"x"}}"#)
            #expect(untyped.status == 400)
            #expect(untyped.json?["error"]?["code"] == 100)
            let tagged = try await post(
                fake, "/v26.0/1/messages", headers: headers,
                body:
                    #"{"recipient":{"id":"2"},"messaging_type":"MESSAGE_TAG","tag":"ACCOUNT_UPDATE","message":{"text":"x"}}"#
            )
            #expect(tagged.json?["error"]?["code"] == 100)
            let viaQuery = try await post(
                fake, "/v26.0/1/messages?access_token=tok", headers: ["content-type": "application/json"],
                body: #"{"recipient":{"id":"2"},"messaging_type":"RESPONSE","message":{"text":"x"}}"#)
            #expect(viaQuery.status == 200)
        }
    }

    @Test("WhatsApp without `to` is refused")
    func whatsApp() async throws {
        try await withFake(try await MetaGraphFake.start(.whatsApp, accountIDs: ["1"], accessToken: "tok")) {
            fake in
            let answer = try await post(
                fake, "/v26.0/1/messages", headers: ["authorization": "Bearer tok"],
                body: #"{"messaging_product":"whatsapp","type":"text","text":{"body":"x"}}"#)
            #expect(answer.status == 400)
            #expect(answer.json?["error"]?["message"] == "(#100) The parameter to is required")
        }
    }

    @Test("Twilio without To is 21604; without Basic auth 20003")
    func twilio() async throws {
        try await withFake(try await TwilioAPIFake.start(accountSID: "AC1", authToken: "t")) { fake in
            let auth = ["authorization": "Basic QUMxOnQ=", "content-type": "application/x-www-form-urlencoded"]
            let noTo = try await post(
                fake, "/2010-04-01/Accounts/AC1/Messages.json", headers: auth, body: "From=%2B1&Body=x")
            #expect(noTo.status == 400)
            #expect(noTo.json?["code"] == 21604)
            let noAuth = try await post(
                fake, "/2010-04-01/Accounts/AC1/Messages.json", headers: [:], body: "To=%2B1&From=%2B2&Body=x")
            #expect(noAuth.status == 401)
            #expect(noAuth.json?["code"] == 20003)
        }
    }

    @Test("LinkedIn without the Rest.li header, and with a path that is not the comment's target, is refused")
    func linkedIn() async throws {
        try await withFake(try await LinkedInAPIFake.start(accessToken: "t", version: "202611")) { fake in
            let body = #"{"actor":"urn:li:organization:1","object":"urn:li:activity:2","message":{"text":"x"}}"#
            let noRestli = try await post(
                fake, "/rest/socialActions/urn%3Ali%3Aactivity%3A2/comments",
                headers: ["authorization": "Bearer t", "linkedin-version": "202611"], body: body)
            #expect(noRestli.status == 400)
            let wrongPath = try await post(
                fake, "/rest/socialActions/urn%3Ali%3Aactivity%3A3/comments",
                headers: [
                    "authorization": "Bearer t", "linkedin-version": "202611", "x-restli-protocol-version": "2.0.0",
                ],
                body: body)
            #expect(wrongPath.status == 400)
        }
    }

    @Test("Telegram with an empty text is a Bot API 400")
    func telegram() async throws {
        try await withFake(try await TelegramBotAPIFake.start(botToken: "1:T")) { fake in
            let answer = try await post(
                fake, "/bot1:T/sendMessage", headers: ["content-type": "application/json"],
                body: #"{"chat_id":1,"text":""}"#)
            #expect(answer.status == 400)
            #expect(answer.json?["ok"] == false)
            #expect(answer.json?["description"] == "Bad Request: message text is empty")
        }
    }
}

@Suite("Request recorder")
struct RequestRecorderTests {
    @Test("waiting for requests that never come ends at the deadline with what was recorded")
    func waitTimesOut() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        let started = ContinuousClock.now
        let requests = await receiver.recorder.waitForRequests(count: 1, timeout: .milliseconds(100))
        #expect(requests.isEmpty)
        #expect(ContinuousClock.now - started < .seconds(2))
        await receiver.stop()
    }
}
