public import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The request id and logger of the RPC being served, bound for the duration of the handler by
/// ``RequestContextInterceptor``.
public struct RequestContext: Sendable {
    public let requestID: String
    public let logger: Logger

    public init(requestID: String, logger: Logger) {
        self.requestID = requestID
        self.logger = logger
    }

    @TaskLocal public static var current = RequestContext(
        requestID: "none",
        logger: Logger(label: "social-inbox")
    )

    /// A new random request id.
    public static func newID() -> String {
        UUID().uuidString.lowercased()
    }
}
