public import GRPCCore
import Logging

/// Lets typed errors through (``DomainError``, `RPCError`, anything `RPCErrorConvertible`) and turns
/// every other error into `INTERNAL` with a generic message and the request id, after logging
/// its cause: internal error text (SQL, file paths, library messages) never reaches a caller.
///
/// grpc-swift hands a handler's untyped error on as an `UNKNOWN` failure with the error as its
/// cause (for unary calls inside the response, for streams from the producer); both are mapped.
public struct ErrorSanitizingInterceptor: ServerInterceptor {
    public init() {}

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        var response: StreamingServerResponse<Output>
        do {
            response = try await next(request, context)
        } catch {
            throw Self.sanitize(error, method: method)
        }
        switch response.accepted {
        case .failure(let error):
            response.accepted = .failure(Self.sanitize(error, method: method))
        case .success(var contents):
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    return try await producer(writer)
                } catch {
                    throw Self.sanitize(error, method: method)
                }
            }
            response.accepted = .success(contents)
        }
        return response
    }

    static func sanitize(_ error: any Error, method: String) -> RPCError {
        switch error {
        case let error as RPCError
        where error.metadata[stringValues: PeerErrorInterceptor.peerKey].contains { _ in true }:
            // A peer service's answer: mapped, never forwarded (it may name internal hosts).
            if let mapped = PeerErrorInterceptor.callerError(for: error) {
                RequestContext.current.logger.warning(
                    "peer unavailable", metadata: ["rpc": "\(method)", "error": "\(String(reflecting: error))"])
                return RPCError(
                    code: mapped.rpcErrorCode, message: mapped.rpcErrorMessage, metadata: mapped.rpcErrorMetadata)
            }
            return Self.internalError(error, method: method)
        case let error as RPCError where error.code == .unavailable || error.code == .deadlineExceeded:
            // A transport failure reaching a peer (refused, no route) is raised before client
            // interceptors run, so it is not marked; its message names an internal address.
            RequestContext.current.logger.warning(
                "peer unavailable", metadata: ["rpc": "\(method)", "error": "\(String(reflecting: error))"])
            let mapped = DomainError.unavailable("a service this call needs is unavailable; retry with backoff")
            return RPCError(
                code: mapped.rpcErrorCode, message: mapped.rpcErrorMessage, metadata: mapped.rpcErrorMetadata)
        case let error as RPCError:
            guard error.code == .unknown, let cause = error.cause else { return error }
            if let inner = cause as? RPCError {
                let fromPeer = inner.metadata[stringValues: PeerErrorInterceptor.peerKey].contains { _ in true }
                return fromPeer ? Self.sanitize(inner, method: method) : error
            }
            return Self.sanitize(cause, method: method)
        case let error as any RPCErrorConvertible:
            return RPCError(code: error.rpcErrorCode, message: error.rpcErrorMessage, metadata: error.rpcErrorMetadata)
        case is CancellationError:
            return RPCError(code: .cancelled, message: "the call was cancelled")
        default:
            return Self.internalError(error, method: method)
        }
    }

    static func internalError(_ error: any Error, method: String) -> RPCError {
        let context = RequestContext.current
        context.logger.error(
            "unexpected error", metadata: ["rpc": "\(method)", "error": "\(String(reflecting: error))"])
        let error = DomainError(
            .internalError, reason: .internal, "internal error (request id \(context.requestID))",
            details: [.requestInfo(requestID: context.requestID, servingData: "")])
        return RPCError(code: error.rpcErrorCode, message: error.rpcErrorMessage, metadata: error.rpcErrorMetadata)
    }
}
