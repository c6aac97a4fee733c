import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import InboxAPI
import InboxKit
import Logging
import SwiftProtobuf
import TestSupport

/// A `ConversationService` that serves only `SendReply`, and refuses it the way the reply flow does
/// when policy wants the human-agent tag — behind the real server interceptors, on a real socket.
/// It lets an independent client (Python grpcio) check the wire form of a `ReplyRefusal` before
/// conversation-service's reply flow exists.
struct RefusingConversationService: RegistrableRPCService {
    static let windowEnd = Date(timeIntervalSince1970: 1_780_000_000)

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Inbox_V1_ConversationService.Method.SendReply.descriptor,
            deserializer: ProtobufDeserializer<Inbox_V1_SendReplyRequest>(),
            serializer: ProtobufSerializer<Inbox_V1_Message>()
        ) { _, _ in
            throw DomainError.failedPrecondition(
                "the 24-hour window closed; a human-written reply can use the human-agent tag",
                reason: .replyRefused
            ).with(
                detail: Inbox_V1_ReplyRefusal.with {
                    $0.reason = .humanAgentTagRequired
                    $0.message = "the 24-hour window closed"
                    $0.windowEndsAt = Google_Protobuf_Timestamp(date: Self.windowEnd)
                    $0.humanAgentWindowEndsAt = Google_Protobuf_Timestamp(
                        date: Self.windowEnd.addingTimeInterval(6 * 86_400))
                })
        }
    }
}

/// Serves ``RefusingConversationService`` on 127.0.0.1 (a free port) for the duration of `body`.
func withRefusingConversationServer<T: Sendable>(_ body: (Int) async throws -> T) async throws -> T {
    let authority = await TokenAuthority(signingKey: TestTokens.signingKey)
    let transport = HTTP2ServerTransport.Posix(
        address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
    return try await withGRPCServer(
        transport: transport,
        services: [RefusingConversationService()],
        interceptors: ServiceRuntime.serverInterceptors(logger: Logger(label: "refusing-server"), authority: authority)
    ) { server in
        guard let port = try await server.listeningAddress?.ipv4?.port else {
            throw TestDatabaseError("the refusing server has no IPv4 address")
        }
        return try await body(port)
    }
}
