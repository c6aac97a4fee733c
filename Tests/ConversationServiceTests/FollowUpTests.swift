import Foundation
import InboxAPI
import InboxKit
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ConversationService

/// The work ingest leaves for after its commit, carried out by the FollowUpWorker against the
/// peer stand-ins: routing (retried while assignment-service is down, once per conversation and
/// reopening), automatic-reply candidates (once per customer message, never for echoes) and the
/// automatic replies themselves (sent without the human-agent tag, or dropped when policy refuses).
@Suite("conversation-service: follow-ups after ingest")
struct FollowUpTests {
    @Test func routingIsRetriedUntilAssignmentAnswersThenEachConversationIsRoutedOnce() async throws {
        try await ConversationHarness.with { h in
            h.peers.with { $0.failRouting = 2 }
            let at = Date().addingTimeInterval(-120)
            let results = try await h.ingest([
                ConversationHarness.message("m1", from: "c1", text: "Où est mon colis ?", at: at),
                ConversationHarness.message("m2", from: "c2", text: "Bonjour", at: at),
                ConversationHarness.message("m3", from: "c1", text: "Commande 42", at: at + 1),
            ])
            #expect(results.allSatisfy { $0.outcome == .created })
            let conversations = Set(results.map(\.conversationID))
            #expect(conversations.count == 2)

            #expect(try await h.eventually { h.peers.routed.count == 2 })
            #expect(h.peers.with { $0.failRouting } == 0)
            #expect(try await h.eventually { try await FollowUpStore.due(h, "route") == 0 })

            // Routed after them: a repeat of the first two would have reached the stand-in by then.
            let later = try #require(try await h.ingest([ConversationHarness.message("m4", from: "c3")]).first)
            #expect(try await h.eventually { h.peers.routed.count == 3 })
            let routed = h.peers.routed
            #expect(routed.map(\.conversationID).sorted() == (Array(conversations) + [later.conversationID]).sorted())

            let first = try #require(routed.first { $0.conversationID == results[0].conversationID })
            #expect(first.routeKey == "\(results[0].conversationID):0")
            #expect(!first.reopened)
            #expect(first.organizationID == ConversationHarness.organization)
            #expect(first.channelID == "channel-fb")
            #expect(first.platform == .facebook)
            #expect(first.kind == .directMessage)
            #expect(first.text == "Commande 42")
            #expect(!first.contactID.isEmpty)
            // Messenger: the reply window closes 24 hours after the customer's last message.
            #expect(abs(first.respondBy.date.timeIntervalSince(at + 1 + 86_400)) < 0.001)
        }
    }

