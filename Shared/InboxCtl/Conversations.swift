import ArgumentParser
import InboxAPI
import InboxKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `inboxctl conversations`: conversation-service's inbox (ListConversations, GetConversation,
/// ListMessages). Agent or admin tokens: the inbox is the token's organisation's.
struct ConversationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conversations",
        abstract: "List, search and show conversations (conversation-service).",
        discussion: """
            Needs an agent or admin token of the organisation (`inboxctl token --role agent --organization <org> \
            --agent <id>`). Newest activity first; the REPLY column is what an agent may send now.

            Examples:
              inboxctl conversations list --status open --unassigned
              inboxctl conversations list --assignee alice --platform whatsapp --limit 200
              inboxctl conversations search "where is my order"
              inboxctl conversations show 0190f1d2-0000-7000-8000-000000000001
              inboxctl conversations list --json | jq -r '.conversations[].id'
            """,
        subcommands: [ConversationsList.self, ConversationsSearch.self, ConversationsShow.self]
    )

    /// ListConversations page after page until `page.limit` rows, then prints them.
    static func list(
        query: String, filter: ConversationFilterOptions, page: PageOptions, global: GlobalOptions
    ) async throws {
        let filter = try filter.proto
        let connection = try Connection(global)
        let metadata = try connection.metadata()
        let start = page.pageToken ?? ""
        let response = try await connection.conversations { conversations in
            var all = Inbox_V1_ListConversationsResponse.with { $0.nextPageToken = start }
            repeat {
                let next = try await conversations.listConversations(
                    .with {
                        $0.query = query
                        $0.filter = filter
                        $0.pageSize = page.pageSize(after: all.conversations.count)
                        $0.pageToken = all.nextPageToken
                    }, metadata: metadata, options: connection.options)
                all.conversations += next.conversations
                all.nextPageToken = next.nextPageToken
            } while !all.nextPageToken.isEmpty && all.conversations.count < page.limit
            return all
        }
        let output = Output(json: global.json)
        if output.json { return try output.message(response) }
        var table = Table(
            ("ID", 36), ("PLATFORM", 10), ("STATUS", 8), ("CONTACT", 24), ("ASSIGNEE", 16), ("UNREAD", 6),
            ("LAST MESSAGE", 20), ("REPLY", 32), ("PREVIEW", 48))
        let now = Date()
        for conversation in response.conversations {
            table.add(
                conversation.id, Format.label(conversation.platform), Format.label(conversation.status),
                Format.author(conversation.contact), conversation.assigneeAgentID,
                conversation.unreadCount == 0 ? "" : "\(conversation.unreadCount)",
                Format.time(conversation.lastMessageAt), Self.reply(conversation.replyCapability, now: now),
                conversation.preview)
        }
        output.table(table, empty: query.isEmpty ? "no conversations" : "no conversations match '\(query)'")
        Output.morePages(response.nextPageToken)
    }

    /// What may be sent now, and until when: `ALLOWED`, `NEEDS_TEMPLATE`, `ALLOWED (closes in 3 h)`.
    static func reply(_ capability: Inbox_V1_ReplyCapability, now: Date) -> String {
        let decision = Format.label(capability.decision)
        guard let end = capability.windowEndsAt.dateIfSet, end > now else { return decision }
        return "\(decision) (closes \(Format.relative(end, now: now)))"
    }
}

struct ConversationsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List conversations, newest activity first.",
        discussion: """
            Examples:
              inboxctl conversations list
              inboxctl conversations list --status open --status pending --assignee alice
              inboxctl conversations list --unassigned --platform telegram --limit 20 --page-token <token>
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup(title: "Filter") var filter: ConversationFilterOptions
    @OptionGroup var page: PageOptions

    func run() async throws {
        try await ConversationsCommand.list(query: "", filter: self.filter, page: self.page, global: self.global)
    }
}

struct ConversationsSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find conversations whose messages contain the words (accent- and case-insensitive).",
        discussion: """
            Examples:
              inboxctl conversations search commande
              inboxctl conversations search "where is my order" --status open
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The words to find.")
    var words: [String]

    @OptionGroup(title: "Filter") var filter: ConversationFilterOptions
    @OptionGroup var page: PageOptions

    func validate() throws {
        guard !self.words.joined().trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("give the words to search for")
        }
    }

    func run() async throws {
        try await ConversationsCommand.list(
            query: self.words.joined(separator: " "), filter: self.filter, page: self.page, global: self.global)
    }
}

