import GRPCCore
import InboxAPI
import InboxKit

extension ConversationRPC {
    func ingestEvents(request: Inbox_V1_IngestEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_IngestEventsResponse
    {
        try BatchLimit.check(request.events.count, field: "events")
        throw DomainError.notBuiltYet("ConversationService.IngestEvents")
    }
}
