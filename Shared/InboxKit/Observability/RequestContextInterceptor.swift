public import GRPCCore
public import Logging

/// Gives every RPC a request id (the caller's `x-request-id`, or a new one), a logger that
/// carries it, and one log line when the call ends. The id is echoed in the response metadata.
public struct RequestContextInterceptor: ServerInterceptor {
    public static let metadataKey = "x-request-id"
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let supplied = request.metadata[stringValues: Self.metadataKey].first(where: { _ in true })
        let requestID = supplied.flatMap { $0.count <= 128 && !$0.isEmpty ? $0 : nil } ?? RequestContext.newID()
        let logger = {
            var logger = self.logger
            logger[metadataKey: "request-id"] = "\(requestID)"
            logger[metadataKey: "rpc"] = "\(context.descriptor.fullyQualifiedMethod)"
            return logger
        }()
        let requestContext = RequestContext(requestID: requestID, logger: logger)
        let clock = ContinuousClock()
        let start = clock.now

        var response = try await RequestContext.$current.withValue(requestContext) {
            do {
                return try await next(request, context)
            } catch {
                logger.debug("rpc failed", metadata: ["duration": "\(clock.now - start)", "error": "\(error)"])
                throw error
            }
        }
        if case .success(var contents) = response.accepted {
            contents.metadata.replaceOrAddString(requestID, forKey: Self.metadataKey)
            let producer = contents.producer
            contents.producer = { writer in
                try await RequestContext.$current.withValue(requestContext) {
                    let trailers = try await producer(writer)
                    logger.debug("rpc finished", metadata: ["duration": "\(clock.now - start)"])
                    return trailers
                }
            }
            response.accepted = .success(contents)
        }
        return response
    }
}
