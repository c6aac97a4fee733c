import GRPCCore
import InboxAPI
import InboxKit

extension ConversationRPC {
    func watchConversations(
        request: Inbox_V1_WatchConversationsRequest,
        response: RPCWriter<Inbox_V1_ConversationEvent>,
        context: ServerContext
    ) async throws {
        throw DomainError.notBuiltYet("ConversationService.WatchConversations")
    }
}
