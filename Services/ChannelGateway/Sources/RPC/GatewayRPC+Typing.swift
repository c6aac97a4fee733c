import GRPCCore
import InboxAPI
import InboxKit

extension GatewayRPC {
    /// conversation-service's SetTyping: a web-chat channel's visitor sees "… is typing" on
    /// every open widget (``WebChatHub`` on each replica receives the NOTIFY); other platforms
    /// show nothing here (`shown` false). Services only; the organisation must own the channel.
    func notifyTyping(request: Inbox_V1_NotifyTypingRequest, context: ServerContext) async throws
        -> Inbox_V1_NotifyTypingResponse
    {
        try Caller.authenticated().require(.service)
        guard !request.organizationID.isEmpty else {
            throw DomainError.invalidArgument("organization_id is required", field: "organization_id")
        }
        let channel = try await self.channel(request.channelID, request.organizationID)
        guard channel.platform == .webChat else { return .with { $0.shown = false } }
        guard !request.threadKey.isEmpty, request.threadKey.utf8.count <= 200 else {
            throw DomainError.invalidArgument("thread_key must be 1 to 200 characters", field: "thread_key")
        }
        guard request.authorName.count <= 100 else {
            throw DomainError.invalidArgument("author_name must be at most 100 characters", field: "author_name")
        }
        try await WebChatTranscript(client: self.channels.client, logger: self.channels.logger).notifyTyping(
            channelID: channel.id, visitorID: request.threadKey, typing: request.typing, author: request.authorName)
        return .with { $0.shown = true }
    }
}
