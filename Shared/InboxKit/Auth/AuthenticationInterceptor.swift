public import GRPCCore

/// Verifies `authorization: Bearer <token>` on every RPC except health checks and binds the
/// ``Caller`` for the handler. A missing or bad token ends the call with UNAUTHENTICATED;
/// whether the caller may do what it asks (PERMISSION_DENIED) is the handler's decision.
public struct AuthenticationInterceptor: ServerInterceptor {
    let authority: TokenAuthority
    /// Services anyone may call without a token (the health service).
    let publicServices: Set<String>

    public init(authority: TokenAuthority, publicServices: Set<String> = ["grpc.health.v1.Health"]) {
        self.authority = authority
        self.publicServices = publicServices
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        if self.publicServices.contains(context.descriptor.service.fullyQualifiedService) {
            return try await next(request, context)
        }
        let caller = try await self.authenticate(request.metadata)
        var response = try await Caller.$current.withValue(caller) {
            try await next(request, context)
        }
        if case .success(var contents) = response.accepted {
            let producer = contents.producer
            contents.producer = { writer in
                try await Caller.$current.withValue(caller) { try await producer(writer) }
            }
            response.accepted = .success(contents)
        }
        return response
    }

    func authenticate(_ metadata: Metadata) async throws(DomainError) -> Caller {
        guard let header = metadata[stringValues: "authorization"].first(where: { _ in true }) else {
            throw .unauthenticated(
                "a bearer token is required (metadata 'authorization: Bearer <token>')", reason: .tokenMissing)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw .unauthenticated("the authorization metadata must be 'Bearer <token>'", reason: .tokenMissing)
        }
        return try await self.authority.verify(String(parts[1]))
    }
}