struct ConversationsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a conversation and its messages, oldest first.",
        discussion: """
            With --json: one object, {"conversation": <Conversation>, "messages": [<Message>, ...]}.

            Examples:
              inboxctl conversations show 0190f1d2-0000-7000-8000-000000000001
              inboxctl conversations show 0190f1d2-0000-7000-8000-000000000001 --limit 500 --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The conversation id.")
    var conversation: String

    @Option(help: "Show at most this many of the latest messages.")
    var limit: Int = 50

    func validate() throws {
        guard (1...10_000).contains(self.limit) else { throw ValidationError("--limit must be from 1 to 10000") }
    }

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let (id, limit) = (self.conversation, self.limit)
        let (conversation, newestFirst) = try await connection.conversations { conversations in
            let found = try await conversations.getConversation(
                .with { $0.conversationID = id }, metadata: metadata, options: connection.options)
            var messages: [Inbox_V1_Message] = []
            var token = ""
            repeat {
                let page = try await conversations.listMessages(
                    .with {
                        $0.conversationID = id
                        $0.pageSize = Int32(min(100, limit - messages.count))
                        $0.pageToken = token
                    }, metadata: metadata, options: connection.options)
                messages += page.messages
                token = page.nextPageToken
            } while !token.isEmpty && messages.count < limit
            return (found, messages)
        }
        let messages = Array(newestFirst.reversed())
        let output = Output(json: self.global.json)
        if output.json {
            let items = try messages.map { try $0.jsonString() }.joined(separator: ",")
            return output.line("{\"conversation\":\(try conversation.jsonString()),\"messages\":[\(items)]}")
        }
        let now = Date()
        let capability = conversation.replyCapability
        output.fields([
            ("Conversation", conversation.id),
            ("Platform", "\(Format.label(conversation.platform)) \(Format.label(conversation.kind))"),
            ("Channel", conversation.channelID),
            ("Status", Format.label(conversation.status)),
            ("Contact", "\(Format.author(conversation.contact)) (\(conversation.contactID))"),
            ("Assignee", conversation.assigneeAgentID),
            ("Team", conversation.assigneeTeamID),
            ("Tags", conversation.tags.joined(separator: ", ")),
            ("Messages", "\(conversation.messageCount), \(conversation.unreadCount) unread"),
            ("Last customer", Format.moment(conversation.lastCustomerMessageAt, now: now)),
            ("Waiting since", Format.moment(conversation.waitingSince, now: now)),
            ("First reply due", Format.moment(conversation.firstResponseDueAt, now: now)),
            ("Reply", ConversationsCommand.reply(capability, now: now)),
            ("Reply rule", capability.message),
        ])
        output.line()
        var table = Table(("TIME", 20), ("ID", 36), ("DIRECTION", 9), ("FROM", 24), ("STATE", 22), ("TEXT", 70))
        for message in messages {
            table.add(
                Format.time(message.platformTime.dateIfSet == nil ? message.receivedAt : message.platformTime),
                message.id, Format.label(message.direction), Self.from(message), Self.state(message),
                Self.text(message))
        }
        output.table(table, empty: "no messages")
        if messages.count < conversation.messageCount {
            Output.note("showing the latest \(messages.count) of \(conversation.messageCount) messages (--limit)")
        }
    }

    /// The customer, the agent who wrote it, or "automatic".
    static func from(_ message: Inbox_V1_Message) -> String {
        if message.automatic { return "automatic" }
        if !message.agentID.isEmpty { return message.agentID }
        return Format.author(message.author)
    }

    /// The delivery state of what we sent, with why it failed.
    static func state(_ message: Inbox_V1_Message) -> String {
        let state = Format.label(message.deliveryState)
        let reason = Format.label(message.failureReason)
        return reason.isEmpty ? state : "\(state) \(reason)"
    }

    /// The text, or what stands for it (hidden, deleted, attachments only).
    static func text(_ message: Inbox_V1_Message) -> String {
        if message.hiddenByPlatformRule {
            return "(hidden by platform rule: \(Format.label(message.hiddenReason)))"
        }
        if message.deleted { return "(deleted)" }
        var text = message.text
        if message.hasTemplate { text = "template \(message.template.name)" }
        if !message.attachments.isEmpty {
            text += (text.isEmpty ? "" : " ") + "[\(message.attachments.count) attachment(s)]"
        }
        if message.unsupported, text.isEmpty { text = "(content the platform sent that we cannot show)" }
        return message.edited ? text + " (edited)" : text
    }
}
