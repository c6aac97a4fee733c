public import GRPCCore

/// The errors a service's domain speaks, mapped once to gRPC status codes (DESIGN.md §4).
/// Each message is for a person: it says what is wrong and never carries internal error text.
public enum DomainError: Error, Equatable, RPCErrorConvertible {
    case invalidArgument(String)
    case notFound(String)
    case alreadyExists(String)
    case failedPrecondition(String)
    case permissionDenied(String)
    case unauthenticated(String)
    case resourceExhausted(String)
    case unavailable(String)
    case unimplemented(String)

    public var rpcErrorCode: RPCError.Code {
        switch self {
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .failedPrecondition: .failedPrecondition
        case .permissionDenied: .permissionDenied
        case .unauthenticated: .unauthenticated
        case .resourceExhausted: .resourceExhausted
        case .unavailable: .unavailable
        case .unimplemented: .unimplemented
        }
    }

    public var rpcErrorMessage: String {
        switch self {
        case .invalidArgument(let message), .notFound(let message), .alreadyExists(let message),
            .failedPrecondition(let message), .permissionDenied(let message), .unauthenticated(let message),
            .resourceExhausted(let message), .unavailable(let message), .unimplemented(let message):
            message
        }
    }

    /// The answer of an RPC that a later issue builds (the v1 surface is complete; its handlers
    /// arrive one capability at a time).
    public static func notBuiltYet(_ method: String) -> DomainError {
        .unimplemented("\(method) is not implemented yet")
    }
}
