import GRPCCore
import InboxAPI
import InboxKit

/// The `inbox.v1.AssignmentService` handlers. Every RPC of the v1 surface is here; those a later issue
/// builds answer UNIMPLEMENTED until then (after authentication, like every other RPC).
struct AssignmentRPC: Inbox_V1_AssignmentService.SimpleServiceProtocol {
    func createTeam(request: Inbox_V1_CreateTeamRequest, context: ServerContext) async throws -> Inbox_V1_Team {
        throw DomainError.notBuiltYet("AssignmentService.CreateTeam")
    }

    func listTeams(request: Inbox_V1_ListTeamsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListTeamsResponse
    {
        throw DomainError.notBuiltYet("AssignmentService.ListTeams")
    }

    func upsertAgent(request: Inbox_V1_UpsertAgentRequest, context: ServerContext) async throws -> Inbox_V1_Agent {
        throw DomainError.notBuiltYet("AssignmentService.UpsertAgent")
    }

    func getAgent(request: Inbox_V1_GetAgentRequest, context: ServerContext) async throws -> Inbox_V1_Agent {
        throw DomainError.notBuiltYet("AssignmentService.GetAgent")
    }

    func listAgents(request: Inbox_V1_ListAgentsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAgentsResponse
    {
        throw DomainError.notBuiltYet("AssignmentService.ListAgents")
    }

    func setAgentAvailability(request: Inbox_V1_SetAgentAvailabilityRequest, context: ServerContext) async throws
        -> Inbox_V1_Agent
    {
        throw DomainError.notBuiltYet("AssignmentService.SetAgentAvailability")
    }

    func assignConversation(request: Inbox_V1_AssignConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        throw DomainError.notBuiltYet("AssignmentService.AssignConversation")
    }

    func unassignConversation(request: Inbox_V1_UnassignConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        throw DomainError.notBuiltYet("AssignmentService.UnassignConversation")
    }

    func routeConversation(request: Inbox_V1_RouteConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_RouteConversationResponse
    {
        try BatchLimit.check(request.conversations.count, field: "conversations")
        throw DomainError.notBuiltYet("AssignmentService.RouteConversation")
    }

    func getAssignment(request: Inbox_V1_GetAssignmentRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        throw DomainError.notBuiltYet("AssignmentService.GetAssignment")
    }

    func listAssignmentHistory(request: Inbox_V1_ListAssignmentHistoryRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAssignmentHistoryResponse
    {
        throw DomainError.notBuiltYet("AssignmentService.ListAssignmentHistory")
    }

    func getWorkload(request: Inbox_V1_GetWorkloadRequest, context: ServerContext) async throws -> Inbox_V1_Workload {
        throw DomainError.notBuiltYet("AssignmentService.GetWorkload")
    }

    func createRoutingRule(request: Inbox_V1_CreateRoutingRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_RoutingRule
    {
        throw DomainError.notBuiltYet("AssignmentService.CreateRoutingRule")
    }

    func listRoutingRules(request: Inbox_V1_ListRoutingRulesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListRoutingRulesResponse
    {
        throw DomainError.notBuiltYet("AssignmentService.ListRoutingRules")
    }

    func updateRoutingRule(request: Inbox_V1_UpdateRoutingRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_RoutingRule
    {
        throw DomainError.notBuiltYet("AssignmentService.UpdateRoutingRule")
    }
}
