import GRPCCore
import InboxAPI
import InboxKit
import InboxRules
import SwiftProtobuf

// Stand-ins for conversation-service's peers, implementing their generated service protocols and
// served over the in-process transport behind the real interceptors (a call needs a service
// token). The calls conversation-service makes answer from `PeerStandIns` (scriptable, recording);
// every other call is UNIMPLEMENTED. Generated once from the protocols; edit the bodies freely.

struct PolicyStandIn: Inbox_V1_PolicyService.SimpleServiceProtocol {
    let state: PeerStandIns

    func createOrganization(request: Inbox_V1_CreateOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        throw RPCError(code: .unimplemented, message: "stand-in: createOrganization")
    }

    func getOrganization(request: Inbox_V1_GetOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        try self.state.policyCall("GetOrganization")
        return .with {
            $0.id = request.organizationID
            $0.firstResponseTarget = .init(seconds: Int64(self.state.firstResponseTargetSeconds))
        }
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
        try self.state.policyCall("RecordActivity")
        self.state.record(activity: request)
        return .init()
    }

    func activateInbox(request: Inbox_V1_ActivateInboxRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        throw RPCError(code: .unimplemented, message: "stand-in: activateInbox")
    }

    func checkIngest(request: Inbox_V1_CheckIngestRequest, context: ServerContext) async throws
        -> Inbox_V1_CheckIngestResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: checkIngest")
    }

    func checkReply(request: Inbox_V1_CheckReplyRequest, context: ServerContext) async throws
        -> Inbox_V1_CheckReplyResponse
    {
        try self.state.policyCall("CheckReply")
        return PeerStandIns.checkReply(request)
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
        try self.state.policyCall("EvaluateAutoReply")
        return self.state.evaluate(request)
    }

    func recordAgentPresence(request: Inbox_V1_RecordAgentPresenceRequest, context: ServerContext) async throws
        -> Inbox_V1_RecordAgentPresenceResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: recordAgentPresence")
    }

}

struct AssignmentStandIn: Inbox_V1_AssignmentService.SimpleServiceProtocol {
    let state: PeerStandIns

    func createTeam(request: Inbox_V1_CreateTeamRequest, context: ServerContext) async throws -> Inbox_V1_Team {
        throw RPCError(code: .unimplemented, message: "stand-in: createTeam")
    }

    func listTeams(request: Inbox_V1_ListTeamsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListTeamsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listTeams")
    }

    func upsertAgent(request: Inbox_V1_UpsertAgentRequest, context: ServerContext) async throws -> Inbox_V1_Agent {
        throw RPCError(code: .unimplemented, message: "stand-in: upsertAgent")
    }

    func getAgent(request: Inbox_V1_GetAgentRequest, context: ServerContext) async throws -> Inbox_V1_Agent {
        throw RPCError(code: .unimplemented, message: "stand-in: getAgent")
    }

    func listAgents(request: Inbox_V1_ListAgentsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAgentsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listAgents")
    }

    func setAgentAvailability(request: Inbox_V1_SetAgentAvailabilityRequest, context: ServerContext) async throws
        -> Inbox_V1_Agent
    {
        throw RPCError(code: .unimplemented, message: "stand-in: setAgentAvailability")
    }

    func assignConversation(request: Inbox_V1_AssignConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        throw RPCError(code: .unimplemented, message: "stand-in: assignConversation")
    }

    func unassignConversation(request: Inbox_V1_UnassignConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        throw RPCError(code: .unimplemented, message: "stand-in: unassignConversation")
    }

