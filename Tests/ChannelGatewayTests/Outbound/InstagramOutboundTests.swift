import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("Instagram outbound")
struct InstagramOutboundTests {
    let facebookLogin = InstagramCredentials.facebookLogin(pageID: "111000111", accessToken: "EAAfakePageToken")
    let instagramLogin = InstagramCredentials.instagramLogin(igUserID: "17841400000000001", accessToken: "IGfakeToken")
    let production = InstagramOutboundAdapter(
        facebookLogin: OutboundEndpoints.production[InstagramOutboundAdapter.facebookLoginAPI],
        instagramLogin: OutboundEndpoints.production[InstagramOutboundAdapter.instagramLoginAPI])

    @Test("Instagram Login DMs go to graph.instagram.com without messaging_type")
    func instagramLoginRequest() throws {
        let request = try production.request(
            for: outboundMessage(.directMessage(recipientID: "9100000000000001")), credentials: instagramLogin)
        #expect(request.url == "https://graph.instagram.com/v26.0/17841400000000001/messages")
        #expect(request.headers["authorization"] == "Bearer IGfakeToken")
        #expect(
            bodyJSON(request.body) == ["recipient": ["id": "9100000000000001"], "message": ["text": "Hello there"]])
    }

    @Test("Facebook Login DMs go to the Page's messages edge with RESPONSE")
    func facebookLoginRequest() throws {
        let request = try production.request(
            for: outboundMessage(.directMessage(recipientID: "9100000000000001")), credentials: facebookLogin)
        #expect(request.url == "https://graph.facebook.com/v26.0/111000111/messages")
        #expect(
            bodyJSON(request.body)
                == [
                    "recipient": ["id": "9100000000000001"], "messaging_type": "RESPONSE",
                    "message": ["text": "Hello there"],
                ])
    }

    @Test("public replies use the comment's replies edge; private replies the comment_id recipient")
    func replyRequests() throws {
        let reply = try production.request(
            for: outboundMessage(.publicCommentReply(commentID: "17900000000000777")), credentials: instagramLogin)
        #expect(reply.url == "https://graph.instagram.com/v26.0/17900000000000777/replies")
        #expect(bodyJSON(reply.body) == ["message": "Hello there"])
        let tagged = try production.request(
            for: outboundMessage(.humanAgentMessage(recipientID: "9100000000000001")), credentials: instagramLogin)
        #expect(bodyJSON(tagged.body)?["tag"] == "HUMAN_AGENT")
        #expect(bodyJSON(tagged.body)?["messaging_type"] == "MESSAGE_TAG")
    }

    @Test(
        "every send kind is accepted by the fake, on both login flavours",
        arguments: [
            OutboundKind.directMessage(recipientID: "9100000000000001"),
            .humanAgentMessage(recipientID: "9100000000000001"),
            .privateReply(.comment(id: "17900000000000777")), .publicCommentReply(commentID: "17900000000000777"),
        ], [true, false])
    func sendsAgainstFake(kind: OutboundKind, viaFacebookLogin: Bool) async throws {
        let token = viaFacebookLogin ? "EAAfakePageToken" : "IGfakeToken"
        try await withFake(
            try await MetaGraphFake.start(
                .instagram, accountIDs: ["111000111", "17841400000000001"], accessToken: token)
        ) { fake in
            let endpoint = PlatformEndpoint(baseURL: fake.baseURL, version: "v26.0")
            let adapter = InstagramOutboundAdapter(facebookLogin: endpoint, instagramLogin: endpoint)
            let credentials = viaFacebookLogin ? facebookLogin : instagramLogin
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(outboundMessage(kind), with: adapter, credentials: credentials)
            }
            #expect(sentID(outcome) != nil)
            let recorded = try #require(fake.recorder.requests.last)
            #expect(
                bodyJSON(recorded)
                    == bodyJSON(try adapter.request(for: outboundMessage(kind), credentials: credentials).body))
        }
    }

    @Test("outside the window the fake answers 10/2534022, classified outsideWindow")
    func windowError() async throws {
        try await withFake(
            try await MetaGraphFake.start(.instagram, accountIDs: ["17841400000000001"], accessToken: "IGfakeToken")
        ) { fake in
            fake.script.enqueue(.windowError, on: MetaGraphFake.Endpoint.messages.rawValue)
            let endpoint = PlatformEndpoint(baseURL: fake.baseURL, version: "v26.0")
            let adapter = InstagramOutboundAdapter(facebookLogin: endpoint, instagramLogin: endpoint)
            let outcome = try await OutboundTestHarness.with {
                try await $0.send(
                    outboundMessage(.directMessage(recipientID: "9100")), with: adapter, credentials: instagramLogin)
            }
            guard case .failed(.outsideWindow, let detail) = outcome else {
                Issue.record("expected outsideWindow, got \(outcome)")
                return
            }
            #expect(detail.contains("2534022"))
        }
    }
}
