import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import ConversationService

/// WatchConversations through the real RPC against PostgreSQL: live changes in commit order,
/// filters and `left_filter`, heartbeats, resuming (also on another replica), RESET for a resume
/// point the log no longer holds, refusals, isolation between organisations, releasing a
/// cancelled watch, cutting off a client that stops reading, and the change log's retention.
@Suite("conversation-service: WatchConversations, the change feed and the change log's retention")
struct WatchTests {
    @Test func anIngestedMessageArrivesAsConversationThenMessageWithinASecond() async throws {
        try await ConversationHarness.with { h in
            try await watch(h) { events in
                try await ready(&events)
                let results = try await h.ingest([ConversationHarness.message("m-1")])
                let ingested = ContinuousClock.now
                let result = try #require(results.first)
                var received: [Inbox_V1_ConversationEvent] = []
                while !received.contains(where: { $0.type == .messageCreated }) {
                    received += try await take(1, from: &events)
                }
                #expect(ContinuousClock.now - ingested < .seconds(1))
                #expect(received.first?.type == .conversationCreated)
                #expect(received.allSatisfy { $0.conversation.id == result.conversationID })
                let message = try #require(received.last)
                #expect(message.message.id == result.messageID)
                #expect(message.message.text == "Bonjour, ma commande ?")
                let seqs = try received.map(seq)
                #expect(seqs == seqs.sorted())
                #expect(Set(seqs).count == seqs.count)
                #expect(received.allSatisfy { $0.hasOccurredAt && !$0.leftFilter })
            }
        }
    }

    @Test func aFilterExcludesOthersAndALeavingConversationIsToldOnce() async throws {
        try await ConversationHarness.with { h in
            let changes = ChangeWriter(harness: h)
            try await watch(h, .with { $0.filter.statuses = [.open] }) { events in
                try await ready(&events)
                let watched = try await changes.create(status: "open")
                try await changes.create(status: "pending")
                // One transaction that changes the watched conversation twice while resolving it.
                try await changes.update(watched, status: "resolved", items: 2)
                try await changes.update(watched, status: "pending")
                let marker = try await changes.create(status: "open")

                let seen = try await take(3, from: &events)
                #expect(seen.map(\.conversation.id) == [watched.text, watched.text, marker.text])
                #expect(seen.map(\.type) == [.conversationCreated, .conversationUpdated, .conversationCreated])
                #expect(seen.map(\.leftFilter) == [false, true, false])
                #expect(seen[1].conversation.status == .resolved)

                // Open again: it matches again, so it is told again.
                try await changes.update(watched, status: "open")
                let backAgain = try await take(1, from: &events)
                let back = try #require(backAgain.first)
                #expect(back.conversation.id == watched.text)
                #expect(back.type == .conversationUpdated)
                #expect(!back.leftFilter)
                let after = try await events.next()
                #expect(after?.type == .heartbeat)
            }
        }
    }

    @Test func aQuietWatchGetsHeartbeatsCarryingTheCurrentCursor() async throws {
        try await ConversationHarness.with { h in
            let changes = ChangeWriter(harness: h)
            try await changes.create()
            try await watch(h) { events in
                let started = ContinuousClock.now
                let first = try await ready(&events)
                // The heartbeat is due after 300 ms; the bound is loose because the whole suite
                // runs beside this test on two cores.
                #expect(ContinuousClock.now - started < .seconds(10))
                #expect(try seq(first) == 1)
                #expect(!first.hasConversation)
                #expect(!first.hasMessage)

                let id = try await changes.create()
                let received = try await take(1, from: &events)
                let change = try #require(received.first)
                #expect(change.conversation.id == id.text)
                let next = try await events.next()
                let beat = try #require(next)
                #expect(beat.type == .heartbeat)
                #expect(beat.cursor == change.cursor)
            }
        }
    }

    @Test func resumingWithTheLastCursorReplaysExactlyTheMissedChanges() async throws {
        try await ConversationHarness.with { h in
            let changes = ChangeWriter(harness: h)
            let last: String = try await watch(h) { events in
                try await ready(&events)
                try await changes.create()
                try await changes.create()
                return try await take(2, from: &events)[1].cursor
            }
            var missed: [String] = []
            for _ in 0..<3 { missed.append(try await changes.create().text) }

            let replayed: [Inbox_V1_ConversationEvent] = try await watch(h, .with { $0.resumeToken = last }) {
                events in
                let three = try await take(3, from: &events)
                let after = try await events.next()
                #expect(after?.type == .heartbeat)
                return three
            }
            #expect(replayed.map(\.conversation.id) == missed)
            #expect(try replayed.map(seq) == [3, 4, 5])
        }
    }

