import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ConversationService

/// One organisation never reads or changes another's conversations, messages or contacts: for
/// an agent of organisation B, A's resources do not exist (NOT_FOUND, never a row), and a token
/// naming one organisation cannot act for another.
@Suite("conversation-service: organisations are isolated")
struct IsolationTests {
    @Test func anotherOrganisationSeesNothingAndChangesNothing() async throws {
        try await ConversationHarness.with { h in
            let a = try await ConversationHarness.agent()
            let b = try await ConversationHarness.agent("b-agent", "org-b")
            var event = ConversationHarness.message("iso-a", from: "ana", text: "Bonjour, ma commande de café")
            event.author.displayName = "Ana Secret"
            let ingestedA = try await h.ingest([event])
            let conversation = ingestedA[0].conversationID
            let message = ingestedA[0].messageID
            let ownB = try await h.ingest([
                ConversationHarness.message("iso-b", from: "bob", text: "Hello, café", organization: "org-b")
            ])
            let before = try await h.client.getConversation(.with { $0.conversationID = conversation }, metadata: a)
            let contact = before.contactID
            try #require(!contact.isEmpty)
            let logged = try await Self.changes(h, conversation)

            // Lists and searches: B sees its own conversation only, never A's.
            let listed = try await h.client.listConversations(.with { $0.pageSize = 100 }, metadata: b)
            #expect(listed.conversations.map(\.id) == [ownB[0].conversationID])
            let searched = try await h.client.listConversations(.with { $0.query = "café" }, metadata: b)
            #expect(searched.conversations.map(\.id) == [ownB[0].conversationID])
            let named = try await h.client.listConversations(
                .with { $0.filter.conversationIds = [conversation] }, metadata: b)
            #expect(named.conversations.isEmpty)
            let byContact = try await h.client.listConversations(.with { $0.filter.contactID = contact }, metadata: b)
            #expect(byContact.conversations.isEmpty)
            let contacts = try await h.client.listContacts(.with { $0.query = "Ana Secret" }, metadata: b)
            #expect(contacts.contacts.isEmpty)
            let allContacts = try await h.client.listContacts(.init(), metadata: b)
            #expect(allContacts.contacts.allSatisfy { $0.organizationID == "org-b" })

            // Reads and writes of A's resources: NOT_FOUND.
            func expectNotFound(
                _ name: String, sourceLocation: SourceLocation = #_sourceLocation, _ call: () async throws -> Void
            ) async {
                let refused = await refusal(call)
                #expect(refused?.code == .notFound, "\(name)", sourceLocation: sourceLocation)
                #expect(refused?.reason == "RESOURCE_NOT_FOUND", "\(name)", sourceLocation: sourceLocation)
            }
            await expectNotFound("GetConversation") {
                _ = try await h.client.getConversation(.with { $0.conversationID = conversation }, metadata: b)
            }
            await expectNotFound("ListMessages") {
                _ = try await h.client.listMessages(.with { $0.conversationID = conversation }, metadata: b)
            }
            await expectNotFound("UpdateConversation") {
                _ = try await h.client.updateConversation(
                    .with {
                        $0.conversationID = conversation
                        $0.updateMask = .with { mask in mask.paths = ["status", "tags"] }
                        $0.status = .resolved
                        $0.tags = ["stolen"]
                    }, metadata: b)
            }
            await expectNotFound("AddNote") {
                _ = try await h.client.addNote(
                    .with {
                        $0.conversationID = conversation
                        $0.text = "from B"
                    }, metadata: b)
            }
            await expectNotFound("MarkConversationRead") {
                _ = try await h.client.markConversationRead(.with { $0.conversationID = conversation }, metadata: b)
            }
            await expectNotFound("MarkConversationRead of B's conversation up to A's message") {
                _ = try await h.client.markConversationRead(
                    .with {
                        $0.conversationID = ownB[0].conversationID
                        $0.upToMessageID = message
                    }, metadata: b)
            }
            await expectNotFound("GetContact") {
                _ = try await h.client.getContact(.with { $0.contactID = contact }, metadata: b)
            }

            // A's conversation is exactly as it was.
            let after = try await h.client.getConversation(.with { $0.conversationID = conversation }, metadata: a)
            #expect(after.status == before.status)
            #expect(after.tags == before.tags)
            #expect(after.unreadCount == before.unreadCount)
            #expect(after.lastReadAt == before.lastReadAt)
            let messages = try await h.client.listMessages(.with { $0.conversationID = conversation }, metadata: a)
            #expect(messages.messages.map(\.id) == [message])
            // Nothing B tried reached the change log or the messages.
            #expect(try await Self.changes(h, conversation) == logged)
            let notes = try await h.database.query("SELECT count(*)::int8 FROM messages WHERE direction = 'note'")
            for try await count in notes.decode(Int64.self) { #expect(count == 0) }
        }
    }

    @Test func aTokenActsOnlyForItsOwnOrganisation() async throws {
        try await ConversationHarness.with { h in
            let conversation = try await h.ingest([ConversationHarness.message("iso-1")])[0].conversationID
            // The assignee read model names organisations per item: only a service token may write it.
            let others = [
                try await ConversationHarness.agent("b-agent", "org-b"), try await ConversationHarness.admin("org-b"),
            ]
            for metadata in others {
                let refused = await refusal {
                    _ = try await h.client.setAssignee(
                        .with {
                            $0.items = [
                                .with {
                                    $0.organizationID = ConversationHarness.organization
                                    $0.conversationID = conversation
                                    $0.agentID = "b-agent"
                                    $0.version = 1
                                }
                            ]
                        }, metadata: metadata)
                }
                #expect(refused?.code == .permissionDenied)
            }
            let read = try await h.client.getConversation(
                .with { $0.conversationID = conversation }, metadata: ConversationHarness.agent())
            #expect(read.assigneeAgentID.isEmpty)

            // A service item naming org-b does not reach org-test's conversation of the same id.
            let crossed = try await h.client.setAssignee(
                .with {
                    $0.items = [
                        .with {
                            $0.organizationID = "org-b"
                            $0.conversationID = conversation
                            $0.agentID = "b-agent"
                            $0.version = 1
                        }
                    ]
                }, metadata: ConversationHarness.service())
            #expect(crossed.results.map(\.outcome) == [.notFound])
            let still = try await h.client.getConversation(
                .with { $0.conversationID = conversation }, metadata: ConversationHarness.agent())
            #expect(still.assigneeAgentID.isEmpty)

            // Service tokens are not inbox callers: they name no organisation to list.
            let listed = await refusal {
                _ = try await h.client.listConversations(.init(), metadata: ConversationHarness.service())
            }
            #expect(listed?.code == .permissionDenied)
        }
    }

    // MARK: Helpers

    /// How many changes the change log holds for the conversation (of any organisation).
    private static func changes(_ h: ConversationHarness, _ conversationID: String) async throws -> Int64 {
        let id = try #require(UUID(uuidString: conversationID))
        let rows = try await h.database.query("SELECT count(*)::int8 FROM changes WHERE conversation_id = \(id)")
        for try await count in rows.decode(Int64.self) { return count }
        return 0
    }
}
