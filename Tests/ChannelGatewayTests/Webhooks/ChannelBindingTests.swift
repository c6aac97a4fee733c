import Foundation
import Testing

@testable import ChannelGateway

/// One app secret signs the deliveries of every account of the app: a delivery for account B,
/// validly signed, posted to account A's per-channel endpoint must not reach A's inbox.
@Suite("Channel binding")
struct ChannelBindingTests {
    /// What the adapter makes of a delivery, as the pipeline hands it to the binding.
    func parsed(_ outcome: WebhookOutcome) -> (events: [InboundEvent], unparsed: [UnparsedEntry]) {
        (outcome.events, outcome.unparsed)
    }

    /// The delivery, signed for account B, yields events for B only: bound to channel A it keeps
    /// nothing and refuses every event as another account's; bound to channel B it keeps them all.
    func expectBoundToItsAccountOnly(
        _ platform: Platform, accountB: String, channelA: String, _ outcome: WebhookOutcome
    ) {
        let (events, unparsed) = parsed(outcome)
        #expect(!events.isEmpty, "the fixture must yield events, or the test proves nothing")
        #expect(events.allSatisfy { $0.accountID == accountB })

        let atA = ChannelBinding(platform: platform, accountID: channelA).bind(events: events, unparsed: unparsed)
        #expect(atA.events.isEmpty)
        #expect(atA.unparsed.isEmpty)
        #expect(atA.refused.count == events.count + unparsed.count)
        #expect(atA.refused.allSatisfy { $0.reason == .otherAccount(accountB) })

        let atB = ChannelBinding(platform: platform, accountID: accountB).bind(events: events, unparsed: unparsed)
        #expect(atB.events == events)
        #expect(atB.refused.isEmpty)
    }

    @Test("a Messenger delivery for page B, signed with the shared app secret, is refused at page A")
    func messengerForAnotherPage() throws {
        let pageB = "222000222"
        let json = FacebookWebhookTests.messengerText.replacingOccurrences(of: "111000111", with: pageB)
        // Signed with the app secret every Page of the app shares: the signature check passes.
        let outcome = try FacebookWebhookAdapter().handle(
            TestSigning.metaPost(json, secret: "app-secret"), secrets: TestSigning.metaSecrets, now: TestSigning.now)
        expectBoundToItsAccountOnly(.facebook, accountB: pageB, channelA: "111000111", outcome)
    }

    @Test("an X activity for another for_user_id is refused")
    func xForAnotherUser() throws {
        let tests = XWebhookTests()
        let outcome = try XWebhookAdapter().handle(
            tests.post(XWebhookTests.directMessage), secrets: tests.secrets, now: TestSigning.now)
        expectBoundToItsAccountOnly(.x, accountB: "835740314006511618", channelA: "2244994945", outcome)
    }

    @Test("a LinkedIn notification for another organization is refused")
    func linkedInForAnotherOrganization() throws {
        let tests = LinkedInWebhookTests()
        let json = tests.envelope(LinkedInWebhookTests.notification(action: "COMMENT"))
        let outcome = try LinkedInWebhookAdapter().handle(
            tests.post(json), secrets: tests.secrets, now: TestSigning.now)
        expectBoundToItsAccountOnly(
            .linkedin, accountB: "urn:li:organization:96072893", channelA: "urn:li:organization:11111111", outcome)
    }

    @Test("a TikTok comment for another account is refused")
    func tiktokForAnotherAccount() throws {
        let tests = TikTokWebhookTests()
        let outcome = try TikTokWebhookAdapter().handle(
            tests.post(TikTokWebhookTests.envelope(content: TikTokWebhookTests.reply)), secrets: tests.secrets,
            now: TestSigning.now)
        expectBoundToItsAccountOnly(
            .tiktok, accountB: "-000AbCdEfGh-business-open-id", channelA: "-000ZyXwVuTs-other-open-id", outcome)
    }

    @Test("a WhatsApp message for another phone_number_id is refused")
    func whatsAppForAnotherNumber() throws {
        let tests = WhatsAppWebhookTests()
        let json = tests.envelope(
            messages: #"[{"from":"165","id":"wamid.1","timestamp":"1749416383","type":"text","text":{"body":"Hi"}}]"#)
        let outcome = try WhatsAppWebhookAdapter().handle(
            TestSigning.metaPost(json), secrets: TestSigning.metaSecrets, now: TestSigning.now)
        expectBoundToItsAccountOnly(.whatsapp, accountB: "106540352242922", channelA: "106540352200000", outcome)
    }

    @Test("an UNPARSED record for another account is refused, one for the channel's account kept")
    func unparsedRecords() {
        func entry(_ accountID: String?) -> UnparsedEntry {
            UnparsedEntry(
                platform: .facebook, accountID: accountID, path: "entry[0]", rawText: "{}",
                error: .missingField("entry[0].time"), receivedAt: TestSigning.now)
        }
        let bound = ChannelBinding(platform: .facebook, accountID: "111000111")
            .bind(events: [], unparsed: [entry("222000222"), entry("111000111"), entry(nil)])
        #expect(bound.unparsed.map(\.accountID) == ["111000111", nil])
        #expect(bound.refused == [.init(item: .unparsed(entry("222000222")), reason: .otherAccount("222000222"))])
    }

    @Test("events without an account id (Telegram) are kept on a per-channel endpoint only")
    func telegramHasNoAccountID() throws {
        let tests = TelegramWebhookTests()
        let outcome = try TelegramWebhookAdapter().handle(
            tests.post(TelegramWebhookTests.message), secrets: tests.secrets, now: TestSigning.now)
        let (events, unparsed) = parsed(outcome)
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { $0.accountID == nil })
        let perChannel = ChannelBinding(platform: .telegram, accountID: "7000000001").bind(
            events: events, unparsed: unparsed)
        #expect(perChannel.events == events)
        #expect(perChannel.refused.isEmpty)
        let shared = ChannelBinding(platform: .telegram, accountID: "7000000001", endpoint: .shared).bind(
            events: events, unparsed: unparsed)
        #expect(shared.events.isEmpty)
        #expect(shared.refused.allSatisfy { $0.reason == .noAccountOnSharedEndpoint })
    }

    @Test("another platform's events are refused")
    func otherPlatform() throws {
        let outcome = try FacebookWebhookAdapter().handle(
            TestSigning.metaPost(FacebookWebhookTests.messengerText), secrets: TestSigning.metaSecrets,
            now: TestSigning.now)
        let bound = ChannelBinding(platform: .instagram, accountID: "111000111").bind(
            events: outcome.events, unparsed: [])
        #expect(bound.events.isEmpty)
        #expect(!bound.refused.isEmpty)
        #expect(bound.refused.allSatisfy { $0.reason == .otherPlatform(.facebook) })
    }
}