    /// Changes are numbered without a lock, so a transaction that started writing first may commit
    /// last. Its change is not skipped: a change committed meanwhile waits until the older
    /// transaction ends, then both come, the older one's first (the log's order).
    @Test func aChangeCommittedWhileAnOlderTransactionRunsWaitsForItAndNothingIsSkipped() async throws {
        try await ConversationHarness.with { h in
            let changes = ChangeWriter(harness: h)
            let older = UUID()
            let wrote = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let events: [Inbox_V1_ConversationEvent] = try await watch(h, limit: .seconds(20)) { events in
                try await ready(&events)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await changes.create(id: older) {
                            // Written, numbered, not committed: hold the transaction open.
                            wrote.continuation.yield()
                            for await _ in release.stream { break }
                        }
                    }
                    for await _ in wrote.stream { break }
                    let newer = try await changes.create()
                    // The newer change is committed, but an older transaction still runs: only
                    // heartbeats come for a while.
                    let clock = ContinuousClock()
                    let until = clock.now + .milliseconds(700)
                    while clock.now < until {
                        let next = try await events.next()
                        let event = try #require(next)
                        #expect(event.type == .heartbeat, "\(event.type) before the older transaction ended")
                    }
                    release.continuation.yield()
                    try await group.waitForAll()
                    let both = try await take(2, from: &events)
                    #expect(both.map(\.conversation.id) == [older.text, newer.text])
                }
                return []
            }
            #expect(events.isEmpty)
        }
    }

    @Test func aWatchResumesOnAnotherReplicaAndSeesWhatTheFirstCommits() async throws {
        try await ConversationHarness.with { first in
            let changes = ChangeWriter(harness: first)
            let cursor: String = try await watch(first) { events in
                try await ready(&events)
                try await changes.create()
                return try await take(1, from: &events)[0].cursor
            }
            let missed = try await changes.create()

            // The second replica (or this one after a restart) polls and beats rarely: what reaches
            // it within a second came through LISTEN/NOTIFY.
            var rare = ConversationHarness.fastSettings
            rare.pollInterval = .seconds(30)
            rare.heartbeatInterval = .seconds(30)
            try await ConversationHarness.run(database: first.database, settings: rare) { second in
                let feed = second.parts.rpc.feed
                #expect(try await second.eventually { feed.isListening })
                try await watch(second, .with { $0.resumeToken = cursor }) { events in
                    let replayed = try await take(1, from: &events)
                    #expect(replayed.map(\.conversation.id) == [missed.text])

                    let results = try await first.ingest([ConversationHarness.message("m-cross")])
                    let committed = ContinuousClock.now
                    let result = try #require(results.first)
                    var live: [Inbox_V1_ConversationEvent] = []
                    while !live.contains(where: { $0.type == .messageCreated }) {
                        live += try await take(1, from: &events)
                    }
                    #expect(ContinuousClock.now - committed < .seconds(1))
                    #expect(live.allSatisfy { $0.conversation.id == result.conversationID })
                    #expect(live.last?.message.id == result.messageID)
                }
            }
        }
    }

    @Test func aResumePointTheLogNoLongerHoldsOrNeverReachedGetsOneReset() async throws {
        try await ConversationHarness.with { h in
            let changes = ChangeWriter(harness: h)
            for _ in 0..<3 { try await changes.create() }
            let positions = try await changes.positions()
            #expect(positions.map(\.seq) == [1, 2, 3])
            // Changes 1 and 2 are past the retention: swept, 3 stays.
            try await h.database.query(
                "UPDATE changes SET occurred_at = now() - interval '27 hours' WHERE seq <= 2",
                logger: Logger(label: "test"))
            let sweeper = ChangeLogSweeper(
                client: h.database, logger: Logger(label: "sweeper"), retention: .seconds(26 * 3600),
                now: { Date() })
            #expect(await sweeper.sweepOnce() == 2)
            #expect(try await changes.retained() == [3])

            // After 2, the log still holds everything missed: no reset.
            let kept: [Inbox_V1_ConversationEvent] = try await watch(
                h, .with { $0.resumeToken = ConversationRPC.cursor(positions[1]) }
            ) { events in
                try await take(1, from: &events)
            }
            #expect(try kept.map(seq) == [3])

            // Swept (the start, 1) or never reached (99): one RESET with the current cursor, then live.
            let resumePoints = [WatchCursor.start, positions[0], WatchCursor(tx: positions[2].tx, seq: 99)]
            for (index, resumeAfter) in resumePoints.enumerated() {
                let current = Int64(3 + index)
                try await watch(h, .with { $0.resumeToken = ConversationRPC.cursor(resumeAfter) }) { events in
                    let first = try await events.next()
                    let reset = try #require(first)
                    #expect(reset.type == .reset)
                    #expect(try seq(reset) == current)
                    #expect(!reset.hasConversation)
                    let id = try await changes.create()
                    let received = try await take(1, from: &events)
                    let live = try #require(received.first)
                    #expect(live.conversation.id == id.text)
                    #expect(try seq(live) == current + 1)
                }
            }
        }
    }

    @Test func theSweeperKeepsRecentChangesAndLetsOneReplicaSweepAtATime() async throws {
        try await ConversationHarness.with { h in
            let changes = ChangeWriter(harness: h)
            for _ in 0..<4 { try await changes.create() }
            try await h.database.query(
                "UPDATE changes SET occurred_at = now() - interval '27 hours' WHERE seq <= 3",
                logger: Logger(label: "test"))
            let sweeper = ChangeLogSweeper(
                client: h.database, logger: Logger(label: "sweeper"), retention: .seconds(26 * 3600),
                batchSize: 2, now: { Date() })
            // Another replica holds the lock: this one leaves everything.
            try await h.database.withConnection { connection in
                try await connection.query(
                    "SELECT pg_advisory_lock(\(ChangeLogSweeper.lockKey))", logger: Logger(label: "test"))
                #expect(await sweeper.sweepOnce() == 0)
                try await connection.query(
                    "SELECT pg_advisory_unlock(\(ChangeLogSweeper.lockKey))", logger: Logger(label: "test"))
            }
            #expect(try await changes.retained() == [1, 2, 3, 4])
            // In batches of 2 until nothing old is left; the recent change stays.
            #expect(await sweeper.sweepOnce() == 3)
            #expect(try await changes.retained() == [4])
        }
    }

    @Test func malformedResumeTokensBadFiltersAndServiceTokensAreRefused() async throws {
        try await ConversationHarness.with { h in
            let agent = try await ConversationHarness.agent()
            let cases: [(Inbox_V1_WatchConversationsRequest, String, String)] = [
                (.with { $0.resumeToken = "not a token!" }, "PAGE_TOKEN_INVALID", "resume_token"),
                (
                    .with { $0.resumeToken = PageToken.encode("conversations", "5") }, "PAGE_TOKEN_INVALID",
                    "resume_token"
                ),
                (.with { $0.resumeToken = PageToken.encode("watch", "-3") }, "PAGE_TOKEN_INVALID", "resume_token"),
                (.with { $0.filter.statuses = [.unspecified] }, "FIELD_INVALID", "filter.statuses"),
                (.with { $0.filter.statuses = [.UNRECOGNIZED(42)] }, "FIELD_INVALID", "filter.statuses"),
                (.with { $0.filter.platforms = [.unspecified] }, "FIELD_INVALID", "filter.platforms"),
                (.with { $0.filter.kinds = [.UNRECOGNIZED(99)] }, "FIELD_INVALID", "filter.kinds"),
                (.with { $0.filter.tags = (0...20).map { "tag-\($0)" } }, "FIELD_INVALID", "filter.tags"),
                (
                    .with { $0.filter.conversationIds = (0...500).map { _ in UUID().text } }, "FIELD_INVALID",
                    "filter.conversation_ids"
                ),
                (.with { $0.filter.conversationIds = ["nope"] }, "FIELD_INVALID", "filter.conversation_ids"),
                (.with { $0.filter.contactID = "nope" }, "FIELD_INVALID", "filter.contact_id"),
            ]
            for (request, reason, field) in cases {
                let refused = await refusal { try await watchToTheEnd(h, request, metadata: agent) }
                #expect(refused?.code == .invalidArgument, "\(field)")
                #expect(refused?.reason == reason, "\(field)")
                #expect(refused?.field == field)
            }
            let service = await refusal {
                try await watchToTheEnd(h, .init(), metadata: try await ConversationHarness.service())
            }
            #expect(service?.code == .permissionDenied)
        }
    }

    @Test func aWatcherSeesOnlyItsOwnOrganisation() async throws {
        try await ConversationHarness.with { h in
            let changes = ChangeWriter(harness: h)
            let other = "org-b"
            try await watch(h, metadata: try await ConversationHarness.agent("agent-b", other)) { events in
                try await ready(&events)
                try await changes.create()
                let theirs = try await changes.create(organization: other)
                let seen = try await take(1, from: &events)
                #expect(seen.map(\.conversation.id) == [theirs.text])
                #expect(seen.map(\.conversation.organizationID) == [other])
                let after = try await events.next()
                #expect(after?.type == .heartbeat)
            }
            // The first organisation's own log holds only its change.
            let own: [Inbox_V1_ConversationEvent] = try await watch(
                h, .with { $0.resumeToken = ConversationRPC.cursor(.start) }
            ) { events in
                let first = try await take(1, from: &events)
                let after = try await events.next()
                #expect(after?.type == .heartbeat)
                return first
            }
            #expect(own.map(\.conversation.organizationID) == [ConversationHarness.organization])
        }
    }

    /// The handler called as the server calls it, with the RPC's cancellation handle in hand: a
    /// transport cancels it when the client goes away (HTTP/2 RST_STREAM) or the server stops.
    @Test func cancellingAWatchReleasesItsSubscription() async throws {
        try await ConversationHarness.with { h in
            let feed = h.parts.rpc.feed
            let organization = ConversationHarness.organization
            let caller = Caller(role: .agent, organizationID: organization, agentID: "agent-1", subject: "agent-1")
            let writer = RecordingWriter()
            #expect(feed.subscriberCount(organizationID: organization) == 0)
            try await withServerContextRPCCancellationHandle { handle in
                let context = ServerContext(
                    descriptor: Inbox_V1_ConversationService.Method.WatchConversations.descriptor,
                    remotePeer: "in-process:test", localPeer: "in-process:test", cancellation: handle)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await Caller.$current.withValue(caller) {
                            try await h.parts.rpc.watchConversations(
                                request: .init(), response: RPCWriter(wrapping: writer), context: context)
                        }
                    }
                    #expect(try await h.eventually { writer.count > 0 })
                    #expect(feed.subscriberCount(organizationID: organization) == 1)
                    let cancelled = ContinuousClock.now
                    handle.cancel()
                    do {
                        _ = try await group.next()
                        Issue.record("the cancelled watch ended without an error")
                    } catch let error as DomainError {
                        #expect(error.code == .unavailable)
                    }
                    #expect(ContinuousClock.now - cancelled < .seconds(1))
                }
            }
            #expect(feed.subscriberCount(organizationID: organization) == 0)
        }
    }

    @Test func aReplicaShuttingDownEndsItsWatchesWithUnavailable() async throws {
        try await ConversationHarness.with { h in
            let outcome = await refusal {
                try await watch(h) { events in
                    try await ready(&events)
                    h.parts.rpc.feed.close()
                    while try await events.next() != nil {}
                }
            }
            #expect(outcome?.code == .unavailable)
            let feed = h.parts.rpc.feed
            let released = try await h.eventually { feed.subscriberCount(organizationID: "org-test") == 0 }
            #expect(released)
        }
    }

    @Test func aClientThatStopsTakingEventsIsCutOffAndToldToResume() async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: DomainError.self) {
            try await ConversationRPC.send(
                .with { $0.type = .heartbeat }, to: RPCWriter(wrapping: StuckWriter()), within: .milliseconds(200))
        }
        #expect(error?.code == .resourceExhausted)
        #expect(error?.reason == .streamTooSlow)
        #expect(error?.message.contains("resume_token") == true)
        // Cut off, not left waiting (a loose bound: the whole suite may be running beside it).
        #expect(ContinuousClock.now - started < .seconds(10))

        let taking = RecordingWriter()
        try await ConversationRPC.send(
            .with { $0.type = .heartbeat }, to: RPCWriter(wrapping: taking), within: .milliseconds(200))
        #expect(taking.count == 1)
        #expect(ConversationSettings().slowWatcherTimeout == .seconds(30))
    }

    @Test func theFilterMatchesEveryFieldAsTheProtoDescribes() throws {
        let contact = UUID()
        let id = UUID()
        let conversation = Inbox_V1_Conversation.with {
            $0.id = id.text
            $0.status = .open
            $0.platform = .facebook
            $0.kind = .comment
            $0.assigneeAgentID = "ana"
            $0.assigneeTeamID = "team-1"
            $0.channelID = "channel-fb"
            $0.tags = ["vip", "billing"]
            $0.contactID = contact.text
        }
        func matches(_ build: (inout Inbox_V1_ConversationFilter) -> Void) throws -> Bool {
            var filter = Inbox_V1_ConversationFilter()
            build(&filter)
            return try FilterMatcher(filter).matches(conversation)
        }
        #expect(try matches { _ in })
        #expect(try matches { $0.statuses = [.pending, .open] })
        #expect(try !matches { $0.statuses = [.resolved] })
        #expect(try matches { $0.platforms = [.instagram, .facebook] })
        #expect(try !matches { $0.platforms = [.x] })
        #expect(try matches { $0.kinds = [.comment] })
        #expect(try !matches { $0.kinds = [.directMessage] })
        #expect(try matches { $0.assigneeAgentID = "ana" })
        #expect(try !matches { $0.assigneeAgentID = "ben" })
        #expect(try matches { $0.teamID = "team-1" })
        #expect(try !matches { $0.teamID = "team-2" })
        #expect(try !matches { $0.unassignedOnly = true })
        #expect(try matches { $0.channelID = "channel-fb" })
        #expect(try !matches { $0.channelID = "channel-ig" })
        #expect(try matches { $0.tags = ["billing"] })
        #expect(try matches { $0.tags = ["billing", "vip"] })
        #expect(try !matches { $0.tags = ["billing", "urgent"] })
        // Tags are matched as stored (trimmed, lowercase), as the listing does.
        #expect(try matches { $0.tags = [" \(conversation.tags[0].uppercased()) "] })
        #expect(try matches { $0.contactID = contact.uuidString })
        #expect(try !matches { $0.contactID = UUID().text })
        #expect(try matches { $0.conversationIds = [UUID().text, id.uuidString] })
        #expect(try !matches { $0.conversationIds = [UUID().text] })
        // Fields narrow together (AND).
        #expect(
            try !matches {
                $0.statuses = [.open]
                $0.platforms = [.instagram]
            })

        var unassigned = conversation
        unassigned.assigneeAgentID = ""
        #expect(try FilterMatcher(.with { $0.unassignedOnly = true }).matches(unassigned))
        #expect(try !FilterMatcher(.with { $0.unassignedOnly = true }).matches(conversation))
        #expect(throws: DomainError.self) { try FilterMatcher.validate(.with { $0.statuses = [.unspecified] }) }
        try FilterMatcher.validate(.with { $0.statuses = [.open, .resolved] })
    }
}

