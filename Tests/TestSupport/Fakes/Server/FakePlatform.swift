/// What every platform fake offers: its base URL, what it received, its failure script, and stop.
public protocol FakePlatform: Sendable {
    var baseURL: String { get }
    var recorder: RequestRecorder { get }
    var script: FailureScript { get }
    func stop() async
}

extension MetaGraphFake: FakePlatform {}
extension XAPIFake: FakePlatform {}
extension LinkedInAPIFake: FakePlatform {}
extension TikTokAPIFake: FakePlatform {}
extension TelegramBotAPIFake: FakePlatform {}
extension TwilioAPIFake: FakePlatform {}
extension WeChatAPIFake: FakePlatform {}

/// Runs `body` with a started fake and stops the fake afterwards, also when `body` throws:
/// `try await withFake(XAPIFake.start(userAccessToken: "t")) { fake in ... }`.
public func withFake<Fake: FakePlatform, T>(
    _ fake: Fake, _ body: (Fake) async throws -> T
) async throws -> T {
    do {
        let result = try await body(fake)
        await fake.stop()
        return result
    } catch {
        await fake.stop()
        throw error
    }
}
