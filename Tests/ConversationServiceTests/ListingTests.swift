import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import PostgresNIO
import TestSupport
import Testing

@testable import ConversationService

/// ListConversations, ListMessages, GetContact and ListContacts through the RPCs against
/// PostgreSQL: filters, folded full-text search, keyset pages that stay correct while messages
/// arrive, page bounds and tokens, and the "inbox opened" activity.
@Suite("conversation-service: listing, search and reads")
struct ListingTests {
    @Test func everyFilterNarrowsAndFiltersCombine() async throws {
        try await ConversationHarness.with { h in
            let base = Date().addingTimeInterval(-3600)
            var comment = ConversationHarness.message(
                "ig-1", from: "cai", text: "Joli post", at: base.addingTimeInterval(30), channel: "channel-ig",
                platform: .instagram, kind: .comment, threadKey: "post-1:comment-1")
            comment.parentPostID = "post-1"
            let results = try await h.ingest([
                ConversationHarness.message("fb-1", from: "ana", at: base.addingTimeInterval(10)),
                ConversationHarness.message("fb-2", from: "ben", at: base.addingTimeInterval(20)),
                comment,
                ConversationHarness.message(
                    "wa-1", from: "dee", at: base.addingTimeInterval(40), channel: "channel-wa", platform: .whatsapp),
            ])
            #expect(results.map(\.outcome) == [.created, .created, .created, .created])
            let ids = results.map(\.conversationID)
            let (ana, ben, cai, dee) = (ids[0], ids[1], ids[2], ids[3])
            let anaID = try #require(UUID(uuidString: ana))
            let benID = try #require(UUID(uuidString: ben))
            let caiID = try #require(UUID(uuidString: cai))
            let deeID = try #require(UUID(uuidString: dee))
            try await Self.sql(
                h,
                """
                UPDATE conversations SET assignee_agent_id = 'agent-7', assignee_team_id = 'team-a',
                    tags = '{vip,billing}' WHERE id = \(anaID)
                """)
            try await Self.sql(h, "UPDATE conversations SET status = 'pending', tags = '{vip}' WHERE id = \(benID)")
            try await Self.sql(h, "UPDATE conversations SET status = 'resolved' WHERE id = \(caiID)")
            try await Self.sql(h, "UPDATE conversations SET assignee_team_id = 'team-a' WHERE id = \(deeID)")
            let contact = try await h.client.getConversation(
                .with { $0.conversationID = dee }, metadata: ConversationHarness.agent()
            ).contactID
            try #require(!contact.isEmpty)

            func expectListed(
                _ expected: Set<String>, sourceLocation: SourceLocation = #_sourceLocation,
                _ configure: (inout Inbox_V1_ConversationFilter) -> Void
            ) async throws {
                var filter = Inbox_V1_ConversationFilter()
                configure(&filter)
                #expect(Set(try await Self.ids(h, filter)) == expected, "\(filter)", sourceLocation: sourceLocation)
            }
            // Newest activity first.
            #expect(try await Self.ids(h) == [dee, cai, ben, ana])
            try await expectListed([ana, dee]) { $0.statuses = [.open] }
            try await expectListed([ben, cai]) { $0.statuses = [.pending, .resolved] }
            try await expectListed([cai]) { $0.platforms = [.instagram] }
            try await expectListed([ana, ben, dee]) { $0.platforms = [.facebook, .whatsapp] }
            try await expectListed([cai]) { $0.kinds = [.comment] }
            try await expectListed([ana, ben, dee]) { $0.kinds = [.directMessage] }
            try await expectListed([ana]) { $0.assigneeAgentID = "agent-7" }
            try await expectListed([ana, dee]) { $0.teamID = "team-a" }
            try await expectListed([ben, cai, dee]) { $0.unassignedOnly = true }
            try await expectListed([dee]) { $0.channelID = "channel-wa" }
            try await expectListed([dee]) { $0.contactID = contact }
            try await expectListed([ana, cai]) { $0.conversationIds = [ana, cai] }
            // Tags: a conversation must carry every tag listed (compared as stored: trimmed, lowercase).
            try await expectListed([ana, ben]) { $0.tags = ["vip"] }
            try await expectListed([ana]) { $0.tags = ["vip", "billing"] }
            try await expectListed([ana, ben]) { $0.tags = [" VIP "] }
            try await expectListed([]) { $0.tags = ["vip", "nobody-has-this"] }
            // Fields combine with AND.
            try await expectListed([dee]) { filter in
                filter.statuses = [.open]
                filter.teamID = "team-a"
                filter.unassignedOnly = true
            }
            try await expectListed([ana]) { filter in
                filter.platforms = [.facebook]
                filter.statuses = [.open]
            }
        }
    }

