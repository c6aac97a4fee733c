public import GRPCCore

/// Marks every error a peer service answers (or the transport raises while calling it), so that
/// ``ErrorSanitizingInterceptor`` maps it instead of forwarding it: a downstream NOT_FOUND, or an
/// UNAVAILABLE naming an internal host, never reaches an outside caller as it was.
public struct PeerErrorInterceptor: ClientInterceptor {
    /// The metadata key that carries the peer's name on a marked error (never sent to callers:
    /// the sanitiser replaces marked errors).
    public static let peerKey = "x-inbox-peer"
    let peer: String

    public init(peer: String) {
        self.peer = peer
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>,
        context: ClientContext,
        next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        var response: StreamingClientResponse<Output>
        do {
            response = try await next(request, context)
        } catch let error as RPCError {
            throw self.mark(error)
        }
        switch response.accepted {
        case .failure(let error):
            response.accepted = .failure(self.mark(error))
        case .success(var contents):
            // A failure after the call started (connection lost, a unary call's error) arrives
            // through the body parts.
            contents.bodyParts = RPCAsyncSequence(wrapping: MarkedErrors(base: contents.bodyParts, interceptor: self))
            response.accepted = .success(contents)
        }
        return response
    }

    func mark(_ error: RPCError) -> RPCError {
        var error = error
        error.metadata.replaceOrAddString(self.peer, forKey: Self.peerKey)
        return error
    }

    /// What an outside caller sees for a peer's error: UNAVAILABLE (reason DEPENDENCY_UNAVAILABLE,
    /// naming the service, never its address) when the peer could not answer in time, and nil —
    /// INTERNAL with a request id — for anything else, which is a bug of ours to log, not the
    /// caller's to handle. Handlers that expect a peer's refusal catch it before it gets here.
    public static func callerError(for error: RPCError) -> DomainError? {
        guard let peer = error.metadata[stringValues: Self.peerKey].first(where: { _ in true }) else { return nil }
        switch error.code {
        case .unavailable, .deadlineExceeded, .resourceExhausted, .aborted:
            return .unavailable("\(peer) is unavailable; retry with backoff")
        default:
            return nil
        }
    }
}

/// The elements of `base`, with an `RPCError` it throws marked as the peer's.
struct MarkedErrors<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element: Sendable {
    typealias Element = Base.Element
    let base: Base
    let interceptor: PeerErrorInterceptor

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let interceptor: PeerErrorInterceptor

        mutating func next() async throws -> Element? {
            do {
                return try await self.base.next()
            } catch let error as RPCError {
                throw self.interceptor.mark(error)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), interceptor: self.interceptor)
    }
}
