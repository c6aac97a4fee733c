#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The visitor API's JSON shapes (README "Web chat"), encoded with snake-case keys.
enum WebChatJSON {
    struct Message: Encodable {
        var id: String
        var clientId: String?
        var seq: Int64
        var version: Int64
        var direction: String
        var text: String
        var author: String?
        var createdAt: String
        var state: String

        init(_ message: WebChatMessage) {
            self.id = message.id
            self.clientId = message.clientID
            self.seq = message.seq
            self.version = message.version
            self.direction = message.direction.rawValue
            self.text = message.text
            self.author = message.author
            self.createdAt = WebChatJSON.timestamp(message.createdAt)
            self.state = message.state.rawValue
        }

        // `client_id` and `author` are always present (null when unset), as documented.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.id, forKey: .id)
            try container.encode(self.clientId, forKey: .clientId)
            try container.encode(self.seq, forKey: .seq)
            try container.encode(self.version, forKey: .version)
            try container.encode(self.direction, forKey: .direction)
            try container.encode(self.text, forKey: .text)
            try container.encode(self.author, forKey: .author)
            try container.encode(self.createdAt, forKey: .createdAt)
            try container.encode(self.state, forKey: .state)
        }

        enum CodingKeys: String, CodingKey {
            case id, clientId, seq, version, direction, text, author, createdAt, state
        }
    }

    struct Config: Encodable {
        var displayName: String
        var greeting: String
        var offlineMessage: String
        var online: Bool
        var outsideHours: String
        var maxMessageChars: Int
    }

    struct Session: Encodable {
        var token: String
        var visitorId: String
        var expiresAt: String
        var resumed: Bool
        var config: Config
    }

    struct Sent: Encodable {
        var message: Message
        var duplicate: Bool
    }

    struct History: Encodable {
        var messages: [Message]
        var hasMore: Bool
    }

    struct Updated: Encodable {
        var updated: Int
    }

    /// A stream frame: `message`, `ready`, `typing` (`typing`, `author`), `pong`, or `error` (`code` and
    /// `reason`) before a close.
    struct Frame: Encodable {
        var type: String
        var message: Message? = nil
        var version: Int64? = nil
        var code: String? = nil
        var text: String? = nil
        var typing: Bool? = nil
        var author: String? = nil

        enum CodingKeys: String, CodingKey {
            case type, message, version, code, typing, author
            case text = "reason"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.type, forKey: .type)
            try container.encodeIfPresent(self.message, forKey: .message)
            try container.encodeIfPresent(self.version, forKey: .version)
            try container.encodeIfPresent(self.code, forKey: .code)
            try container.encodeIfPresent(self.text, forKey: .text)
            try container.encodeIfPresent(self.typing, forKey: .typing)
            try container.encodeIfPresent(self.author, forKey: .author)
        }
    }

    struct Events: Encodable {
        var events: [Frame]
        var version: Int64
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    // MARK: Requests

    struct SessionRequest: Decodable {
        var token: String?
        var name: String?
    }

    struct SendRequest: Decodable {
        var clientId: String?
        var text: String?
    }

    struct ReceiptRequest: Decodable {
        var type: String?
        var ids: [String]?
        var state: String?
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) -> Value? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(type, from: Data(bytes))
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