    @Test func filterValuesThatAreNotValidNameTheirField() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let tooManyIDs = (0..<501).map { _ in UUID().uuidString }
            let tooManyTags = (0..<21).map { index in "tag-\(index)" }
            func expectRefused(
                _ field: String, sourceLocation: SourceLocation = #_sourceLocation,
                _ configure: (inout Inbox_V1_ConversationFilter) -> Void
            ) async {
                var filter = Inbox_V1_ConversationFilter()
                configure(&filter)
                let refused = await refusal {
                    _ = try await h.client.listConversations(.with { $0.filter = filter }, metadata: agent)
                }
                #expect(refused?.code == .invalidArgument, sourceLocation: sourceLocation)
                #expect(refused?.reason == "FIELD_INVALID", sourceLocation: sourceLocation)
                #expect(refused?.field == field, sourceLocation: sourceLocation)
            }
            await expectRefused("filter.statuses") { $0.statuses = [.UNRECOGNIZED(99)] }
            await expectRefused("filter.statuses") { $0.statuses = [.unspecified] }
            await expectRefused("filter.platforms") { $0.platforms = [.UNRECOGNIZED(99)] }
            await expectRefused("filter.kinds") { $0.kinds = [.UNRECOGNIZED(42)] }
            await expectRefused("filter.conversation_ids") { $0.conversationIds = tooManyIDs }
            await expectRefused("filter.conversation_ids") { $0.conversationIds = ["not-an-id"] }
            await expectRefused("filter.tags") { $0.tags = tooManyTags }
            await expectRefused("filter.tags") { $0.tags = ["   "] }
            await expectRefused("filter.contact_id") { $0.contactID = "nope" }
            let longQuery = await refusal {
                _ = try await h.client.listConversations(
                    .with { $0.query = String(repeating: "a", count: 201) }, metadata: agent)
            }
            #expect(longQuery?.code == .invalidArgument)
            #expect(longQuery?.field == "query")
        }
    }

    @Test func searchFoldsAccentsAndCaseOverEveryMessage() async throws {
        try await ConversationHarness.with { h in
            let base = Date().addingTimeInterval(-600)
            let results = try await h.ingest([
                ConversationHarness.message(
                    "s-1", from: "ana", text: "Un Café, s'il vous plaît", at: base.addingTimeInterval(1)),
                ConversationHarness.message(
                    "s-2", from: "ben", text: "Mon eleve est absent aujourd'hui", at: base.addingTimeInterval(2)),
                ConversationHarness.message(
                    "s-3", from: "cai", text: "Rien à signaler", at: base.addingTimeInterval(3)),
            ])
            let ids = results.map(\.conversationID)
            let (ana, ben, cai) = (ids[0], ids[1], ids[2])
            // A later message of cai's conversation mentions coffee too: the search covers every message.
            let later = try await h.ingest([
                ConversationHarness.message(
                    "s-4", from: "cai", text: "Finalement, un CAFE noir", at: base.addingTimeInterval(4))
            ])
            #expect(later.first?.conversationID == cai)
            // Internal notes are searchable by the team.
            _ = try await h.client.addNote(
                .with {
                    $0.conversationID = ben
                    $0.text = "Rappeler les parents"
                }, metadata: ConversationHarness.agent())

            #expect(Set(try await Self.ids(h, query: "cafe")) == [ana, cai])
            #expect(Set(try await Self.ids(h, query: "CAFÉ")) == [ana, cai])
            #expect(try await Self.ids(h, query: "élève") == [ben])
            #expect(try await Self.ids(h, query: "ÉLÈVE absent") == [ben])
            // Every word must be found in one message.
            #expect(try await Self.ids(h, query: "café absent").isEmpty)
            #expect(try await Self.ids(h, query: "signaler") == [cai])
            #expect(try await Self.ids(h, query: "rappeler") == [ben])
            #expect(try await Self.ids(h, .with { $0.conversationIds = [ana, ben] }, query: "cafe") == [ana])
            #expect(try await Self.ids(h, .with { $0.statuses = [.resolved] }, query: "cafe").isEmpty)
            // Blank is no search at all.
            #expect(Set(try await Self.ids(h, query: "   ")) == [ana, ben, cai])
        }
    }

    @Test func pagesStayCorrectWhileMessagesArrive() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let base = Date().addingTimeInterval(-10_000)
            let created = try await h.ingest(
                (0..<120).map { index in
                    ConversationHarness.message(
                        "p-\(index)", from: "cust-\(index)", at: base.addingTimeInterval(Double(index)))
                })
            #expect(created.allSatisfy { $0.outcome == .created })
            // Index i is customer cust-i, at base + i seconds: the newest is the last.
            let originals = created.map(\.conversationID)
            var seen: [String] = []
            var moved: Set<String> = []
            var newcomers: Set<String> = []
            var token = ""
            var pages = 0
            repeat {
                let page = try await h.client.listConversations(
                    .with {
                        $0.pageSize = 25
                        $0.pageToken = token
                    }, metadata: agent)
                pages += 1
                #expect(page.conversations.count <= 25)
                seen += page.conversations.map(\.id)
                token = page.nextPageToken
                guard !token.isEmpty else { break }
                // Between pages: a new conversation, a new message in a conversation already seen
                // and one in a conversation not seen yet (both move to the front of the list).
                let unseen = 119 - 25 * pages - 10
                let arrivals = try await h.ingest([
                    ConversationHarness.message("new-\(pages)", from: "newcomer-\(pages)"),
                    ConversationHarness.message("again-\(pages)", from: "cust-119"),
                    ConversationHarness.message("moved-\(pages)", from: "cust-\(unseen)"),
                ])
                newcomers.insert(arrivals[0].conversationID)
                #expect(arrivals[1].conversationID == originals[119])
                moved.insert(originals[unseen])
            } while pages < 20

            #expect(Set(seen).count == seen.count, "no conversation is listed twice")
            #expect(Set(originals).subtracting(moved).isSubset(of: Set(seen)), "no gap among those that did not move")
            #expect(
                Set(seen).isDisjoint(with: newcomers), "what arrived after the first page is on the next first page")
            #expect(pages == 5)
            let front = try await h.client.listConversations(.with { $0.pageSize = 10 }, metadata: agent)
            #expect(Set(front.conversations.map(\.id)).isSuperset(of: newcomers))
        }
    }

    @Test func pageSizesAreBoundedAndTokensChecked() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let base = Date().addingTimeInterval(-1000)
            _ = try await h.ingest(
                (0..<55).map { index in
                    ConversationHarness.message(
                        "ps-\(index)", from: "ps-\(index)", at: base.addingTimeInterval(Double(index)))
                })
            let first = try await h.client.listConversations(.with { $0.pageSize = 0 }, metadata: agent)
            #expect(first.conversations.count == 50)
            #expect(!first.nextPageToken.isEmpty)
            let second = try await h.client.listConversations(
                .with { $0.pageToken = first.nextPageToken }, metadata: agent)
            #expect(second.conversations.count == 5)
            #expect(second.nextPageToken.isEmpty)
            #expect(Set((first.conversations + second.conversations).map(\.id)).count == 55)

            for size: Int32 in [101, -1] {
                let refused = await refusal {
                    _ = try await h.client.listConversations(.with { $0.pageSize = size }, metadata: agent)
                }
                #expect(refused?.code == .invalidArgument)
                #expect(refused?.field == "page_size")
            }
            let tokens = [
                "%%% not base64", PageToken.encode("contacts", "whatever"),
                PageToken.encode("conversations", "12:not-an-id"), PageToken.encode("conversations", "soon"),
            ]
            for token in tokens {
                let refused = await refusal {
                    _ = try await h.client.listConversations(.with { $0.pageToken = token }, metadata: agent)
                }
                #expect(refused?.code == .invalidArgument)
                #expect(refused?.reason == "PAGE_TOKEN_INVALID")
                #expect(refused?.field == "page_token")
            }
        }
    }

    @Test func messagesPageByPlatformTimeInBothOrdersWithNotes() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let base = Date().addingTimeInterval(-600)
            // Delivered out of order: listed by platform time all the same.
            let ingested = try await h.ingest([
                ConversationHarness.message("m-3", text: "troisième", at: base.addingTimeInterval(3)),
                ConversationHarness.message("m-1", text: "premier", at: base.addingTimeInterval(1)),
                ConversationHarness.message("m-2", text: "deuxième", at: base.addingTimeInterval(2)),
            ])
            let conversation = ingested[0].conversationID
            #expect(Set(ingested.map(\.conversationID)) == [conversation])
            let (m3, m1, m2) = (ingested[0].messageID, ingested[1].messageID, ingested[2].messageID)
            let note = try await h.client.addNote(
                .with {
                    $0.conversationID = conversation
                    $0.text = "Client fidèle"
                }, metadata: agent)

            let newest = try await h.client.listMessages(.with { $0.conversationID = conversation }, metadata: agent)
            #expect(newest.messages.map(\.id) == [note.id, m3, m2, m1])
            #expect(newest.messages.first?.direction == .note)
            #expect(newest.messages.last?.text == "premier")
            #expect(newest.nextPageToken.isEmpty)
            let oldest = try await h.client.listMessages(
                .with {
                    $0.conversationID = conversation
                    $0.oldestFirst = true
                }, metadata: agent)
            #expect(oldest.messages.map(\.id) == [m1, m2, m3, note.id])

            let first = try await h.client.listMessages(
                .with {
                    $0.conversationID = conversation
                    $0.pageSize = 2
                }, metadata: agent)
            #expect(first.messages.map(\.id) == [note.id, m3])
            let second = try await h.client.listMessages(
                .with {
                    $0.conversationID = conversation
                    $0.pageSize = 2
                    $0.pageToken = first.nextPageToken
                }, metadata: agent)
            #expect(second.messages.map(\.id) == [m2, m1])
            #expect(second.nextPageToken.isEmpty)

            // A token belongs to one conversation and one order.
            let other = try await h.ingest([ConversationHarness.message("o-1", from: "someone-else")])
            let misuses: [Inbox_V1_ListMessagesRequest] = [
                .with {
                    $0.conversationID = conversation
                    $0.oldestFirst = true
                    $0.pageToken = first.nextPageToken
                },
                .with {
                    $0.conversationID = other[0].conversationID
                    $0.pageToken = first.nextPageToken
                },
                .with {
                    $0.conversationID = conversation
                    $0.pageToken = PageToken.encode("conversations", "1:\(UUID().uuidString)")
                },
            ]
            for request in misuses {
                let refused = await refusal { _ = try await h.client.listMessages(request, metadata: agent) }
                #expect(refused?.reason == "PAGE_TOKEN_INVALID")
            }
            let unknown = await refusal {
                _ = try await h.client.listMessages(.with { $0.conversationID = UUID().uuidString }, metadata: agent)
            }
            #expect(unknown?.code == .notFound)
            let malformed = await refusal {
                _ = try await h.client.listMessages(.with { $0.conversationID = "nope" }, metadata: agent)
            }
            #expect(malformed?.code == .invalidArgument)
            #expect(malformed?.field == "conversation_id")
            let tooLarge = await refusal {
                _ = try await h.client.listMessages(
                    .with {
                        $0.conversationID = conversation
                        $0.pageSize = 101
                    }, metadata: agent)
            }
            #expect(tooLarge?.field == "page_size")
        }
    }

    @Test func openingTheInboxIsRecordedOncePerFewMinutes() async throws {
        try await ConversationHarness.with { h in
            let ingested = try await h.ingest([ConversationHarness.message("a-1")])
            let agent = try await ConversationHarness.agent()
            for _ in 0..<3 { _ = try await h.client.listConversations(.init(), metadata: agent) }
            _ = try await h.client.getConversation(
                .with { $0.conversationID = ingested[0].conversationID }, metadata: agent)
            _ = try await h.client.listConversations(.init(), metadata: ConversationHarness.admin())
            let opened = h.peers.activity.filter { $0.kind == .inboxOpened }
            #expect(opened.count == 1)
            #expect(opened.first?.organizationID == ConversationHarness.organization)
            #expect(opened.first?.agentID == "agent-1")
            // Reading messages or contacts is not "opening the inbox" again.
            _ = try await h.client.listContacts(.init(), metadata: agent)
            #expect(h.peers.activity.filter { $0.kind == .inboxOpened }.count == 1)
        }
    }

    @Test func contactsAreFoundByNameAndHandleAndComeWithTheirIdentities() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let people = [
                ("ana", "Ana Lima", "analima"), ("bruno", "Bruno Costa", "bcosta"),
                ("carla", "Carla Souza", "carlinha"), ("eloise", "Éloïse Dupont", "eloise_d"),
            ]
            let ingested = try await h.ingest(
                people.map { customer, name, handle in
                    var event = ConversationHarness.message("c-\(customer)", from: customer)
                    event.author.displayName = name
                    event.author.handle = handle
                    return event
                })
            let all = try await h.client.listContacts(.with { $0.pageSize = 100 }, metadata: agent)
            let names = all.contacts.map(\.displayName)
            #expect(Set(names) == Set(people.map { person in person.1 }))
            // The accented name sorts where the database's collation puts it; the others in order.
            #expect(names.filter { name in name != "Éloïse Dupont" } == ["Ana Lima", "Bruno Costa", "Carla Souza"])
            let ana = try #require(all.contacts.first { $0.displayName == "Ana Lima" })
            #expect(ana.organizationID == ConversationHarness.organization)
            #expect(ana.identities.count == 1)
            #expect(ana.identities.first?.platformUserID == "ana")
            #expect(ana.identities.first?.handle == "analima")
            #expect(ana.identities.first?.platform == .facebook)
            #expect(ana.identities.first?.channelID == "channel-fb")

            // Pages of two, in the same order, nothing twice.
            var paged: [String] = []
            var token = ""
            repeat {
                let page = try await h.client.listContacts(
                    .with {
                        $0.pageSize = 2
                        $0.pageToken = token
                    }, metadata: agent)
                paged += page.contacts.map(\.id)
                token = page.nextPageToken
            } while !token.isEmpty && paged.count < 10
            #expect(paged == all.contacts.map(\.id))

            let searches: [(String, [String])] = [
                ("elo", ["Éloïse Dupont"]), ("DUP", ["Éloïse Dupont"]), ("éloïse dup", ["Éloïse Dupont"]),
                ("carlin", ["Carla Souza"]), ("souza carla", ["Carla Souza"]), ("bcos", ["Bruno Costa"]),
                ("zzz", []), ("!!!", []),
            ]
            for (query, names) in searches {
                let found = try await h.client.listContacts(.with { $0.query = query }, metadata: agent)
                #expect(found.contacts.map(\.displayName) == names, "\(query)")
            }

            let conversation = try await h.client.getConversation(
                .with { $0.conversationID = ingested[0].conversationID }, metadata: agent)
            let contact = try await h.client.getContact(
                .with { $0.contactID = conversation.contactID }, metadata: agent)
            #expect(contact.displayName == "Ana Lima")
            #expect(contact.identities.map(\.platformUserID) == ["ana"])
            let unknown = await refusal {
                _ = try await h.client.getContact(.with { $0.contactID = UUID().uuidString }, metadata: agent)
            }
            #expect(unknown?.code == .notFound)
            let malformed = await refusal {
                _ = try await h.client.getContact(.with { $0.contactID = "x" }, metadata: agent)
            }
            #expect(malformed?.field == "contact_id")
            let badToken = await refusal {
                _ = try await h.client.listContacts(.with { $0.pageToken = "nope" }, metadata: agent)
            }
            #expect(badToken?.reason == "PAGE_TOKEN_INVALID")
        }
    }

    // MARK: Helpers

    /// The ids of the first page (up to 100) an agent lists.
    private static func ids(
        _ h: ConversationHarness, _ filter: Inbox_V1_ConversationFilter = .init(), query: String = ""
    )
        async throws -> [String]
    {
        try await h.client.listConversations(
            .with {
                $0.filter = filter
                $0.query = query
                $0.pageSize = 100
            }, metadata: ConversationHarness.agent()
        ).conversations.map(\.id)
    }

    private static func sql(_ h: ConversationHarness, _ query: PostgresQuery) async throws {
        try await h.database.query(query)
    }
}