    @Test func aPeerThatIsDownDelaysTheFollowUpAndNeverLosesIt() async throws {
        try await ConversationHarness.with { h in
            h.peers.with { $0.failRouting = 1_000_000 }
            let result = try #require(try await h.ingest([ConversationHarness.message("m1")]).first)
            #expect(result.outcome == .created)
            #expect(
                try await h.eventually {
                    try await FollowUpStore.count(
                        h,
                        """
                        SELECT count(*) FROM follow_ups
                        WHERE kind = 'route' AND attempts >= 2 AND last_error <> '' AND next_attempt_at > created_at
                        """) == 1
                })
            #expect(h.peers.routed.isEmpty)

            h.peers.with { $0.failRouting = 0 }
            #expect(try await h.eventually { h.peers.routed.count == 1 })
            #expect(h.peers.routed.first?.conversationID == result.conversationID)
            #expect(try await h.eventually { try await FollowUpStore.due(h, "route") == 0 })
        }
    }

    @Test func aReopenedConversationIsRoutedAgainUnderANewKey() async throws {
        try await ConversationHarness.with { h in
            let first = try #require(try await h.ingest([ConversationHarness.message("m1")]).first)
            #expect(try await h.eventually { h.peers.routed.count == 1 })
            try await h.database.query(
                "UPDATE conversations SET status = 'resolved' WHERE id = \(first.conversationID)::uuid")

            _ = try await h.ingest([ConversationHarness.message("m2", text: "Encore moi")])
            #expect(try await h.eventually { h.peers.routed.count == 2 })
            let again = try #require(h.peers.routed.last)
            #expect(again.conversationID == first.conversationID)
            #expect(again.reopened)
            #expect(again.routeKey == "\(first.conversationID):1")
            #expect(again.text == "Encore moi")
        }
    }

    @Test func aConversationOnlyOurEchoOpenedIsRoutedWhenTheCustomerWrites() async throws {
        try await ConversationHarness.with { h in
            var echo = ConversationHarness.message(
                "out-1", text: "Votre commande est prête", at: Date().addingTimeInterval(-120))
            echo.author = .with { $0.platformUserID = "page-1" }
            echo.flags.isEcho = true
            let opened = try #require(try await h.ingest([echo]).first)
            #expect(opened.outcome == .created)

            // Queued after the echo: had the echo's conversation been queued, it would be routed too.
            let other = try #require(try await h.ingest([ConversationHarness.message("m9", from: "c9")]).first)
            #expect(try await h.eventually { h.peers.routed.count == 1 })
            #expect(h.peers.routed.map(\.conversationID) == [other.conversationID])

            let answer = try #require(try await h.ingest([ConversationHarness.message("m1", text: "Merci")]).first)
            #expect(answer.conversationID == opened.conversationID)
            #expect(try await h.eventually { h.peers.routed.count == 2 })
            let routed = try #require(h.peers.routed.last)
            #expect(routed.conversationID == opened.conversationID)
            #expect(routed.routeKey == "\(opened.conversationID):0")
            #expect(!routed.reopened)
            #expect(routed.text == "Merci")
        }
    }

    @Test func eachCustomerMessageIsOfferedToTheAutomaticRepliesOnce() async throws {
        try await ConversationHarness.with { h in
            h.peers.with { $0.failAutoReplies = 1 }
            let at = Date().addingTimeInterval(-60)
            var echo = ConversationHarness.message("out-1", text: "Un instant", at: at + 1)
            echo.author = .with { $0.platformUserID = "page-1" }
            echo.flags.isEcho = true
            let results = try await h.ingest([
                ConversationHarness.message("m1", text: "Vous êtes ouverts ?", at: at), echo,
                ConversationHarness.message("m1", text: "Vous êtes ouverts ?", at: at),
            ])
            #expect(results.map(\.outcome) == [.created, .created, .duplicate])
            #expect(try await h.eventually { h.peers.candidates.count == 1 })
            #expect(try await h.eventually { try await FollowUpStore.due(h, "auto_reply") == 0 })
            #expect(h.peers.with { $0.failAutoReplies } == 0)

            let candidate = try #require(h.peers.candidates.first)
            #expect(candidate.messageID == results[0].messageID)
            #expect(candidate.conversationID == results[0].conversationID)
            #expect(candidate.organizationID == ConversationHarness.organization)
            #expect(candidate.eventType == .message)
            #expect(!candidate.isEcho)
            #expect(candidate.text == "Vous êtes ouverts ?")
            #expect(candidate.platform == .facebook)
            #expect(candidate.conversationKind == .directMessage)
            #expect(abs(candidate.receivedAt.date.timeIntervalSince(at)) < 0.001)

            // Offered after it: a second offer of m1 (or one of the echo) would have come first.
            let next = try #require(try await h.ingest([ConversationHarness.message("m2", at: at + 2)]).first)
            #expect(try await h.eventually { h.peers.candidates.count == 2 })
            #expect(h.peers.candidates.map(\.messageID) == [results[0].messageID, next.messageID])
        }
    }

    @Test func anAutomaticReplyIsSentWithoutTheHumanAgentTag() async throws {
        try await ConversationHarness.with { h in
            h.peers.with { $0.autoReply = { _ in "Merci ! Nous revenons vers vous." } }
            let result = try #require(
                try await h.ingest([ConversationHarness.message("m1", at: Date().addingTimeInterval(-60))]).first)
            #expect(try await h.eventually { h.peers.deliveries.count == 1 })
            let delivery = try #require(h.peers.deliveries.first)
            #expect(delivery.automatic)
            #expect(delivery.tag != .humanAgent)
            #expect(delivery.text == "Merci ! Nous revenons vers vous.")
            #expect(delivery.conversationID == result.conversationID)
            #expect(delivery.organizationID == ConversationHarness.organization)
            #expect(delivery.idempotencyKey == "auto-reply:\(result.messageID)")
            #expect(h.peers.with { $0.policyCalls.contains("CheckReply") })
            #expect(
                try await FollowUpStore.count(
                    h,
                    """
                    SELECT count(*) FROM messages
                    WHERE conversation_id = \(result.conversationID)::uuid AND direction = 'outbound' AND automatic
                    """) == 1)
            #expect(try await h.eventually { h.peers.activity.contains { $0.kind == .automaticReply } })
            #expect(h.peers.deliveries.count == 1)
        }
    }

    @Test func anAutomaticReplyOutsideTheWindowIsDroppedAsPolicySays() async throws {
        try await ConversationHarness.with { h in
            h.peers.with { $0.autoReply = { _ in "Merci !" } }
            // Two days after the customer wrote, Messenger allows only human-written replies (tagged).
            let late = Date().addingTimeInterval(-2 * 86_400)
            let result = try #require(try await h.ingest([ConversationHarness.message("m1", at: late)]).first)
            #expect(try await h.eventually { h.peers.candidates.count == 1 })
            #expect(try await h.eventually { try await FollowUpStore.due(h, "auto_reply") == 0 })
            #expect(h.peers.with { $0.policyCalls.contains("CheckReply") })
            #expect(
                try await FollowUpStore.count(
                    h,
                    """
                    SELECT count(*) FROM messages
                    WHERE conversation_id = \(result.conversationID)::uuid AND direction = 'outbound'
                    """) == 0)
            #expect(try await FollowUpStore.count(h, "SELECT count(*) FROM delivery_outbox") == 0)
            #expect(h.peers.deliveries.isEmpty)
        }
    }
}

private enum FollowUpStore {
    static func count(_ h: ConversationHarness, _ query: PostgresQuery) async throws -> Int {
        for try await count in try await h.database.query(query).decode(Int.self) { return count }
        return 0
    }

    /// Follow-ups of `kind` still queued (waiting or being retried).
    static func due(_ h: ConversationHarness, _ kind: String) async throws -> Int {
        try await Self.count(h, "SELECT count(*) FROM follow_ups WHERE kind = \(kind)")
    }
}