    func routeConversation(request: Inbox_V1_RouteConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_RouteConversationResponse
    {
        try self.state.assignmentCall()
        return self.state.route(request)
    }

    func getAssignment(request: Inbox_V1_GetAssignmentRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        throw RPCError(code: .unimplemented, message: "stand-in: getAssignment")
    }

    func listAssignmentHistory(request: Inbox_V1_ListAssignmentHistoryRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAssignmentHistoryResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listAssignmentHistory")
    }

    func getWorkload(request: Inbox_V1_GetWorkloadRequest, context: ServerContext) async throws -> Inbox_V1_Workload {
        throw RPCError(code: .unimplemented, message: "stand-in: getWorkload")
    }

    func createRoutingRule(request: Inbox_V1_CreateRoutingRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_RoutingRule
    {
        throw RPCError(code: .unimplemented, message: "stand-in: createRoutingRule")
    }

    func listRoutingRules(request: Inbox_V1_ListRoutingRulesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListRoutingRulesResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listRoutingRules")
    }

    func updateRoutingRule(request: Inbox_V1_UpdateRoutingRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_RoutingRule
    {
        throw RPCError(code: .unimplemented, message: "stand-in: updateRoutingRule")
    }

    func releaseConversations(request: Inbox_V1_ReleaseConversationsRequest, context: ServerContext) async throws
        -> Inbox_V1_ReleaseConversationsResponse
    {
        try self.state.releaseCall()
        return self.state.release(request)
    }

}

struct ChannelGatewayStandIn: Inbox_V1_ChannelGatewayService.SimpleServiceProtocol {
    let state: PeerStandIns

    func connectChannel(request: Inbox_V1_ConnectChannelRequest, context: ServerContext) async throws
        -> Inbox_V1_Channel
    {
        throw RPCError(code: .unimplemented, message: "stand-in: connectChannel")
    }

    func getChannel(request: Inbox_V1_GetChannelRequest, context: ServerContext) async throws -> Inbox_V1_Channel {
        throw RPCError(code: .unimplemented, message: "stand-in: getChannel")
    }

    func listChannels(request: Inbox_V1_ListChannelsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListChannelsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listChannels")
    }

    func disconnectChannel(request: Inbox_V1_DisconnectChannelRequest, context: ServerContext) async throws
        -> Inbox_V1_Channel
    {
        throw RPCError(code: .unimplemented, message: "stand-in: disconnectChannel")
    }

    func rotateChannelCredentials(request: Inbox_V1_RotateChannelCredentialsRequest, context: ServerContext)
        async throws -> Inbox_V1_Channel
    {
        throw RPCError(code: .unimplemented, message: "stand-in: rotateChannelCredentials")
    }

    func getChannelHealth(request: Inbox_V1_GetChannelHealthRequest, context: ServerContext) async throws
        -> Inbox_V1_ChannelHealth
    {
        throw RPCError(code: .unimplemented, message: "stand-in: getChannelHealth")
    }

    func deliverMessage(request: Inbox_V1_DeliverMessageRequest, context: ServerContext) async throws
        -> Inbox_V1_Delivery
    {
        try self.state.gatewayCall()
        return self.state.deliver(request)
    }

    func getDelivery(request: Inbox_V1_GetDeliveryRequest, context: ServerContext) async throws -> Inbox_V1_Delivery {
        throw RPCError(code: .unimplemented, message: "stand-in: getDelivery")
    }

    func listInboundEvents(request: Inbox_V1_ListInboundEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListInboundEventsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: listInboundEvents")
    }

    func replayInboundEvents(request: Inbox_V1_ReplayInboundEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ReplayInboundEventsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: replayInboundEvents")
    }

    func releaseHeldEvents(request: Inbox_V1_ReleaseHeldEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ReleaseHeldEventsResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: releaseHeldEvents")
    }

    func reconcileChannel(request: Inbox_V1_ReconcileChannelRequest, context: ServerContext) async throws
        -> Inbox_V1_ReconcileChannelResponse
    {
        throw RPCError(code: .unimplemented, message: "stand-in: reconcileChannel")
    }

    func notifyTyping(request: Inbox_V1_NotifyTypingRequest, context: ServerContext) async throws
        -> Inbox_V1_NotifyTypingResponse
    {
        self.state.with { $0.typing.append(request) }
        return .with { $0.shown = true }
    }

}