// MARK: Helpers

private typealias Events = RPCAsyncSequence<Inbox_V1_ConversationEvent, any Error>.AsyncIterator

private struct WatchEnded: Error {}

private struct TimedOut: Error {}

/// Runs `body` on an open watch of `harness` (an agent of org-test unless `metadata` says
/// otherwise); returning from `body` cancels the watch. Bounded by `limit`, so a broken watch
/// fails the test instead of hanging it.
private func watch<T: Sendable>(
    _ harness: ConversationHarness, _ request: Inbox_V1_WatchConversationsRequest = .init(),
    metadata: Metadata? = nil, limit: Duration = .seconds(30),
    _ body: @escaping @Sendable (inout Events) async throws -> T
) async throws -> T {
    let resolved: Metadata
    if let metadata {
        resolved = metadata
    } else {
        resolved = try await ConversationHarness.agent()
    }
    let client = harness.client
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask {
            try await client.watchConversations(request, metadata: resolved) { response in
                var events = response.messages.makeAsyncIterator()
                return try await body(&events)
            }
        }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut()
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw TimedOut() }
        return result
    }
}

/// Reads a watch until the server ends it (a refusal comes out as the thrown RPCError).
private func watchToTheEnd(
    _ harness: ConversationHarness, _ request: Inbox_V1_WatchConversationsRequest, metadata: Metadata
) async throws {
    try await watch(harness, request, metadata: metadata, limit: .seconds(10)) { events in
        while try await events.next() != nil {}
    }
}

