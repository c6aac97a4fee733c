import Foundation
import GRPCCore
import InboxAPI
import SwiftProtobuf

/// The inbox as an agent UI lists it (ListConversations, every page, newest activity first), one
/// row per conversation: platform, kind, status, assignee, what is left of the reply window, the
/// customer and the latest message.
enum InboxRows {
    static let columns: [(title: String, limit: Int)] = [
        ("CONVERSATION", 12), ("PLATFORM", 9), ("KIND", 10), ("STATUS", 8), ("ASSIGNEE", 8), ("WINDOW LEFT", 16),
        ("CUSTOMER", 18), ("LAST MESSAGE", 46),
    ]

    /// Every conversation of the caller's organisation (a conversation that moved up between two
    /// pages is kept once).
    static func list(_ clients: InboxClients, metadata: Metadata) async throws -> [Inbox_V1_Conversation] {
        var conversations: [Inbox_V1_Conversation] = []
        var seen = Set<String>()
        var pageToken = ""
        repeat {
            let page = try await clients.conversations.listConversations(
                .with {
                    $0.pageSize = 100
                    $0.pageToken = pageToken
                }, metadata: metadata, options: InboxClients.options)
            for conversation in page.conversations where seen.insert(conversation.id).inserted {
                conversations.append(conversation)
            }
            pageToken = page.nextPageToken
        } while !pageToken.isEmpty && conversations.count < 2000
        return conversations
    }

    static func cells(_ conversation: Inbox_V1_Conversation, now: Date) -> [String] {
        [
            String(conversation.id.prefix(8)), DemoPlatform(proto: conversation.platform)?.title ?? "?",
            conversation.kind.title, Self.status(conversation.status), Self.assignee(conversation),
            Self.window(conversation.replyCapability, now: now), Self.customer(conversation.contact),
            Self.latest(conversation),
        ]
    }

    static func table(_ conversations: [Inbox_V1_Conversation], now: Date) -> [String] {
        var table = TextTable(Self.columns)
        for conversation in conversations { table.add(Self.cells(conversation, now: now)) }
        return table.rendered()
    }

    /// One conversation as a plain line, its cells in the table's widths.
    static func line(_ cells: [String]) -> String {
        zip(cells, Self.columns).map { cell, column in cell.cut(to: column.limit).padded(to: column.limit) }
            .joined(separator: " ")
    }

    static func status(_ status: Inbox_V1_ConversationStatus) -> String {
        switch status {
        case .open: "open"
        case .pending: "pending"
        case .resolved: "resolved"
        default: "?"
        }
    }

    /// The agent, "queued" while the team's queue holds it, "—" before routing.
    static func assignee(_ conversation: Inbox_V1_Conversation) -> String {
        if !conversation.assigneeAgentID.isEmpty { return conversation.assigneeAgentID }
        return conversation.assigneeTeamID.isEmpty ? "—" : "queued"
    }

    /// What is left of the reply window, from the capability on the row (computed by
    /// conversation-service with policy's rules): `23h59m`, `no window`, `closed: template`.
    static func window(_ capability: Inbox_V1_ReplyCapability, now: Date) -> String {
        switch capability.decision {
        case .allowed:
            guard capability.hasWindowEndsAt else { return "no window" }
            let left = capability.windowEndsAt.date.timeIntervalSince(now)
            return left > 0 ? Span.short(left) : "closed"
        case .needsHumanAgentTag:
            guard capability.hasHumanAgentWindowEndsAt else { return "tag only" }
            return "tag: " + Span.short(capability.humanAgentWindowEndsAt.date.timeIntervalSince(now))
        case .needsTemplate:
            return "closed: template"
        case .denied:
            return "closed"
        default:
            return ""
        }
    }

    static func customer(_ author: Inbox_V1_Author) -> String {
        if !author.displayName.isEmpty { return author.displayName }
        if !author.handle.isEmpty { return "@" + author.handle }
        return author.platformUserID
    }

    /// The latest message's first line, or the placeholder of one a platform rule hides.
    static func latest(_ conversation: Inbox_V1_Conversation) -> String {
        if conversation.hasLastMessage, conversation.lastMessage.hiddenByPlatformRule {
            return "(hidden by platform rule)"
        }
        return conversation.preview
    }
}

/// The live view while the traffic is posted: the inbox redrawn every ~300 ms on a terminal, or
/// each new or changed conversation as a line elsewhere.
struct LiveInbox {
    let clients: InboxClients
    let metadata: Metadata
    let console: Console
    /// The lines above the table (organisation, channels).
    let heading: [String]

    /// Runs until the posting finished and every expected conversation is listed, then at most 5 s
    /// more until routing gave each one its assignee; the conversations as last listed.
    func fill(expected: Int, progress: PostingProgress, patience: Duration) async throws -> [Inbox_V1_Conversation] {
        let deadline = ContinuousClock.now + patience
        var shown: [String: [String]] = [:]
        var allListedAt: ContinuousClock.Instant?
        while true {
            let state = progress.snapshot
            if let failure = state.failure { throw DemoFailure(failure) }
            let conversations = try await InboxRows.list(self.clients, metadata: self.metadata)
            let now = Date()
            if self.console.interactive {
                let status =
                    "posted \(state.posted)/\(state.total) · conversations \(conversations.count) of \(expected)"
                    + (state.last.isEmpty ? "" : " · last: \(state.last)")
                self.console.frame(self.heading + [status, ""] + InboxRows.table(conversations, now: now))
            } else {
                for conversation in conversations.reversed() {
                    // The window's countdown changes every minute: not a change worth a line.
                    var cells = InboxRows.cells(conversation, now: now)
                    let key = cells.enumerated().filter { $0.offset != 5 }.map(\.element)
                    guard shown[conversation.id] != key else { continue }
                    cells[0] = (shown[conversation.id] == nil ? "new " : "upd ") + cells[0]
                    shown[conversation.id] = key
                    self.console.event(InboxRows.line(cells))
                }
            }
            if state.finished, conversations.count >= expected {
                let listedAt = allListedAt ?? ContinuousClock.now
                allListedAt = listedAt
                let routed = conversations.allSatisfy { !$0.assigneeAgentID.isEmpty || !$0.assigneeTeamID.isEmpty }
                if routed || ContinuousClock.now - listedAt > .seconds(5) { return conversations }
            }
            guard ContinuousClock.now < deadline else {
                throw DemoFailure(
                    "after \(patience) the inbox lists \(conversations.count) of the \(expected) conversations "
                        + "(posted \(state.posted) of \(state.total)); see .local/logs/channel-gateway.log and "
                        + "conversation-service.log")
            }
            try await Task.sleep(for: .milliseconds(300))
        }
    }
}
