public import GRPCCore
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The service token a process presents to the others: minted locally with the shared key,
/// short-lived, and renewed before it expires.
public final class ServiceTokenSource: Sendable {
    let authority: TokenAuthority
    let caller: Caller
    let lifetime: Duration
    private let cached = Mutex<(token: String, renewAfter: Date)?>(nil)

    public init(authority: TokenAuthority, service: InboxService, lifetime: Duration = .seconds(3600)) {
        self.authority = authority
        self.caller = Caller(role: .service, organizationID: nil, agentID: nil, subject: service.rawValue)
        self.lifetime = lifetime
    }

    public func token(now: Date = Date()) async throws -> String {
        if let cached = self.cached.withLock({ $0 }), cached.renewAfter > now {
            return cached.token
        }
        let token = try await self.authority.mint(self.caller, lifetime: self.lifetime, now: now)
        let renewAfter = now.addingTimeInterval(Double(self.lifetime.components.seconds) * 0.8)
        self.cached.withLock { $0 = (token, renewAfter) }
        return token
    }
}

/// Adds the process's service token to every outgoing call, and the current request id, so
/// that one request can be followed across services in the logs.
public struct ServiceTokenClientInterceptor: ClientInterceptor {
    let tokens: ServiceTokenSource

    public init(tokens: ServiceTokenSource) {
        self.tokens = tokens
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>,
        context: ClientContext,
        next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        var request = request
        request.metadata.replaceOrAddString("Bearer \(try await self.tokens.token())", forKey: "authorization")
        let requestID = RequestContext.current.requestID
        if requestID != "none" {
            request.metadata.replaceOrAddString(requestID, forKey: RequestContextInterceptor.metadataKey)
        }
        return try await next(request, context)
    }
}