/// The first event of a watch without a resume token is a HEARTBEAT: then the server has read its
/// starting point, so whatever is committed from now on reaches the watch.
@discardableResult
private func ready(_ events: inout Events) async throws -> Inbox_V1_ConversationEvent {
    let received = try await events.next()
    let first = try #require(received)
    #expect(first.type == .heartbeat)
    return first
}

/// The next `count` events that are not heartbeats.
private func take(_ count: Int, from events: inout Events) async throws -> [Inbox_V1_ConversationEvent] {
    var received: [Inbox_V1_ConversationEvent] = []
    while received.count < count {
        guard let event = try await events.next() else { throw WatchEnded() }
        if event.type != .heartbeat { received.append(event) }
    }
    return received
}

/// The change number an event's cursor carries (`<transaction>:<number>`).
private func seq(_ event: Inbox_V1_ConversationEvent) throws -> Int64 {
    let position = try ConversationRPC.resumePoint(event.cursor)
    return try #require(position?.seq)
}

/// Writes conversations the way the service's writes do (the row, the before-snapshot and the
/// change log in one transaction), without IngestEvents: changes a test can count exactly.
private struct ChangeWriter {
    let harness: ConversationHarness

    var repository: ConversationRepository { self.harness.parts.rpc.repository }

    /// `beforeCommit` runs inside the transaction after the change is written.
    @discardableResult
    func create(
        id: UUID = UUID(), status: String = "open", organization: String = ConversationHarness.organization,
        beforeCommit: @Sendable () async throws -> Void = {}
    ) async throws -> UUID {
        let repository = self.repository
        try await repository.transaction { connection in
            try await connection.query(
                """
                INSERT INTO conversations (organization_id, id, channel_id, platform, kind, thread_key, status,
                    last_message_at)
                VALUES (\(organization), \(id), 'channel-fb', 'facebook', 'direct_message', \(id.text), \(status),
                    now())
                """,
                logger: repository.logger)
            var changes = ChangeSet()
            changes.add(.conversationCreated, organizationID: organization, conversationID: id)
            try await repository.record(changes, on: connection, now: Date())
            try await beforeCommit()
        }
        return id
    }

