import Testing

@testable import ChannelGateway

/// A platform is one folder plus one line in each registry: these tests are what keeps the two
/// registries exhaustive now that they are lists rather than `switch`es over ``Platform``.
@Suite("Platform registries")
struct PlatformRegistryTests {
    @Test("every platform has exactly one inbound adapter, its own")
    func inbound() throws {
        let platforms = WebhookAdapters.all.map { type(of: $0).platform }
        #expect(platforms.count == Set(platforms).count, "a platform is registered twice: \(platforms)")
        // Web chat has no webhooks: its visitors call the visitor API (WebChatTests).
        #expect(WebhookAdapters.adapter(for: .webChat) == nil)
        for platform in Platform.social {
            let adapter = try #require(WebhookAdapters.adapter(for: platform), "no inbound adapter for \(platform)")
            #expect(type(of: adapter).platform == platform)
        }
    }

    @Test("every platform has exactly one outbound adapter, its own")
    func outbound() {
        let platforms = OutboundAdapters.all.map { $0.init(endpoints: .production).platform }
        #expect(platforms.count == Set(platforms).count, "a platform is registered twice: \(platforms)")
        let adapters = OutboundAdapters(endpoints: .production)
        // Web chat calls no API: OutboundSender writes its replies into the transcript.
        #expect(adapters[.webChat] == nil)
        for platform in Platform.social {
            #expect(adapters[platform]?.platform == platform, "no outbound adapter for \(platform)")
        }
    }

    @Test("each adapter's APIs are its platform's, and no two share a name")
    func outboundAPIs() {
        for adapterType in OutboundAdapters.all {
            let platform = adapterType.init(endpoints: .production).platform
            #expect(!adapterType.apis.isEmpty)
            #expect(adapterType.apis.allSatisfy { $0.platform == platform }, "\(adapterType)")
        }
        let apis = OutboundAdapters.apis
        #expect(Set(apis).count == apis.count)
        #expect(apis.allSatisfy { $0.production.baseURL.hasPrefix("https://") })
    }

    @Test("pointing one API at a fake leaves the others, and the other Graph API users, in production")
    func oneAPIAtAFake() {
        var endpoints = OutboundEndpoints.production
        let fake = PlatformEndpoint(baseURL: "http://127.0.0.1:9999", version: "v26.0")
        endpoints[InstagramOutboundAdapter.instagramLoginAPI] = fake
        #expect(endpoints[InstagramOutboundAdapter.instagramLoginAPI] == fake)
        #expect(endpoints[InstagramOutboundAdapter.facebookLoginAPI].baseURL == "https://graph.facebook.com")
        #expect(endpoints[FacebookOutboundAdapter.api] == FacebookOutboundAdapter.api.production)
        #expect(endpoints[WhatsAppOutboundAdapter.api] == WhatsAppOutboundAdapter.api.production)
        #expect(endpoints != .production)
    }

    @Test("the registry's entry point refuses another platform's secrets as a configuration error")
    func foreignSecrets() throws {
        let adapter = try #require(WebhookAdapters.adapter(for: .facebook))
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(
                TestSigning.metaPost(FacebookWebhookTests.messengerText),
                anySecrets: XWebhookSecrets(consumerSecret: "app-secret"), now: TestSigning.now)
        }
        guard case .notConfigured? = error else {
            Issue.record("expected notConfigured, got \(String(describing: error))")
            return
        }
        #expect(error?.httpStatus == 500)
        let accepted = try? adapter.handle(
            TestSigning.metaPost(FacebookWebhookTests.messengerText), anySecrets: TestSigning.metaSecrets,
            now: TestSigning.now)
        #expect(accepted != nil)
    }
}
