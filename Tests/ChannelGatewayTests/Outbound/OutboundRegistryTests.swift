import TestSupport
import Testing

@testable import ChannelGateway

@Suite("Outbound registry")
struct OutboundRegistryTests {
    @Test("a platform without an adapter is a build error, not a send")
    func missingAdapter() async throws {
        try await OutboundTestHarness.with { harness in
            let sender = harness.sender([])
            await #expect(throws: OutboundBuildError.noAdapter(.x)) {
                try await sender.send(
                    outboundMessage(.xReply(inReplyToPostID: "1")), on: .x,
                    credentials: XCredentials(userAccessToken: "t"))
            }
        }
    }

    @Test("one message per platform through the registry against all fakes at once")
    func allPlatformsThroughRegistry() async throws {
        let c = FakeCredentials.demo
        let fakes = try await FakePlatforms.startAll(credentials: c)
        func endpoint(_ fake: some FakePlatform, _ version: String = "") -> PlatformEndpoint {
            PlatformEndpoint(baseURL: fake.baseURL, version: version)
        }
        var endpoints = OutboundEndpoints.production
        endpoints[FacebookOutboundAdapter.api] = endpoint(fakes.facebook, "v26.0")
        endpoints[InstagramOutboundAdapter.facebookLoginAPI] = endpoint(fakes.instagram, "v26.0")
        endpoints[InstagramOutboundAdapter.instagramLoginAPI] = endpoint(fakes.instagram, "v26.0")
        endpoints[WhatsAppOutboundAdapter.api] = endpoint(fakes.whatsApp, "v26.0")
        endpoints[XOutboundAdapter.api] = endpoint(fakes.x)
        endpoints[LinkedInOutboundAdapter.api] = endpoint(fakes.linkedIn, c.linkedInVersion)
        endpoints[TikTokOutboundAdapter.api] = endpoint(fakes.tiktok, "v1.3")
        endpoints[TelegramOutboundAdapter.api] = endpoint(fakes.telegram)
        endpoints[TwilioOutboundAdapter.api] = endpoint(fakes.twilio, "2010-04-01")
        endpoints[WeChatOutboundAdapter.api] = endpoint(fakes.weChat)
        // Every API the registry knows points at a fake: nothing in this test reaches a real host.
        #expect(OutboundAdapters.apis.allSatisfy { endpoints[$0] != $0.production })
        let sends: [(Platform, OutboundKind, any ChannelCredentials)] = [
            (
                .facebook, .directMessage(recipientID: "7001"),
                FacebookCredentials(pageID: c.pageID, accessToken: c.metaAccessToken)
            ),
            (
                .instagram, .directMessage(recipientID: "9100"),
                InstagramCredentials.instagramLogin(igUserID: c.igUserID, accessToken: c.metaAccessToken)
            ),
            (
                .whatsapp, .whatsAppText(to: "16505551234"),
                WhatsAppCredentials(phoneNumberID: c.phoneNumberID, accessToken: c.metaAccessToken)
            ),
            (.x, .xReply(inReplyToPostID: "1770000000000000001"), XCredentials(userAccessToken: c.xUserToken)),
            (
                .linkedin, .linkedInComment(.init(actor: "urn:li:organization:1", object: "urn:li:activity:2")),
                LinkedInCredentials(accessToken: c.linkedInToken)
            ),
            (
                .tiktok, .tiktokCommentReply(videoID: "1", commentID: "2"),
                TikTokCredentials(accessToken: c.tiktokAccessToken, businessID: c.tiktokBusinessID)
            ),
            (.telegram, .telegramMessage(chatID: "123"), TelegramCredentials(botToken: c.telegramBotToken)),
            (
                .twilio, .twilioMessage(.init(to: "+11234567890", sender: .phoneNumber("+12345678901"))),
                TwilioCredentials(accountSID: c.twilioAccountSID, authToken: c.twilioAuthToken)
            ),
            (
                .wechat, .weChatText(openID: "ogdot"),
                WeChatCredentials.app(appID: c.weChatAppID, appSecret: c.weChatAppSecret)
            ),
        ]
        do {
            try await OutboundTestHarness.with { harness in
                let sender = OutboundSender(
                    http: harness.http, adapters: OutboundAdapters(endpoints: endpoints), weChatTokens: .init())
                for (platform, kind, credentials) in sends {
                    let outcome = try await sender.send(outboundMessage(kind), on: platform, credentials: credentials)
                    guard case .sent = outcome else {
                        Issue.record("\(platform): \(outcome)")
                        continue
                    }
                }
            }
        } catch {
            await fakes.stopAll()
            throw error
        }
        await fakes.stopAll()
    }
}
