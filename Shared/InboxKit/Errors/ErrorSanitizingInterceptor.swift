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
        case let error as RPCError:
            guard error.code == .unknown, let cause = error.cause, !(cause is RPCError) else { return error }
            return Self.sanitize(cause, method: method)
        case let error as any RPCErrorConvertible:
            return RPCError(code: error.rpcErrorCode, message: error.rpcErrorMessage, metadata: error.rpcErrorMetadata)
        case is CancellationError:
            return RPCError(code: .cancelled, message: "the call was cancelled")
        default:
            let context = RequestContext.current
            context.logger.error(
                "unexpected error",
                metadata: ["rpc": "\(method)", "error": "\(String(reflecting: error))"]
            )
            let error = DomainError(
                .internalError, reason: .internal, "internal error (request id \(context.requestID))",
                details: [.requestInfo(requestID: context.requestID, servingData: "")])
            return RPCError(code: error.rpcErrorCode, message: error.rpcErrorMessage, metadata: error.rpcErrorMetadata)
        }
    }
}
