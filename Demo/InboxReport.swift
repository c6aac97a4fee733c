import GRPCCore
import InboxAPI

/// What the inbox and the gateway report after the demo, read through their own APIs: the
/// conversations and their messages (conversation-service), each channel's health counters and
/// the inbound log (the gateway), the web chat's transcript and the fakes' request counts.
struct InboxReport: Sendable {
    var conversations: [Inbox_V1_Conversation]
    /// By conversation id.
    var messages: [String: [Inbox_V1_Message]]
    var health: [DemoPlatform: Inbox_V1_ChannelHealth]
    /// The organisation's inbound events by state (ListInboundEvents).
    var inboundStates: [Inbox_V1_InboundEventState: Int]
    /// Inbound events flagged hidden by a platform rule (ListInboundEvents `hidden_only`).
    var hiddenInbound: Int
    /// The team's messages in the demo visitor's transcript.
    var transcriptReplies: Int
    var fakeRequests: FakeRequestTally

    var allMessages: [Inbox_V1_Message] { self.messages.values.flatMap { $0 } }

    /// One health counter of `platform`'s channel (0 when its health is unknown).
    func counter(_ platform: DemoPlatform, _ value: (Inbox_V1_ChannelHealth) -> Int64) -> Int {
        Int(self.health[platform].map(value) ?? 0)
    }

    /// One health counter summed over the channels.
    func counterTotal(_ value: (Inbox_V1_ChannelHealth) -> Int64) -> Int {
        DemoPlatform.allCases.map { self.counter($0, value) }.reduce(0, +)
    }

    static func gather(
        _ clients: InboxClients, shop: DemoShop, visitor: WebChatVisitor, fakes: PlatformFakesClient
    ) async throws -> InboxReport {
        let conversations = try await InboxRows.list(clients, metadata: shop.agent)
        var messages: [String: [Inbox_V1_Message]] = [:]
        for conversation in conversations {
            var all: [Inbox_V1_Message] = []
            var pageToken = ""
            repeat {
                let page = try await clients.conversations.listMessages(
                    .with {
                        $0.conversationID = conversation.id
                        $0.pageSize = 100
                        $0.pageToken = pageToken
                    }, metadata: shop.agent, options: InboxClients.options)
                all += page.messages
                pageToken = page.nextPageToken
            } while !pageToken.isEmpty && all.count < 1000
            messages[conversation.id] = all
        }
        var health: [DemoPlatform: Inbox_V1_ChannelHealth] = [:]
        for (platform, channel) in shop.channels {
            health[platform] = try await clients.gateway.getChannelHealth(
                .with { $0.channelID = channel.id }, metadata: shop.admin, options: InboxClients.options)
        }
        var states: [Inbox_V1_InboundEventState: Int] = [:]
        for event in try await Self.inboundEvents(clients, shop: shop, hiddenOnly: false) {
            states[event.state, default: 0] += 1
        }
        let hidden = try await Self.inboundEvents(clients, shop: shop, hiddenOnly: true).count
        return InboxReport(
            conversations: conversations, messages: messages, health: health, inboundStates: states,
            hiddenInbound: hidden, transcriptReplies: try await visitor.agentMessageIDs().count,
            fakeRequests: try await fakes.requestCounts())
    }

    /// The organisation's inbound events, every page (the admin's ListInboundEvents).
    private static func inboundEvents(_ clients: InboxClients, shop: DemoShop, hiddenOnly: Bool) async throws
        -> [Inbox_V1_StoredInboundEvent]
    {
        var events: [Inbox_V1_StoredInboundEvent] = []
        var pageToken = ""
        repeat {
            let page = try await clients.gateway.listInboundEvents(
                .with {
                    $0.hiddenOnly = hiddenOnly
                    $0.pageSize = 100
                    $0.pageToken = pageToken
                }, metadata: shop.admin, options: InboxClients.options)
            events += page.events
            pageToken = page.nextPageToken
        } while !pageToken.isEmpty && events.count < 5000
        return events
    }
}
