import GRPCCore
import InboxAPI

// Stand-ins for the gateway's peers, implementing their generated service protocols and served
// over the in-process transport behind the real interceptors (a call needs a service token). The
// calls the gateway makes (CheckIngest, IngestEvents, RecordDeliveryStatus) answer from
// `GatewayPeerStandIns` (scriptable, recording); every other call is UNIMPLEMENTED. Generated once
// from the protocols.

struct GatewayPolicyStandIn: Inbox_V1_PolicyService.SimpleServiceProtocol {
    let state: GatewayPeerStandIns

    func createOrganization(request: Inbox_V1_CreateOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        throw RPCError(code: .unimplemented, message: "stand-in: createOrganization")
    }

    func getOrganization(request: Inbox_V1_GetOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        throw RPCError(code: .unimplemented, message: "stand-in: getOrganization")
    }

    func listOrganizations(request: Inbox_V1_ListOrganizationsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListOrganizationsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listOrganizations")
    }

    func updateOrganization(request: Inbox_V1_UpdateOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        throw RPCError(code: .unimplemented, message: "stand-in: updateOrganization")
    }

    func getInboxState(request: Inbox_V1_GetInboxStateRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        throw RPCError(code: .unimplemented, message: "stand-in: getInboxState")
    }

    func recordActivity(request: Inbox_V1_RecordActivityRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        throw RPCError(code: .unimplemented, message: "stand-in: recordActivity")
    }

    func activateInbox(request: Inbox_V1_ActivateInboxRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        throw RPCError(code: .unimplemented, message: "stand-in: activateInbox")
    }

    func checkIngest(request: Inbox_V1_CheckIngestRequest, context: ServerContext) async throws
        -> Inbox_V1_CheckIngestResponse
    {
        try await self.state.checkIngest(request)
    }

    func checkReply(request: Inbox_V1_CheckReplyRequest, context: ServerContext) async throws
        -> Inbox_V1_CheckReplyResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: checkReply")
    }

    func createAutoReplyRule(request: Inbox_V1_CreateAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_AutoReplyRule
    {
        throw RPCError(code: .unimplemented, message: "stand-in: createAutoReplyRule")
    }

    func listAutoReplyRules(request: Inbox_V1_ListAutoReplyRulesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAutoReplyRulesResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listAutoReplyRules")
    }

    func updateAutoReplyRule(request: Inbox_V1_UpdateAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_AutoReplyRule
    {
        throw RPCError(code: .unimplemented, message: "stand-in: updateAutoReplyRule")
    }

    func deleteAutoReplyRule(request: Inbox_V1_DeleteAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_DeleteAutoReplyRuleResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: deleteAutoReplyRule")
    }

    func evaluateAutoReply(request: Inbox_V1_EvaluateAutoReplyRequest, context: ServerContext) async throws
        -> Inbox_V1_EvaluateAutoReplyResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: evaluateAutoReply")
    }

    func recordAgentPresence(request: Inbox_V1_RecordAgentPresenceRequest, context: ServerContext) async throws
        -> Inbox_V1_RecordAgentPresenceResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: recordAgentPresence")
    }
}

struct GatewayConversationStandIn: Inbox_V1_ConversationService.SimpleServiceProtocol {
    let state: GatewayPeerStandIns

    func ingestEvents(request: Inbox_V1_IngestEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_IngestEventsResponse
    {
        try await self.state.ingest(request)
    }

    func listConversations(request: Inbox_V1_ListConversationsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListConversationsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listConversations")
    }

    func getConversation(request: Inbox_V1_GetConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        throw RPCError(code: .unimplemented, message: "stand-in: getConversation")
    }

    func listMessages(request: Inbox_V1_ListMessagesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListMessagesResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listMessages")
    }

    func sendReply(request: Inbox_V1_SendReplyRequest, context: ServerContext) async throws -> Inbox_V1_Message {
        throw RPCError(code: .unimplemented, message: "stand-in: sendReply")
    }

    func updateConversation(request: Inbox_V1_UpdateConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        throw RPCError(code: .unimplemented, message: "stand-in: updateConversation")
    }

    func addNote(request: Inbox_V1_AddNoteRequest, context: ServerContext) async throws -> Inbox_V1_Message {
        throw RPCError(code: .unimplemented, message: "stand-in: addNote")
    }

    func watchConversations(
        request: Inbox_V1_WatchConversationsRequest, response: RPCWriter<Inbox_V1_ConversationEvent>,
        context: ServerContext
    ) async throws {
        throw RPCError(code: .unimplemented, message: "stand-in: watchConversations")
    }

    func recordDeliveryStatus(request: Inbox_V1_RecordDeliveryStatusRequest, context: ServerContext) async throws
        -> Inbox_V1_RecordDeliveryStatusResponse
    {
        try await self.state.recordDeliveryStatus(request)
    }

    func setAssignee(request: Inbox_V1_SetAssigneeRequest, context: ServerContext) async throws
        -> Inbox_V1_SetAssigneeResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: setAssignee")
    }

    func markConversationRead(request: Inbox_V1_MarkConversationReadRequest, context: ServerContext) async throws
        -> Inbox_V1_Conversation
    {
        throw RPCError(code: .unimplemented, message: "stand-in: markConversationRead")
    }

    func setTyping(request: Inbox_V1_SetTypingRequest, context: ServerContext) async throws
        -> Inbox_V1_SetTypingResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: setTyping")
    }

    func getContact(request: Inbox_V1_GetContactRequest, context: ServerContext) async throws -> Inbox_V1_Contact {
        throw RPCError(code: .unimplemented, message: "stand-in: getContact")
    }

    func listContacts(request: Inbox_V1_ListContactsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListContactsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listContacts")
    }
}
