public import GRPCCore
public import InboxAPI

/// The standard `grpc.health.v1.Health` service (grpc-swift-extras is not available here),
/// answering from a ``HealthStatus``.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let status: HealthStatus

    public init(status: HealthStatus) {
        self.status = status
    }

    public func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard let status = self.status.status(of: request.service) else {
            throw RPCError(code: .notFound, message: "unknown service '\(request.service)'")
        }
        return .with { $0.status = status }
    }

    public func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        for await status in self.status.watch(request.service) {
            try await response.write(.with { $0.status = status })
        }
    }
}
