/// Why a webhook request was rejected. Every case names what is wrong so that the log line is
/// enough to fix a fake or a misconfiguration; ``httpStatus`` is what to answer the platform.
public enum WebhookError: Error, Sendable, Hashable {
    /// The platform never calls with this method (e.g. `PUT`, or `GET` where there is no handshake).
    case methodNotAllowed(String)
    /// The channel account lacks a secret this platform needs (named).
    case notConfigured(String)
    /// A required signature header or query parameter is absent (named).
    case missingSignature(String)
    /// The signature header is present but not in the platform's format (named, with the reason).
    case malformedSignature(String, reason: String)
    /// The signature does not match the body (header or parameter named).
    case signatureMismatch(String)
    /// A signed timestamp outside the replay window.
    case staleTimestamp(signedAt: Int64, now: Int64, window: Double)
    /// A handshake whose token or mode is wrong (reason given).
    case handshakeRejected(String)
    /// The body is not well-formed JSON/XML/form data (reason with position).
    case malformedBody(String)
    /// A required field is absent (path such as `entry[0].messaging[1].sender.id`).
    case missingField(String)
    /// A field has another type than the platform documents (path and expected type).
    case wrongType(String, expected: String)
    /// A field has the right type but an impossible value (path and reason).
    case invalidValue(String, reason: String)
    /// A WeChat encrypted message that cannot be decrypted or unpacked (reason).
    case decryptionFailed(String)

    /// The HTTP status to answer with.
    public var httpStatus: Int {
        switch self {
        case .methodNotAllowed: 405
        case .notConfigured: 500
        case .missingSignature, .malformedSignature, .signatureMismatch, .staleTimestamp: 401
        case .handshakeRejected: 403
        case .malformedBody, .missingField, .wrongType, .invalidValue, .decryptionFailed: 400
        }
    }
}
