import GRPCCore
import InboxAPI
import InboxKit

extension ConversationRPC {
    /// An agent is typing (or stopped) in a conversation: the gateway shows it where the platform
    /// can (web chat); elsewhere nothing is sent. The call is not stored and counts as no
    /// activity: only a reply does. The gateway being unreachable is UNAVAILABLE (an indicator is
    /// not worth a retry later).
    func setTyping(request: Inbox_V1_SetTypingRequest, context: ServerContext) async throws
        -> Inbox_V1_SetTypingResponse
    {
        let (_, organizationID) = try Self.inboxCaller()
        let record = try await self.conversation(request.conversationID, organizationID: organizationID)
        guard record.platform == .webChat else { return .with { $0.shown = false } }
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        let answer = try await self.peers.gateway.notifyTyping(
            .with {
                $0.organizationID = organizationID
                $0.channelID = record.channelID
                $0.threadKey = record.threadKey
                $0.typing = request.typing
            }, options: options)
        return .with { $0.shown = answer.shown }
    }
}
