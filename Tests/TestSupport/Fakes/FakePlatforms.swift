import Dispatch
import Foundation

/// Credentials every fake accepts, for demos and end-to-end tests.
public struct FakeCredentials: Sendable, Hashable {
    public var pageID = "111000111"
    public var igUserID = "17841400000000001"
    public var phoneNumberID = "106540352242922"
    public var metaAccessToken = "EAAfakePageToken"
    public var xUserToken = "x-user-token"
    public var linkedInToken = "linkedin-token"
    public var linkedInVersion = "202611"
    public var tiktokAccessToken = "tiktok-access-token"
    public var tiktokBusinessID = "-000AbCdEfGh-business-open-id"
    public var telegramBotToken = "7000000001:AAFakeBotToken"
    public var twilioAccountSID = "AC0123456789abcdef0123456789abcdef"
    public var twilioAuthToken = "twilio-auth-token"
    public var weChatAppID = "wx1234567890abcdef"
    public var weChatAppSecret = "wechat-app-secret"

    public init() {}

    public static let demo = FakeCredentials()
}

/// Every platform fake at once (the demo executable and end-to-end tests).
public struct FakePlatforms: Sendable {
    public let facebook: MetaGraphFake
    public let instagram: MetaGraphFake
    public let whatsApp: MetaGraphFake
    public let x: XAPIFake
    public let linkedIn: LinkedInAPIFake
    public let tiktok: TikTokAPIFake
    public let telegram: TelegramBotAPIFake
    public let twilio: TwilioAPIFake
    public let weChat: WeChatAPIFake

    public static func startAll(credentials: FakeCredentials) async throws -> FakePlatforms {
        let c = credentials
        return FakePlatforms(
            facebook: try await .start(.facebook, accountIDs: [c.pageID], accessToken: c.metaAccessToken),
            instagram: try await .start(
                .instagram, accountIDs: [c.pageID, c.igUserID], accessToken: c.metaAccessToken),
            whatsApp: try await .start(.whatsApp, accountIDs: [c.phoneNumberID], accessToken: c.metaAccessToken),
            x: try await .start(userAccessToken: c.xUserToken),
            linkedIn: try await .start(accessToken: c.linkedInToken, version: c.linkedInVersion),
            tiktok: try await .start(accessToken: c.tiktokAccessToken, businessID: c.tiktokBusinessID),
            telegram: try await .start(botToken: c.telegramBotToken),
            twilio: try await .start(accountSID: c.twilioAccountSID, authToken: c.twilioAuthToken),
            weChat: try await .start(appID: c.weChatAppID, appSecret: c.weChatAppSecret))
    }

    /// One line per platform: name and base URL.
    public var summary: [String] {
        [
            "facebook  \(facebook.baseURL)  (Graph, version v26.0)", "instagram \(instagram.baseURL)  (Graph, v26.0)",
            "whatsapp  \(whatsApp.baseURL)  (Graph, v26.0)", "x         \(x.baseURL)",
            "linkedin  \(linkedIn.baseURL)", "tiktok    \(tiktok.baseURL)", "telegram  \(telegram.baseURL)",
            "twilio    \(twilio.baseURL)", "wechat    \(weChat.baseURL)",
        ]
    }

    /// Every fake with its platform's name (the keys of ``FakeRequestCounts``).
    public var named: [(name: String, fake: any FakePlatform)] {
        [
            ("facebook", facebook), ("instagram", instagram), ("whatsapp", whatsApp), ("x", x), ("linkedin", linkedIn),
            ("tiktok", tiktok), ("telegram", telegram), ("twilio", twilio), ("wechat", weChat),
        ]
    }

    public func stopAll() async {
        let all = named.map { $0.fake }
        await withTaskGroup(of: Void.self) { group in
            for fake in all { group.addTask { await fake.stop() } }
        }
    }

    /// Returns when the process receives SIGINT or SIGTERM.
    public static func waitForTermination() async {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        for source in sources { source.cancel() }
    }
}
