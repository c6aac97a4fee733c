public import GRPCCore

/// A stable, machine-readable reason for an error: `google.rpc.ErrorInfo.reason` (domain
/// ``ErrorReason/domain``) in the `grpc-status-details-bin` trailer. The raw value is the name of
/// the `inbox.v1.ErrorReason` proto value without its `ERROR_REASON_` prefix, so clients in every
/// language get constants for it. Clients branch on these, never on message text.
///
/// ``catalogue`` is the one list of every reason with its status code and what a caller should do;
/// the README's table and the proto enum are checked against it by a test.
public struct ErrorReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public static let domain = "inbox.v1"

    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { self.rawValue }

    public static let fieldInvalid = ErrorReason(rawValue: "FIELD_INVALID")
    public static let batchTooLarge = ErrorReason(rawValue: "BATCH_TOO_LARGE")
    public static let pageTokenInvalid = ErrorReason(rawValue: "PAGE_TOKEN_INVALID")
    public static let organizationRequired = ErrorReason(rawValue: "ORGANIZATION_REQUIRED")
    public static let tokenMissing = ErrorReason(rawValue: "TOKEN_MISSING")
    public static let tokenInvalid = ErrorReason(rawValue: "TOKEN_INVALID")
    public static let roleNotAllowed = ErrorReason(rawValue: "ROLE_NOT_ALLOWED")
    public static let organizationMismatch = ErrorReason(rawValue: "ORGANIZATION_MISMATCH")
    public static let resourceNotFound = ErrorReason(rawValue: "RESOURCE_NOT_FOUND")
    public static let resourceAlreadyExists = ErrorReason(rawValue: "RESOURCE_ALREADY_EXISTS")
    public static let idempotencyKeyReused = ErrorReason(rawValue: "IDEMPOTENCY_KEY_REUSED")
    public static let replyRefused = ErrorReason(rawValue: "REPLY_REFUSED")
    public static let inboxDeactivated = ErrorReason(rawValue: "INBOX_DEACTIVATED")
    public static let planDoesNotAllowPlatform = ErrorReason(rawValue: "PLAN_DOES_NOT_ALLOW_PLATFORM")
    public static let channelTokenInvalid = ErrorReason(rawValue: "CHANNEL_TOKEN_INVALID")
    public static let channelDisconnected = ErrorReason(rawValue: "CHANNEL_DISCONNECTED")
    public static let versionConflict = ErrorReason(rawValue: "VERSION_CONFLICT")
    public static let rateLimited = ErrorReason(rawValue: "RATE_LIMITED")
    public static let streamTooSlow = ErrorReason(rawValue: "STREAM_TOO_SLOW")
    public static let dependencyUnavailable = ErrorReason(rawValue: "DEPENDENCY_UNAVAILABLE")
    public static let notImplemented = ErrorReason(rawValue: "NOT_IMPLEMENTED")
    public static let `internal` = ErrorReason(rawValue: "INTERNAL")

    /// One row of the catalogue: a reason, the status code it travels with, what a caller does.
    public struct Entry: Sendable {
        public let reason: ErrorReason
        public let code: RPCError.Code
        public let callerAction: String
    }

    /// Every reason, in the order of the proto enum.
    public static let catalogue: [Entry] = [
        Entry(
            reason: .fieldInvalid, code: .invalidArgument,
            callerAction: "Fix the field named in metadata `field`; do not retry unchanged."),
        Entry(
            reason: .batchTooLarge, code: .invalidArgument,
            callerAction: "Split the batch to at most metadata `limit` items; nothing was committed."),
        Entry(
            reason: .pageTokenInvalid, code: .invalidArgument,
            callerAction: "Start again without a page token (or resume token)."),
        Entry(
            reason: .organizationRequired, code: .invalidArgument,
            callerAction: "Service and operator callers name the organisation in `organization_id`."),
        Entry(reason: .tokenMissing, code: .unauthenticated, callerAction: "Send `authorization: Bearer <token>`."),
        Entry(
            reason: .tokenInvalid, code: .unauthenticated,
            callerAction: "Get a new token (expired, wrong key or bad claims)."),
        Entry(
            reason: .roleNotAllowed, code: .permissionDenied,
            callerAction: "Use a token with a role this call allows (the message names it)."),
        Entry(
            reason: .organizationMismatch, code: .permissionDenied,
            callerAction: "Act only on the token's own organisation."),
        Entry(
            reason: .resourceNotFound, code: .notFound,
            callerAction: "Check the id (metadata `resource`); another organisation's resources are not found either."),
        Entry(
            reason: .resourceAlreadyExists, code: .alreadyExists,
            callerAction: "Use the existing resource (metadata `resource`)."),
        Entry(
            reason: .idempotencyKeyReused, code: .alreadyExists,
            callerAction: "Use a new idempotency key for a different request."),
        Entry(
            reason: .replyRefused, code: .failedPrecondition,
            callerAction:
                "Read the `ReplyRefusal` detail: add the human-agent tag, send a template, or wait; the window's end is in it."
        ),
        Entry(
            reason: .inboxDeactivated, code: .failedPrecondition,
            callerAction: "Activate the inbox (`ActivateInbox`, admin or operator), then retry."),
        Entry(
            reason: .planDoesNotAllowPlatform, code: .failedPrecondition,
            callerAction: "Move the organisation to the enterprise plan, or use another platform."),
        Entry(
            reason: .channelTokenInvalid, code: .failedPrecondition,
            callerAction: "Give the channel new credentials (`RotateChannelCredentials`), then retry."),
        Entry(
            reason: .channelDisconnected, code: .failedPrecondition,
            callerAction: "Connect the channel again, then retry."),
        Entry(
            reason: .versionConflict, code: .failedPrecondition,
            callerAction: "Read the resource again and re-apply the change."),
        Entry(
            reason: .rateLimited, code: .resourceExhausted,
            callerAction: "Retry after the delay in `google.rpc.RetryInfo`."),
        Entry(
            reason: .streamTooSlow, code: .resourceExhausted,
            callerAction: "Reconnect the watch with the last cursor as `resume_token`, and read faster."),
        Entry(
            reason: .dependencyUnavailable, code: .unavailable,
            callerAction: "Retry with exponential backoff; mutations with their idempotency key."),
        Entry(
            reason: .notImplemented, code: .unimplemented,
            callerAction: "Not built in this version of the service; do not retry."),
        Entry(
            reason: .internal, code: .internalError,
            callerAction:
                "Report the request id from the details (or `x-request-id`); retry with backoff if idempotent."),
    ]
}
