import GRPCCore
import InboxAPI
import InboxKit

extension ConversationRPC {
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

    func updateConversation(request: Inbox_V1_UpdateConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        throw DomainError.notBuiltYet("ConversationService.UpdateConversation")
    }

    func addNote(request: Inbox_V1_AddNoteRequest, context: ServerContext) async throws -> Inbox_V1_Message {
        throw DomainError.notBuiltYet("ConversationService.AddNote")
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
