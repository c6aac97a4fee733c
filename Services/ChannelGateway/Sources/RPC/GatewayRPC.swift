import GRPCCore
import InboxAPI
import InboxKit

/// The `inbox.v1.ChannelGatewayService` handlers. Every RPC of the v1 surface is here; those a later issue
/// builds answer UNIMPLEMENTED until then (after authentication, like every other RPC).
struct GatewayRPC: Inbox_V1_ChannelGatewayService.SimpleServiceProtocol {
    func connectChannel(request: Inbox_V1_ConnectChannelRequest, context: ServerContext) async throws
        -> Inbox_V1_Channel
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.ConnectChannel")
    }

    func getChannel(request: Inbox_V1_GetChannelRequest, context: ServerContext) async throws -> Inbox_V1_Channel {
        throw DomainError.notBuiltYet("ChannelGatewayService.GetChannel")
    }

    func listChannels(request: Inbox_V1_ListChannelsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListChannelsResponse
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.ListChannels")
    }

    func disconnectChannel(request: Inbox_V1_DisconnectChannelRequest, context: ServerContext) async throws
        -> Inbox_V1_Channel
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.DisconnectChannel")
    }

    func rotateChannelCredentials(request: Inbox_V1_RotateChannelCredentialsRequest, context: ServerContext)
        async throws -> Inbox_V1_Channel
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.RotateChannelCredentials")
    }

    func getChannelHealth(request: Inbox_V1_GetChannelHealthRequest, context: ServerContext) async throws
        -> Inbox_V1_ChannelHealth
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.GetChannelHealth")
    }

    func deliverMessage(request: Inbox_V1_DeliverMessageRequest, context: ServerContext) async throws
        -> Inbox_V1_Delivery
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.DeliverMessage")
    }

    func getDelivery(request: Inbox_V1_GetDeliveryRequest, context: ServerContext) async throws -> Inbox_V1_Delivery {
        throw DomainError.notBuiltYet("ChannelGatewayService.GetDelivery")
    }

    func listInboundEvents(request: Inbox_V1_ListInboundEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListInboundEventsResponse
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.ListInboundEvents")
    }

    func replayInboundEvents(request: Inbox_V1_ReplayInboundEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ReplayInboundEventsResponse
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.ReplayInboundEvents")
    }

    func releaseHeldEvents(request: Inbox_V1_ReleaseHeldEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ReleaseHeldEventsResponse
    {
        throw DomainError.notBuiltYet("ChannelGatewayService.ReleaseHeldEvents")
    }
}
