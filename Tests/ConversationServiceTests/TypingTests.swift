import Foundation
import InboxAPI
import InboxKit
import TestSupport
import Testing

@testable import ConversationService

/// SetTyping: an agent's typing indicator goes to the gateway for a web-chat conversation (which
/// shows it to the visitor), and nowhere for a platform that cannot show it.
@Suite("conversation-service: typing indicators")
struct TypingTests {
    @Test func aWebChatConversationForwardsTypingOthersDoNot() async throws {
        try await ConversationHarness.with { h in
            let webChat = try #require(
                try await h.ingest([
                    ConversationHarness.message(
                        "wc-1", from: "visitor-1", channel: "channel-web", platform: .webChat)
                ]).first)
            let facebook = try #require(try await h.ingest([ConversationHarness.message("fb-1")]).first)
            let agent = try await ConversationHarness.agent()

            let shown = try await h.client.setTyping(
                .with {
                    $0.conversationID = webChat.conversationID
                    $0.typing = true
                }, metadata: agent)
            #expect(shown.shown)
            let sent = try #require(h.peers.with { $0.typing }.first)
            #expect(sent.channelID == "channel-web")
            #expect(sent.threadKey == "visitor-1")
            #expect(sent.typing)
            #expect(sent.organizationID == ConversationHarness.organization)

            let elsewhere = try await h.client.setTyping(
                .with {
                    $0.conversationID = facebook.conversationID
                    $0.typing = true
                }, metadata: agent)
            #expect(!elsewhere.shown)
            #expect(h.peers.with { $0.typing }.count == 1)

            let missing = await refusal {
                _ = try await h.client.setTyping(.with { $0.conversationID = UUID().uuidString }, metadata: agent)
            }
            #expect(missing?.code == .notFound)
            let service = await refusal {
                _ = try await h.client.setTyping(
                    .with { $0.conversationID = webChat.conversationID }, metadata: ConversationHarness.service())
            }
            #expect(service?.code == .permissionDenied)
        }
    }
}
