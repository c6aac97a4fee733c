import TestSupport
import Testing

@testable import ChannelGateway

@Suite("Outbound registry")
struct OutboundRegistryTests {
    @Test("every platform has exactly its own adapter")
    func everyPlatform() {
        let adapters = OutboundAdapters(endpoints: .production)
        for platform in Platform.allCases {
            #expect(adapters[platform]?.platform == platform)
        }
    }

    @Test("a platform without an adapter is a build error, not a send")
    func missingAdapter() async throws {
        try await OutboundTestHarness.with { harness in
            let sender = harness.sender([])
            await #expect(throws: OutboundBuildError.noAdapter(.x)) {
                try await sender.send(
                    outboundMessage(.xReply(inReplyToPostID: "1")), on: .x, credentials: .x(userAccessToken: "t"))
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
        let endpoints = OutboundEndpoints(
            facebook: endpoint(fakes.facebook, "v26.0"), instagram: endpoint(fakes.instagram, "v26.0"),
            instagramLogin: endpoint(fakes.instagram, "v26.0"), whatsApp: endpoint(fakes.whatsApp, "v26.0"),
            x: endpoint(fakes.x), linkedIn: endpoint(fakes.linkedIn, c.linkedInVersion),
            tiktok: endpoint(fakes.tiktok, "v1.3"),
            telegram: endpoint(fakes.telegram), twilio: endpoint(fakes.twilio, "2010-04-01"),
            weChat: endpoint(fakes.weChat))
        let sends: [(Platform, OutboundKind, ChannelCredentials)] = [
            (
                .facebook, .directMessage(recipientID: "7001"),
                .metaPage(pageID: c.pageID, accessToken: c.metaAccessToken)
            ),
            (
                .instagram, .directMessage(recipientID: "9100"),
                .instagramLogin(igUserID: c.igUserID, accessToken: c.metaAccessToken)
            ),
            (
                .whatsapp, .whatsAppText(to: "16505551234"),
                .whatsApp(phoneNumberID: c.phoneNumberID, accessToken: c.metaAccessToken)
            ),
            (.x, .xReply(inReplyToPostID: "1770000000000000001"), .x(userAccessToken: c.xUserToken)),
            (
                .linkedin, .linkedInComment(.init(actor: "urn:li:organization:1", object: "urn:li:activity:2")),
                .linkedIn(accessToken: c.linkedInToken)
            ),
            (
                .tiktok, .tiktokCommentReply(videoID: "1", commentID: "2"),
                .tiktok(accessToken: c.tiktokAccessToken, businessID: c.tiktokBusinessID)
            ),
            (.telegram, .telegramMessage(chatID: "123"), .telegram(botToken: c.telegramBotToken)),
            (
                .twilio, .twilioMessage(.init(to: "+11234567890", sender: .phoneNumber("+12345678901"))),
                .twilio(accountSID: c.twilioAccountSID, authToken: c.twilioAuthToken)
            ),
            (.wechat, .weChatText(openID: "ogdot"), .weChat(appID: c.weChatAppID, appSecret: c.weChatAppSecret)),
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
