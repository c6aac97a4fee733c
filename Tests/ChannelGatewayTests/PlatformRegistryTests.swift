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
        for platform in Platform.allCases {
            let adapter = try #require(WebhookAdapters.adapter(for: platform), "no inbound adapter for \(platform)")
            #expect(type(of: adapter).platform == platform)
        }
    }
}
