import struct Foundation.Date

/// A JSON value together with its path from the document root, so every access failure can name
/// the exact field (`entry[0].messaging[1].sender.id`).
struct JSONNode: Sendable {
    let value: RawJSON
    let path: String

    init(_ value: RawJSON, path: String) {
        self.value = value
        self.path = path
    }

    /// Parses a document; the root path is empty.
    static func parse(_ bytes: [UInt8], root: String = "") throws(WebhookError) -> JSONNode {
        JSONNode(try RawJSON.parse(bytes), path: root)
    }

    private func childPath(_ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    private func wrongType(_ expected: String) -> WebhookError {
        .wrongType(path.isEmpty ? "(root)" : path, expected: expected + ", found " + value.typeName)
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The member `key`, nil when absent or `null`. Throws when this node is not an object.
    func optional(_ key: String) throws(WebhookError) -> JSONNode? {
        guard case .object(let members) = value else { throw wrongType("object") }
        guard let member = members[key], member != .null else { return nil }
        return JSONNode(member, path: childPath(key))
    }

    /// The member `key`; absent or `null` is ``WebhookError/missingField(_:)``.
    func field(_ key: String) throws(WebhookError) -> JSONNode {
        guard let node = try optional(key) else { throw .missingField(childPath(key)) }
        return node
    }

    func has(_ key: String) -> Bool {
        guard case .object(let members) = value else { return false }
        return members[key] != nil
    }

    func string() throws(WebhookError) -> String {
        guard case .string(let text) = value else { throw wrongType("string") }
        return text
    }

    func bool() throws(WebhookError) -> Bool {
        guard case .bool(let flag) = value else { throw wrongType("boolean") }
        return flag
    }

    func array() throws(WebhookError) -> [JSONNode] {
        guard case .array(let elements) = value else { throw wrongType("array") }
        return elements.enumerated().map { JSONNode($0.element, path: "\(path)[\($0.offset)]") }
    }

    /// An id that platforms send either as a string or as a bare integer (kept as exact text); an
    /// empty string is rejected because ids become deduplication keys.
    func id() throws(WebhookError) -> String {
        switch value {
        case .string(let text):
            guard !text.isEmpty else { throw .invalidValue(path, reason: "empty id") }
            return text
        case .number(let text):
            guard
                text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") || $0 == UInt8(ascii: "-") })
            else { throw .invalidValue(path, reason: "id \(text) is not an integer") }
            return text
        default:
            throw wrongType("string or integer id")
        }
    }

    /// An integer sent as a JSON number or as a numeric string (WhatsApp, X send strings).
    func int64() throws(WebhookError) -> Int64 {
        let text: String
        switch value {
        case .number(let token): text = token
        case .string(let token): text = token
        default: throw wrongType("integer")
        }
        guard let number = Int64(text) else {
            throw .invalidValue(path, reason: "\(text.prefix(40)) is not a 64-bit integer")
        }
        return number
    }

    /// A Unix time in seconds (number or numeric string). The range check (about ±35,000 years)
    /// keeps `Date` arithmetic finite and avoids `abs(Int64.min)`.
    func unixSeconds() throws(WebhookError) -> Date {
        let seconds = try int64()
        guard seconds > -(1 << 40), seconds < 1 << 40 else {
            throw .invalidValue(path, reason: "timestamp \(seconds) out of range")
        }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    /// A Unix time in milliseconds (number or numeric string).
    func unixMilliseconds() throws(WebhookError) -> Date {
        let millis = try int64()
        guard millis > -(1 << 50), millis < 1 << 50 else {
            throw .invalidValue(path, reason: "timestamp \(millis) out of range")
        }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    // Shorthands for the common "member of a given type" accesses.

    func string(_ key: String) throws(WebhookError) -> String { try field(key).string() }
    func optionalString(_ key: String) throws(WebhookError) -> String? { try optional(key)?.string() }
    func id(_ key: String) throws(WebhookError) -> String { try field(key).id() }
    func optionalID(_ key: String) throws(WebhookError) -> String? { try optional(key)?.id() }
    func optionalBool(_ key: String) throws(WebhookError) -> Bool? { try optional(key)?.bool() }
    func array(_ key: String) throws(WebhookError) -> [JSONNode] { try field(key).array() }
    func optionalArray(_ key: String) throws(WebhookError) -> [JSONNode] { (try optional(key)?.array()) ?? [] }

    // First-present lookups, for fields platforms spell in more than one way. (Typed throws do not
    // pass through `??` and `||` autoclosures, hence functions rather than operators.)

    func optional(anyOf keys: String...) throws(WebhookError) -> JSONNode? {
        for key in keys {
            if let node = try optional(key) { return node }
        }
        return nil
    }

    func optionalString(anyOf keys: String...) throws(WebhookError) -> String? {
        for key in keys {
            if let text = try optionalString(key) { return text }
        }
        return nil
    }

    func optionalID(anyOf keys: String...) throws(WebhookError) -> String? {
        for key in keys {
            if let id = try optionalID(key) { return id }
        }
        return nil
    }

    /// A member that must be `true` to count; absent, `null` or `false` is false.
    func isTrue(_ key: String) throws(WebhookError) -> Bool {
        try optionalBool(key) == true
    }

    /// The first present id among `keys`; none is ``WebhookError/missingField(_:)`` for the first.
    func id(anyOf keys: String...) throws(WebhookError) -> String {
        for key in keys {
            if let id = try optionalID(key) { return id }
        }
        throw .missingField(childPath(keys.first ?? ""))
    }
}
