public import GRPCCore
public import GRPCProtobuf
public import InboxAPI
public import SwiftProtobuf

/// The errors a service's domain speaks, mapped once to gRPC status codes (DESIGN.md §4).
///
/// Each carries a person's message (what is wrong, never internal error text), a stable
/// ``ErrorReason`` with string metadata, and optional typed details (a `ReplyRefusal`, a
/// `google.rpc.RetryInfo`). On the wire it is the status code and message plus a
/// `google.rpc.Status` in the standard `grpc-status-details-bin` trailer whose first detail is the
/// `google.rpc.ErrorInfo` (domain `inbox.v1`), followed by the typed details.
public struct DomainError: Error, Hashable, RPCErrorConvertible {
    public var code: RPCError.Code
    public var reason: ErrorReason
    public var message: String
    /// `ErrorInfo.metadata`: machine-readable facts (`field`, `limit`, `resource`, ...).
    public var metadata: [String: String]
    /// Typed details after the `ErrorInfo`.
    public var details: [ErrorDetails]

    public init(
        _ code: RPCError.Code, reason: ErrorReason, _ message: String, metadata: [String: String] = [:],
        details: [ErrorDetails] = []
    ) {
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = metadata
        self.details = details
    }

    public var rpcErrorCode: RPCError.Code { self.code }
    public var rpcErrorMessage: String { self.message }
    public var rpcErrorMetadata: Metadata { self.status.rpcErrorMetadata }

    /// The `google.rpc.Status` this error travels as.
    public var status: GoogleRPCStatus {
        let info = ErrorDetails.errorInfo(
            reason: self.reason.rawValue, domain: ErrorReason.domain, metadata: self.metadata)
        return GoogleRPCStatus(code: self.code, message: self.message, details: [info] + self.details)
    }

    /// Adds a typed protobuf detail (packed as `google.protobuf.Any`).
    public func with(detail message: some SwiftProtobuf.Message) -> DomainError {
        var copy = self
        if let any = try? Google_Protobuf_Any(message: message) { copy.details.append(.any(any)) }
        return copy
    }

    // MARK: One constructor per status code, with the reason most calls of that code mean.

    public static func invalidArgument(
        _ message: String, reason: ErrorReason = .fieldInvalid, field: String? = nil, metadata: [String: String] = [:]
    ) -> DomainError {
        var metadata = metadata
        if let field { metadata["field"] = field }
        return DomainError(.invalidArgument, reason: reason, message, metadata: metadata)
    }

    public static func notFound(_ message: String, resource: String? = nil) -> DomainError {
        DomainError(.notFound, reason: .resourceNotFound, message, metadata: resource.map { ["resource": $0] } ?? [:])
    }

    public static func alreadyExists(_ message: String, reason: ErrorReason = .resourceAlreadyExists) -> DomainError {
        DomainError(.alreadyExists, reason: reason, message)
    }

    public static func failedPrecondition(_ message: String, reason: ErrorReason, metadata: [String: String] = [:])
        -> DomainError
    {
        DomainError(.failedPrecondition, reason: reason, message, metadata: metadata)
    }

    public static func permissionDenied(_ message: String, reason: ErrorReason = .roleNotAllowed) -> DomainError {
        DomainError(.permissionDenied, reason: reason, message)
    }

    public static func unauthenticated(_ message: String, reason: ErrorReason = .tokenInvalid) -> DomainError {
        DomainError(.unauthenticated, reason: reason, message)
    }

    public static func resourceExhausted(
        _ message: String, reason: ErrorReason = .rateLimited, retryAfter: Duration? = nil
    )
        -> DomainError
    {
        DomainError(
            .resourceExhausted, reason: reason, message, details: retryAfter.map { [.retryInfo(delay: $0)] } ?? [])
    }

    public static func unavailable(_ message: String) -> DomainError {
        DomainError(.unavailable, reason: .dependencyUnavailable, message)
    }

    public static func unimplemented(_ message: String) -> DomainError {
        DomainError(.unimplemented, reason: .notImplemented, message)
    }

    /// The idempotency key was used before with a different request.
    public static func idempotencyKeyReused(_ field: String = "idempotency_key") -> DomainError {
        DomainError(
            .alreadyExists, reason: .idempotencyKeyReused,
            "\(field) was already used with a different request; use a new key", metadata: ["field": field])
    }

    /// The answer of an RPC that a later issue builds (the v1 surface is complete; its handlers
    /// arrive one capability at a time).
    public static func notBuiltYet(_ method: String) -> DomainError {
        .unimplemented("\(method) is not implemented yet")
    }
}

extension DomainError {
    /// This error as the `google.rpc.Status` of one item of a batch (IngestResult, RouteResult,
    /// SetAssigneeResult, DeliveryStatusResult): code, message and the same details as a refusal.
    public var itemStatus: Google_Rpc_Status {
        let bytes: [UInt8] = (try? self.status.serializedBytes()) ?? []
        return (try? Google_Rpc_Status(serializedBytes: bytes))
            ?? .with {
                $0.code = Int32(self.code.rawValue)
                $0.message = self.message
            }
    }
}
