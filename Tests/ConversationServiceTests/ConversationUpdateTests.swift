import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ConversationService

/// The small mutations through the RPCs against PostgreSQL: UpdateConversation (mask,
/// validation, snooze and its wake-up), MarkConversationRead, AddNote and the SetAssignee read
/// model; each one change-logged.
@Suite("conversation-service: updates, snoozes, read state, notes and assignees")
struct ConversationUpdateTests {
    @Test func updatesAreValidatedWholeBeforeAnythingIsWritten() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let id = try await h.ingest([ConversationHarness.message("u-1")])[0].conversationID
            func expectRefused(
                _ field: String, code: RPCError.Code = .invalidArgument,
                sourceLocation: SourceLocation = #_sourceLocation,
                _ configure: (inout Inbox_V1_UpdateConversationRequest) -> Void
            ) async {
                var request = Inbox_V1_UpdateConversationRequest.with { $0.conversationID = id }
                configure(&request)
                let refused = await refusal { _ = try await h.client.updateConversation(request, metadata: agent) }
                #expect(refused?.code == code, sourceLocation: sourceLocation)
                #expect(refused?.field == field, sourceLocation: sourceLocation)
            }
            let future = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(3600))
            await expectRefused("update_mask") { $0.status = .resolved }
            await expectRefused("update_mask") { $0.updateMask = Self.mask("priority") }
            await expectRefused("status") {
                $0.updateMask = Self.mask("status")
                $0.status = .unspecified
            }
            await expectRefused("status") {
                $0.updateMask = Self.mask("status")
                $0.status = .UNRECOGNIZED(9)
            }
            await expectRefused("snoozed_until") {
                $0.updateMask = Self.mask("snoozed_until")
                $0.snoozedUntil = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(-60))
            }
            await expectRefused("snoozed_until") {
                $0.updateMask = Self.mask("status", "snoozed_until")
                $0.status = .open
                $0.snoozedUntil = future
            }
            await expectRefused("tags") {
                $0.updateMask = Self.mask("tags")
                $0.tags = (0..<21).map { index in "t\(index)" }
            }
            await expectRefused("tags") {
                $0.updateMask = Self.mask("tags")
                $0.tags = [String(repeating: "x", count: 51)]
            }
            await expectRefused("tags") {
                $0.updateMask = Self.mask("tags")
                $0.tags = ["ok", "  "]
            }
            // A valid status beside invalid tags: nothing is written.
            await expectRefused("tags") {
                $0.updateMask = Self.mask("status", "tags")
                $0.status = .resolved
                $0.tags = [String(repeating: "x", count: 51)]
            }
            await expectRefused("conversation_id") {
                $0.conversationID = "nope"
                $0.updateMask = Self.mask("status")
                $0.status = .resolved
            }
            await expectRefused("", code: .notFound) {
                $0.conversationID = UUID().uuidString
                $0.updateMask = Self.mask("status")
                $0.status = .resolved
            }
            let unchanged = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
            #expect(unchanged.status == .open)
            #expect(unchanged.tags.isEmpty)
        }
    }

    @Test func statusAndTagsChangeByMaskAndEachChangeIsLogged() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let id = try await h.ingest([ConversationHarness.message("u-1")])[0].conversationID
            let logged = try await Self.changes(h, id, type: "conversation_updated")

            let tagged = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("tags")
                    $0.tags = ["  VIP", "vip", "Billing"]
                    $0.status = .resolved  // not in the mask: ignored
                }, metadata: agent)
            #expect(tagged.tags == ["vip", "billing"])
            #expect(tagged.status == .open)
            #expect(tagged.hasReplyCapability)

            let resolved = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("status")
                    $0.status = .resolved
                }, metadata: agent)
            #expect(resolved.status == .resolved)
            #expect(resolved.tags == ["vip", "billing"])
            let read = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
            #expect(read.status == .resolved)
            #expect(read.tags == ["vip", "billing"])
            #expect(try await Self.changes(h, id, type: "conversation_updated") == logged + 2)

            // The same values again change nothing and log nothing.
            _ = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("status", "tags")
                    $0.status = .resolved
                    $0.tags = ["VIP", "billing"]
                }, metadata: agent)
            #expect(try await Self.changes(h, id, type: "conversation_updated") == logged + 2)

            let cleared = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("tags")
                }, metadata: agent)
            #expect(cleared.tags.isEmpty)
        }
    }

    @Test func aSnoozeMakesItPendingAndItWakesByItself() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let id = try await h.ingest([ConversationHarness.message("z-1")])[0].conversationID
            let later = Date().addingTimeInterval(3600)
            let snoozed = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("snoozed_until")
                    $0.snoozedUntil = Google_Protobuf_Timestamp(date: later)
                }, metadata: agent)
            #expect(snoozed.status == .pending)
            #expect(snoozed.hasSnoozedUntil)
            #expect(abs(snoozed.snoozedUntil.date.timeIntervalSince(later)) < 0.001)
            let filtered = try await h.client.listConversations(
                .with { $0.filter.statuses = [.pending] }, metadata: agent)
            #expect(filtered.conversations.map(\.id) == [id])

            // OPEN (or RESOLVED) ends the snooze.
            let opened = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("status")
                    $0.status = .open
                }, metadata: agent)
            #expect(opened.status == .open)
            #expect(!opened.hasSnoozedUntil)

            // Clearing the snooze alone keeps the conversation PENDING (waiting on the customer).
            _ = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("status", "snoozed_until")
                    $0.status = .pending
                    $0.snoozedUntil = Google_Protobuf_Timestamp(date: later)
                }, metadata: agent)
            let unsnoozed = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("snoozed_until")
                }, metadata: agent)
            #expect(unsnoozed.status == .pending)
            #expect(!unsnoozed.hasSnoozedUntil)

            // A snooze a second ahead: the waker opens it again, change-logged.
            let logged = try await Self.changes(h, id, type: "conversation_updated")
            let short = try await h.client.updateConversation(
                .with {
                    $0.conversationID = id
                    $0.updateMask = Self.mask("snoozed_until")
                    $0.snoozedUntil = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(1))
                }, metadata: agent)
            #expect(short.status == .pending)
            let woke = try await h.eventually(timeout: .seconds(6)) {
                let now = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
                return now.status == .open && !now.hasSnoozedUntil
            }
            #expect(woke)
            #expect(try await Self.changes(h, id, type: "conversation_updated") == logged + 2)
        }
    }

    @Test func markingReadCountsTheInboundMessagesAfterTheReadPoint() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let base = Date().addingTimeInterval(-600)
            let ingested = try await h.ingest(
                (1...3).map { index in
                    ConversationHarness.message("r-\(index)", at: base.addingTimeInterval(Double(index)))
                })
            let id = ingested[0].conversationID
            let (m1, m3) = (ingested[0].messageID, ingested[2].messageID)
            let before = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
            #expect(before.unreadCount == 3)
            // A note is not a customer message: it never counts as unread.
            _ = try await h.client.addNote(
                .with {
                    $0.conversationID = id
                    $0.text = "à suivre"
                }, metadata: agent)
            let logged = try await Self.changes(h, id, type: "conversation_updated")
            let first = try await h.client.markConversationRead(
                .with {
                    $0.conversationID = id
                    $0.upToMessageID = m1
                }, metadata: agent)
            let messages = try await h.client.listMessages(
                .with {
                    $0.conversationID = id
                    $0.oldestFirst = true
                }, metadata: agent)
            #expect(first.unreadCount == 2)
            #expect(first.lastReadAt == messages.messages.first?.platformTime)
            let all = try await h.client.markConversationRead(
                .with {
                    $0.conversationID = id
                    $0.upToMessageID = m3
                }, metadata: agent)
            #expect(all.unreadCount == 0)
            #expect(try await Self.changes(h, id, type: "conversation_updated") == logged + 2)

            _ = try await h.ingest([ConversationHarness.message("r-4")])
            #expect(
                try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent).unreadCount == 1)
            let loggedAfterIngest = try await Self.changes(h, id, type: "conversation_updated")
            let called = Date()
            let everything = try await h.client.markConversationRead(.with { $0.conversationID = id }, metadata: agent)
            #expect(everything.unreadCount == 0)
            #expect(everything.lastReadAt.date.timeIntervalSince(called) > -1)
            #expect(try await Self.changes(h, id, type: "conversation_updated") == loggedAfterIngest + 1)

            let other = try await h.ingest([ConversationHarness.message("r-other", from: "someone-else")])
            func expectRefused(
                _ field: String, code: RPCError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                _ configure: (inout Inbox_V1_MarkConversationReadRequest) -> Void
            ) async {
                var request = Inbox_V1_MarkConversationReadRequest.with { $0.conversationID = id }
                configure(&request)
                let refused = await refusal { _ = try await h.client.markConversationRead(request, metadata: agent) }
                #expect(refused?.code == code, sourceLocation: sourceLocation)
                #expect(refused?.field == field, sourceLocation: sourceLocation)
            }
            await expectRefused("", code: .notFound) { $0.upToMessageID = UUID().uuidString }
            // A message of another conversation is not a read point of this one.
            await expectRefused("", code: .notFound) { $0.upToMessageID = other[0].messageID }
            await expectRefused("up_to_message_id", code: .invalidArgument) { $0.upToMessageID = "nope" }
            await expectRefused("", code: .notFound) { $0.conversationID = UUID().uuidString }
            let unchanged = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
            #expect(unchanged.unreadCount == 0)
        }
    }

    @Test func notesAreIdempotentStayInternalAndLeaveTheListAlone() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let id = try await h.ingest([ConversationHarness.message("n-1")])[0].conversationID
            let before = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
            let logged = try await Self.changes(h, id, type: "message_created")

            let note = try await h.client.addNote(
                .with {
                    $0.conversationID = id
                    $0.text = "  Client VIP, rappeler demain  "
                    $0.idempotencyKey = "note-1"
                }, metadata: agent)
            #expect(note.direction == .note)
            #expect(note.text == "Client VIP, rappeler demain")
            #expect(note.agentID == "agent-1")
            #expect(note.author == Inbox_V1_Author())
            #expect(note.conversationID == id)
            #expect(note.organizationID == ConversationHarness.organization)
            #expect(note.idempotencyKey == "note-1")

            let again = try await h.client.addNote(
                .with {
                    $0.conversationID = id
                    $0.text = "Client VIP, rappeler demain"
                    $0.idempotencyKey = "note-1"
                }, metadata: agent)
            #expect(again.id == note.id)
            let reused = await refusal {
                _ = try await h.client.addNote(
                    .with {
                        $0.conversationID = id
                        $0.text = "Autre chose"
                        $0.idempotencyKey = "note-1"
                    }, metadata: agent)
            }
            #expect(reused?.code == .alreadyExists)
            #expect(reused?.reason == "IDEMPOTENCY_KEY_REUSED")
            var unkeyed: [String] = []
            for _ in 1...2 {
                let plain = try await h.client.addNote(
                    .with {
                        $0.conversationID = id
                        $0.text = "Sans clé"
                    }, metadata: agent)
                unkeyed.append(plain.id)
            }
            #expect(Set(unkeyed).count == 2)

            let messages = try await h.client.listMessages(.with { $0.conversationID = id }, metadata: agent)
            #expect(Set(messages.messages.map(\.id)).isSuperset(of: [note.id] + unkeyed))
            // Not customer or team activity: the row, its place and its counters stay as they were.
            let after = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
            #expect(after.lastMessageAt == before.lastMessageAt)
            #expect(after.preview == before.preview)
            #expect(after.lastMessage.messageID == before.lastMessage.messageID)
            #expect(after.unreadCount == before.unreadCount)
            #expect(after.messageCount == before.messageCount)
            // Watchers learn of each note once.
            #expect(try await Self.changes(h, id, type: "message_created") == logged + 3)
            // Never sent to a platform.
            try await Task.sleep(for: .milliseconds(300))
            #expect(h.peers.deliveries.isEmpty)

            func expectRefused(
                _ field: String, code: RPCError.Code = .invalidArgument,
                sourceLocation: SourceLocation = #_sourceLocation,
                _ configure: (inout Inbox_V1_AddNoteRequest) -> Void
            ) async {
                var request = Inbox_V1_AddNoteRequest.with {
                    $0.conversationID = id
                    $0.text = "ok"
                }
                configure(&request)
                let refused = await refusal { _ = try await h.client.addNote(request, metadata: agent) }
                #expect(refused?.code == code, sourceLocation: sourceLocation)
                #expect(refused?.field == field, sourceLocation: sourceLocation)
            }
            await expectRefused("text") { $0.text = "   " }
            await expectRefused("text") { $0.text = String(repeating: "é", count: 10_001) }
            await expectRefused("idempotency_key") { $0.idempotencyKey = "a b" }
            await expectRefused("idempotency_key") { $0.idempotencyKey = String(repeating: "k", count: 129) }
            await expectRefused("conversation_id") { $0.conversationID = "nope" }
            await expectRefused("", code: .notFound) { $0.conversationID = UUID().uuidString }
        }
    }

    @Test func assigneesApplyByVersionWithAResultPerItem() async throws {
        try await ConversationHarness.with { h in
            let service = try await ConversationHarness.service()
            let agent = try await ConversationHarness.agent()
            let id = try await h.ingest([ConversationHarness.message("a-1")])[0].conversationID
            func item(
                _ agent: String, _ team: String, _ version: Int64, conversation: String? = nil,
                organization: String = ConversationHarness.organization
            ) -> Inbox_V1_SetAssigneeItem {
                .with {
                    $0.organizationID = organization
                    $0.conversationID = conversation ?? id
                    $0.agentID = agent
                    $0.teamID = team
                    $0.version = version
                }
            }
            let logged = try await Self.changes(h, id, type: "conversation_updated")
            let first = try await h.client.setAssignee(
                .with { $0.items = [item("agent-a", "team-t", 1)] }, metadata: service)
            #expect(first.results.map(\.outcome) == [.applied])
            #expect(first.results.first?.version == 1)

            let unknown = UUID().uuidString
            let batch = try await h.client.setAssignee(
                .with {
                    $0.items = [
                        item("agent-a", "team-t", 1),  // the same version again
                        item("agent-b", "team-t", 3),
                        item("agent-c", "team-t", 2),  // older than what is now applied
                        item("agent-d", "", 9, conversation: unknown),
                        item("agent-d", "", 9, conversation: "nope"),
                        item("agent-d", "", 9, organization: ""),
                        item("agent-d", "", 0),
                    ]
                }, metadata: service)
            #expect(
                batch.results.map(\.outcome) == [.stale, .applied, .stale, .notFound, .invalid, .invalid, .invalid])
            #expect(batch.results.map(\.version) == [1, 3, 3, 0, 0, 0, 0])
            #expect(batch.results.map(\.conversationID) == [id, id, id, unknown, "nope", id, id])
            #expect(batch.results.prefix(3).allSatisfy { !$0.hasError })
            #expect(batch.results[3].error.code == Int32(RPCError.Code.notFound.rawValue))
            #expect(batch.results[4].error.code == Int32(RPCError.Code.invalidArgument.rawValue))
            #expect(batch.results[4].error.message.contains("items[4].conversation_id"))
            #expect(batch.results[5].error.message.contains("items[5].organization_id"))
            #expect(batch.results[6].error.message.contains("items[6].version"))

            let assigned = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
            #expect(assigned.assigneeAgentID == "agent-b")
            #expect(assigned.assigneeTeamID == "team-t")
            let byAgent = try await h.client.listConversations(
                .with { $0.filter.assigneeAgentID = "agent-b" }, metadata: agent)
            #expect(byAgent.conversations.map(\.id) == [id])
            let byOldAgent = try await h.client.listConversations(
                .with { $0.filter.assigneeAgentID = "agent-a" }, metadata: agent)
            #expect(byOldAgent.conversations.isEmpty)

            // Both empty: unassigned. Two versions of one conversation in one batch apply in order.
            let unassigned = try await h.client.setAssignee(
                .with { $0.items = [item("agent-x", "team-t", 4), item("", "", 5)] }, metadata: service)
            #expect(unassigned.results.map(\.outcome) == [.applied, .applied])
            let read = try await h.client.getConversation(.with { $0.conversationID = id }, metadata: agent)
            #expect(read.assigneeAgentID.isEmpty)
            #expect(read.assigneeTeamID.isEmpty)
            let queue = try await h.client.listConversations(.with { $0.filter.unassignedOnly = true }, metadata: agent)
            #expect(queue.conversations.map(\.id) == [id])
            // One change per conversation and batch that applied something.
            #expect(try await Self.changes(h, id, type: "conversation_updated") == logged + 3)

            // The read model is assignment-service's: an agent's token may not write it.
            let refused = await refusal {
                _ = try await h.client.setAssignee(.with { $0.items = [item("agent-z", "", 99)] }, metadata: agent)
            }
            #expect(refused?.code == .permissionDenied)
        }
    }

    // MARK: Helpers

    private static func mask(_ paths: String...) -> Google_Protobuf_FieldMask {
        .with { $0.paths = paths }
    }

    /// How many changes of `type` the change log holds for the conversation.
    private static func changes(_ h: ConversationHarness, _ conversationID: String, type: String) async throws -> Int {
        let id = try #require(UUID(uuidString: conversationID))
        let rows = try await h.database.query(
            "SELECT count(*)::int8 FROM changes WHERE conversation_id = \(id) AND type = \(type)")
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}
