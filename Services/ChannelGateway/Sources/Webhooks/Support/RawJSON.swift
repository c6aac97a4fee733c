/// A parsed JSON value that keeps every number as its source text, so that ids beyond 2^53
/// (TikTok, X, WhatsApp) are never rounded through `Double`.
enum RawJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number token exactly as written (validated against the JSON grammar).
    case number(String)
    case string(String)
    case array([RawJSON])
    case object([String: RawJSON])

    /// The JSON type name used in error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Parses a complete JSON document.
    static func parse(_ bytes: [UInt8]) throws(WebhookError) -> RawJSON {
        var parser = RawJSONParser(bytes: bytes)
        return try parser.parseDocument()
    }
}