    /// Sets the status, logging `items` changes of the conversation in that one transaction.
    func update(
        _ id: UUID, status: String, items: Int = 1, organization: String = ConversationHarness.organization
    ) async throws {
        let repository = self.repository
        try await repository.transaction { connection in
            var changes = ChangeSet()
            if let before = try await repository.conversation(id, organizationID: organization, on: connection) {
                changes.noteBefore(before.proto(now: Date()), id: id)
            }
            try await connection.query(
                """
                UPDATE conversations SET status = \(status), updated_at = now()
                WHERE organization_id = \(organization) AND id = \(id)
                """,
                logger: repository.logger)
            for _ in 0..<items {
                changes.add(.conversationUpdated, organizationID: organization, conversationID: id)
            }
            try await repository.record(changes, on: connection, now: Date())
        }
    }

    /// Where the organisation's changes are in the log, in its order.
    func positions(organization: String = ConversationHarness.organization) async throws -> [WatchCursor] {
        let rows = try await self.harness.database.query(
            "SELECT tx::text::int8, seq FROM changes WHERE organization_id = \(organization) ORDER BY tx, seq",
            logger: Logger(label: "test"))
        var positions: [WatchCursor] = []
        for try await (tx, seq) in rows.decode((Int64, Int64).self) { positions.append(WatchCursor(tx: tx, seq: seq)) }
        return positions
    }

