public import GRPCCore
import Metrics
import Synchronization

/// Counts every RPC by method and final status code (`inbox_rpc_requests_total`) and times it
/// (`inbox_rpc_duration_seconds`, a histogram by method). Outermost, so the code counted is the
/// one the caller sees (after error sanitising and authentication). Benchmarks count successes
/// from these, since load generators such as h2load cannot see gRPC status.
public struct RPCMetricsInterceptor: ServerInterceptor {
    public init() {}

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        let start = ContinuousClock.now
        var response: StreamingServerResponse<Output>
        do {
            response = try await next(request, context)
        } catch {
            Self.record(method: method, error: error, since: start)
            throw error
        }
        switch response.accepted {
        case .failure(let error):
            Self.record(method: method, error: error, since: start)
        case .success(var contents):
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    let trailers = try await producer(writer)
                    Self.record(method: method, error: nil, since: start)
                    return trailers
                } catch {
                    Self.record(method: method, error: error, since: start)
                    throw error
                }
            }
            response.accepted = .success(contents)
        }
        return response
    }

    /// The metric handles by method and code, made once (making one goes through the registry).
    private static let handles = Mutex<[String: (Counter, Timer)]>([:])

    static func handles(method: String, code: String) -> (Counter, Timer) {
        let key = method + " " + code
        return Self.handles.withLock { handles in
            if let made = handles[key] { return made }
            let made = (
                Counter(label: "inbox_rpc_requests_total", dimensions: [("method", method), ("code", code)]),
                Timer(label: "inbox_rpc_duration_seconds", dimensions: [("method", method)])
            )
            handles[key] = made
            return made
        }
    }

    static func record(method: String, error: (any Error)?, since start: ContinuousClock.Instant) {
        let code: String
        switch error {
        case nil: code = "OK"
        case let error as RPCError: code = Self.name(error.code)
        case let error as any RPCErrorConvertible: code = Self.name(error.rpcErrorCode)
        default: code = "INTERNAL"
        }
        let (counter, timer) = Self.handles(method: method, code: code)
        counter.increment()
        timer.recordInterval(since: start)
    }

    /// The canonical upper-case name of a status code (`NOT_FOUND`), as gRPC documents them.
    public static func name(_ code: RPCError.Code) -> String {
        switch code {
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        default: "UNKNOWN"
        }
    }
}

extension Timer {
    /// Records the time elapsed since `start`.
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        self.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
