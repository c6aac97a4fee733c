import GRPCCore
import InboxAPI
import InboxKit

/// The `inbox.v1.ConversationService` handlers. Every RPC of the v1 surface is here; those a later issue
/// builds answer UNIMPLEMENTED until then (after authentication, like every other RPC).
struct ConversationRPC: Inbox_V1_ConversationService.SimpleServiceProtocol {
    func ingestEvents(request: Inbox_V1_IngestEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_IngestEventsResponse
    {
        try BatchLimit.check(request.events.count, field: "events")
        throw DomainError.notBuiltYet("ConversationService.IngestEvents")
    }

    func listConversations(request: Inbox_V1_ListConversationsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListConversationsResponse
    {
        throw DomainError.notBuiltYet("ConversationService.ListConversations")
    }

    func getConversation(request: Inbox_V1_GetConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        throw DomainError.notBuiltYet("ConversationService.GetConversation")
    }

    func listMessages(request: Inbox_V1_ListMessagesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListMessagesResponse
    {
        throw DomainError.notBuiltYet("ConversationService.ListMessages")
    }

    func sendReply(request: Inbox_V1_SendReplyRequest, context: ServerContext) async throws -> Inbox_V1_Message {
        throw DomainError.notBuiltYet("ConversationService.SendReply")
    }

    func updateConversation(request: Inbox_V1_UpdateConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        throw DomainError.notBuiltYet("ConversationService.UpdateConversation")
    }

    func addNote(request: Inbox_V1_AddNoteRequest, context: ServerContext) async throws -> Inbox_V1_Message {
        throw DomainError.notBuiltYet("ConversationService.AddNote")
    }

    func watchConversations(
        request: Inbox_V1_WatchConversationsRequest,
        response: RPCWriter<Inbox_V1_ConversationEvent>,
        context: ServerContext
    ) async throws {
        throw DomainError.notBuiltYet("ConversationService.WatchConversations")
    }

    func recordDeliveryStatus(request: Inbox_V1_RecordDeliveryStatusRequest, context: ServerContext) async throws
        -> Inbox_V1_RecordDeliveryStatusResponse
    {
        try BatchLimit.check(request.updates.count, field: "updates")
        throw DomainError.notBuiltYet("ConversationService.RecordDeliveryStatus")
    }

    func setAssignee(request: Inbox_V1_SetAssigneeRequest, context: ServerContext) async throws
        -> Inbox_V1_SetAssigneeResponse
    {
        try BatchLimit.check(request.items.count, field: "items")
        throw DomainError.notBuiltYet("ConversationService.SetAssignee")
    }

    func markConversationRead(request: Inbox_V1_MarkConversationReadRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        throw DomainError.notBuiltYet("ConversationService.MarkConversationRead")
    }

    func getContact(request: Inbox_V1_GetContactRequest, context: ServerContext) async throws -> Inbox_V1_Contact {
        throw DomainError.notBuiltYet("ConversationService.GetContact")
    }

    func listContacts(request: Inbox_V1_ListContactsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListContactsResponse
    {
        throw DomainError.notBuiltYet("ConversationService.ListContacts")
    }
}