    /// The change numbers the log keeps for the organisation.
    func retained(organization: String = ConversationHarness.organization) async throws -> [Int64] {
        let rows = try await self.harness.database.query(
            "SELECT seq FROM changes WHERE organization_id = \(organization) ORDER BY seq",
            logger: Logger(label: "test"))
        var seqs: [Int64] = []
        for try await seq in rows.decode(Int64.self) { seqs.append(seq) }
        return seqs
    }
}

/// A client that never takes an event (the write waits for flow control, until cancelled).
private struct StuckWriter: RPCWriterProtocol {
    func write(_ element: Inbox_V1_ConversationEvent) async throws {
        try await Task.sleep(for: .seconds(3600))
    }

    func write(contentsOf elements: some Sequence<Inbox_V1_ConversationEvent>) async throws {
        try await Task.sleep(for: .seconds(3600))
    }
}

/// A client that takes every event at once.
private final class RecordingWriter: RPCWriterProtocol {
    private let written = Mutex(0)

    var count: Int { self.written.withLock { $0 } }

    func write(_ element: Inbox_V1_ConversationEvent) async throws {
        self.written.withLock { $0 += 1 }
    }

    func write(contentsOf elements: some Sequence<Inbox_V1_ConversationEvent>) async throws {
        let count = elements.reduce(0) { total, _ in total + 1 }
        self.written.withLock { $0 += count }
    }
}
