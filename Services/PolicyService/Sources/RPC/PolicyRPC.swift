import GRPCCore
import InboxAPI
import InboxKit

/// The `inbox.v1.PolicyService` handlers. Every RPC of the v1 surface is here; those a later issue
/// builds answer UNIMPLEMENTED until then (after authentication, like every other RPC).
struct PolicyRPC: Inbox_V1_PolicyService.SimpleServiceProtocol {
    func createOrganization(request: Inbox_V1_CreateOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        throw DomainError.notBuiltYet("PolicyService.CreateOrganization")
    }

    func getOrganization(request: Inbox_V1_GetOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        throw DomainError.notBuiltYet("PolicyService.GetOrganization")
    }

    func listOrganizations(request: Inbox_V1_ListOrganizationsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListOrganizationsResponse
    {
        throw DomainError.notBuiltYet("PolicyService.ListOrganizations")
    }

    func updateOrganization(request: Inbox_V1_UpdateOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        throw DomainError.notBuiltYet("PolicyService.UpdateOrganization")
    }

    func getInboxState(request: Inbox_V1_GetInboxStateRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        throw DomainError.notBuiltYet("PolicyService.GetInboxState")
    }

    func recordActivity(request: Inbox_V1_RecordActivityRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        throw DomainError.notBuiltYet("PolicyService.RecordActivity")
    }

    func activateInbox(request: Inbox_V1_ActivateInboxRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        throw DomainError.notBuiltYet("PolicyService.ActivateInbox")
    }

    func checkIngest(request: Inbox_V1_CheckIngestRequest, context: ServerContext) async throws
        -> Inbox_V1_CheckIngestResponse
    {
        try BatchLimit.check(request.queries.count, field: "queries")
        throw DomainError.notBuiltYet("PolicyService.CheckIngest")
    }

    func checkReply(request: Inbox_V1_CheckReplyRequest, context: ServerContext) async throws
        -> Inbox_V1_CheckReplyResponse
    {
        throw DomainError.notBuiltYet("PolicyService.CheckReply")
    }

    func createAutoReplyRule(request: Inbox_V1_CreateAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_AutoReplyRule
    {
        throw DomainError.notBuiltYet("PolicyService.CreateAutoReplyRule")
    }

    func listAutoReplyRules(request: Inbox_V1_ListAutoReplyRulesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAutoReplyRulesResponse
    {
        throw DomainError.notBuiltYet("PolicyService.ListAutoReplyRules")
    }

    func updateAutoReplyRule(request: Inbox_V1_UpdateAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_AutoReplyRule
    {
        throw DomainError.notBuiltYet("PolicyService.UpdateAutoReplyRule")
    }

    func deleteAutoReplyRule(request: Inbox_V1_DeleteAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_DeleteAutoReplyRuleResponse
    {
        throw DomainError.notBuiltYet("PolicyService.DeleteAutoReplyRule")
    }

    func evaluateAutoReply(request: Inbox_V1_EvaluateAutoReplyRequest, context: ServerContext) async throws
        -> Inbox_V1_EvaluateAutoReplyResponse
    {
        try BatchLimit.check(request.candidates.count, field: "candidates")
        throw DomainError.notBuiltYet("PolicyService.EvaluateAutoReply")
    }
}
