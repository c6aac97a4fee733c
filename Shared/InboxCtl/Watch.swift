import ArgumentParser
import GRPCCore
import InboxAPI
import InboxKit
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `inboxctl watch`: conversation-service's WatchConversations, one line per event, resumed after
/// a dropped stream from the last cursor seen.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow the inbox live: one line per change (WatchConversations); Ctrl-C ends.",
        discussion: """
            Needs an agent or admin token. When the stream drops (a restart, a network cut, a replica going \
            away) after it started, the watch reconnects with backoff (0.5 s doubling to 30 s) and resumes from the last event's \
            cursor, so nothing is missed; if the service no longer has that point (cursors are kept at least \
            24 hours), it says so (RESET) and goes on from now. Notes about reconnects go to standard error.

            With --json every event is one line of JSON (`ConversationEvent`); the last `cursor` printed is what \
            --resume-token takes to continue later.

            Examples:
              inboxctl watch
              inboxctl watch --status open --assignee alice
              inboxctl watch --json | jq -c 'select(.type == "CONVERSATION_EVENT_TYPE_MESSAGE_CREATED")'
              inboxctl watch --resume-token <cursor> --count 100
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup(title: "Filter") var filter: ConversationFilterOptions

    @Option(help: "Start after this cursor (the `cursor` of the last event handled).")
    var resumeToken: String?

    @Flag(help: "Print the heartbeats too (every 15 s of silence).")
    var heartbeats = false

    @Option(help: "Stop after this many events.")
    var count: Int?

    func validate() throws {
        if let count = self.count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let filter = try self.filter.proto
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let output = Output(json: self.global.json)
        let progress = WatchProgress(cursor: self.resumeToken ?? "", limit: self.count, heartbeats: self.heartbeats)
        let address = connection.address(of: .conversationService)
        Output.note("watching conversation-service at \(address) (Ctrl-C ends)")
        try await connection.conversations { conversations -> Void in
            var failures = 0
            while true {
                let request = Inbox_V1_WatchConversationsRequest.with {
                    $0.filter = filter
                    $0.resumeToken = progress.cursor
                }
                let received = progress.received
                let reason: String
                do {
                    try await conversations.watchConversations(request, metadata: metadata) { response in
                        if case .success = response.accepted { progress.opened() }
                        for try await event in response.messages {
                            if progress.take(event, output) { return }
                        }
                    }
                    if progress.isDone { return }
                    reason = "the stream ended"
                } catch let error as RPCError where Self.isTransient(error) && progress.wasOpened {
                    // (A service that never accepted the watch fails the command with its reason.)
                    reason = "the stream dropped (\(CommandFailure.name(of: error.code)): \(error.message))"
                }
                // A stream that delivered something starts the backoff again.
                failures = progress.received > received ? 1 : failures + 1
                let delay = Backoff.delay(attempts: failures, base: .milliseconds(500), max: .seconds(30))
                Output.note("\(reason); reconnecting in \(Format.span(delay.timeInterval)) from the last cursor")
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Errors a new stream may not have: the service restarting or unreachable for a while, a
    /// stream closed for reading too slowly, a deadline. A refused token or filter fails the command.
    static func isTransient(_ error: RPCError) -> Bool {
        switch error.code {
        case .unavailable, .resourceExhausted, .deadlineExceeded, .aborted, .cancelled, .unknown, .internalError:
            true
        default:
            false
        }
    }
}

/// What a watch has seen, across its reconnects: the cursor to resume from and how many events it
/// printed. Shared with the stream's handler, which runs as its own task.
final class WatchProgress: Sendable {
    private struct State {
        var cursor: String
        var printed = 0
        var received = 0
        var opened = false
    }

    private let state: Mutex<State>
    private let limit: Int?
    private let heartbeats: Bool

    init(cursor: String, limit: Int?, heartbeats: Bool) {
        self.state = Mutex(State(cursor: cursor))
        self.limit = limit
        self.heartbeats = heartbeats
    }

    var cursor: String { self.state.withLock { $0.cursor } }
    var received: Int { self.state.withLock { $0.received } }
    /// Whether a stream was ever accepted: until then an error is the command's, not a drop.
    var wasOpened: Bool { self.state.withLock { $0.opened } }

    func opened() {
        self.state.withLock { $0.opened = true }
    }

    var isDone: Bool { self.state.withLock { state in self.limit.map { state.printed >= $0 } ?? false } }

    /// Prints `event` (heartbeats only when asked for) and moves the cursor past it; true once
    /// the watch has printed as many events as it was asked for.
    func take(_ event: Inbox_V1_ConversationEvent, _ output: Output) -> Bool {
        let shown = event.type != .heartbeat || self.heartbeats
        if shown { Self.print(event, output) }
        if event.type == .reset {
            Output.note(
                "the resume point is older than what the service keeps: changes since then were not replayed; "
                    + "refetch with `inboxctl conversations list`. Continuing from now.")
        }
        return self.state.withLock { state in
            if !event.cursor.isEmpty { state.cursor = event.cursor }
            state.received += 1
            if shown { state.printed += 1 }
            return self.limit.map { state.printed >= $0 } ?? false
        }
    }

    /// One line: the JSON event, or time, type, conversation, platform, status and what happened.
    static func print(_ event: Inbox_V1_ConversationEvent, _ output: Output) {
        if output.json {
            output.line((try? event.jsonString()) ?? "{}")
            return
        }
        let conversation = event.conversation
        var what = ""
        if event.hasMessage {
            let message = event.message
            let from = ConversationsShow.from(message)
            what =
                "\(Format.label(message.direction)) \(from.isEmpty ? "" : "\(from): ")\(ConversationsShow.text(message))"
            let state = ConversationsShow.state(message)
            if !state.isEmpty { what += " [\(state)]" }
        } else if event.hasConversation {
            what =
                conversation.assigneeAgentID.isEmpty ? conversation.preview : "assignee \(conversation.assigneeAgentID)"
        }
        if event.leftFilter { what += " (left the filter)" }
        let time = event.occurredAt.dateIfSet.map { Format.time($0) } ?? Format.time(Date())
        let cells = [
            time, Format.label(event.type), conversation.id, Format.label(conversation.platform),
            Format.label(conversation.status), what.cut(to: 100),
        ]
        output.line(cells.filter { !$0.isEmpty }.joined(separator: "  "))
    }
}
