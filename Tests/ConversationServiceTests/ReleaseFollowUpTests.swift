import Foundation
import InboxAPI
import InboxKit
import PostgresNIO
import TestSupport
import Testing

@testable import ConversationService

/// Resolving a conversation releases its assignment at assignment-service (the capacity comes
/// back at once): a follow-up per resolution, retried until it succeeds, delivered once, and
/// never overtaken by the route of the reopening that follows it.
@Suite("conversation-service: releasing resolved conversations")
struct ReleaseFollowUpTests {
    static func resolve(_ h: ConversationHarness, _ id: String) async throws {
        _ = try await h.client.updateConversation(
            .with {
                $0.conversationID = id
                $0.updateMask = .with { $0.paths = ["status"] }
                $0.status = .resolved
            }, metadata: ConversationHarness.agent())
    }

    static func queued(_ h: ConversationHarness, _ kind: String) async throws -> Int {
        for try await count in try await h.database.query(
            "SELECT count(*) FROM follow_ups WHERE kind = \(kind)"
        ).decode(Int.self) {
            return count
        }
        return 0
    }

    @Test func resolvingReleasesTheAssignmentOnce() async throws {
        try await ConversationHarness.with { h in
            let created = try #require(try await h.ingest([ConversationHarness.message("m1")]).first)
            let routed = try await h.eventually { h.peers.routed.count == 1 }
            #expect(routed)

            try await Self.resolve(h, created.conversationID)
            let released = try await h.eventually { h.peers.released.count == 1 }
            #expect(released)
            let release = try #require(h.peers.released.first)
            #expect(release.organizationID == ConversationHarness.organization)
            #expect(release.conversationID == created.conversationID)
            #expect(release.reason == .resolved)
            let settled = try await h.eventually { try await Self.queued(h, "release") == 0 }
            #expect(settled)

            // Resolving it again changes nothing, so nothing more is released.
            try await Self.resolve(h, created.conversationID)
            let queued = try await Self.queued(h, "release")
            #expect(queued == 0)
            #expect(h.peers.released.count == 1)
        }
    }

    @Test func aReleaseIsRetriedUntilAssignmentAnswersAndArrivesOnce() async throws {
        try await ConversationHarness.with { h in
            let created = try #require(try await h.ingest([ConversationHarness.message("m1")]).first)
            let routed = try await h.eventually { h.peers.routed.count == 1 }
            #expect(routed)
            h.peers.with { $0.failReleases = 2 }

            try await Self.resolve(h, created.conversationID)
            let settled = try await h.eventually { try await Self.queued(h, "release") == 0 }
            #expect(settled)
            #expect(h.peers.with { $0.failReleases } == 0)
            #expect(h.peers.released.map(\.conversationID) == [created.conversationID])
        }
    }

    @Test func theReopeningsRouteWaitsForThePreviousResolutionsRelease() async throws {
        try await ConversationHarness.with { h in
            let at = Date().addingTimeInterval(-60)
            let created = try #require(try await h.ingest([ConversationHarness.message("m1", at: at)]).first)
            let routed = try await h.eventually { h.peers.routed.count == 1 }
            #expect(routed)
            h.peers.with { $0.failReleases = 3 }

            // Resolved, then reopened by the customer while the release still fails.
            try await Self.resolve(h, created.conversationID)
            let reopened = try #require(
                try await h.ingest([ConversationHarness.message("m2", text: "Encore moi", at: at + 1)]).first)
            #expect(reopened.conversationID == created.conversationID)

            let done = try await h.eventually {
                let releases = try await Self.queued(h, "release")
                let routes = try await Self.queued(h, "route")
                return releases == 0 && routes == 0
            }
            #expect(done)
            let id = created.conversationID
            #expect(h.peers.with { $0.assignmentLog } == ["route \(id):0", "release \(id)", "route \(id):1"])
            #expect(h.peers.routed.last?.reopened == true)
        }
    }
}
