import GRPCCore
import InboxAPI
import InboxKit

extension ConversationRPC {
    func sendReply(request: Inbox_V1_SendReplyRequest, context: ServerContext) async throws -> Inbox_V1_Message {
        throw DomainError.notBuiltYet("ConversationService.SendReply")
    }

    func recordDeliveryStatus(request: Inbox_V1_RecordDeliveryStatusRequest, context: ServerContext) async throws
        -> Inbox_V1_RecordDeliveryStatusResponse
    {
        try BatchLimit.check(request.updates.count, field: "updates")
        throw DomainError.notBuiltYet("ConversationService.RecordDeliveryStatus")
    }
}
