import PlatformJSON
import Synchronization

/// A fake Telegram Bot API: `POST /bot<token>/sendMessage` (JSON or form). Unknown token → 401
/// `Unauthorized`; answers `{"ok":true,"result":<Message>}` or `{"ok":false,"error_code",
/// "description"[,"parameters":{"retry_after"}]}`. Accepts `reply_parameters` and the older
/// `reply_to_message_id`, and `business_connection_id` (echoed in the sent message, as Telegram
/// does for a message sent on behalf of a business account). After ``migrateChat(_:to:)`` a send
/// to the old group id is refused as Telegram refuses it once a group became a supergroup: 400
/// with `parameters.migrate_to_chat_id`.
public final class TelegramBotAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case sendMessage
    }

    public let botToken: String
    /// The bot's own user id (`result.from.id`).
    public let botUserID: Int64
    let host = FakePlatformHost()
    private let migrations = Mutex<[Int64: Int64]>([:])

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    public var baseURL: String { host.baseURL }

    private init(botToken: String, botUserID: Int64) {
        self.botToken = botToken
        self.botUserID = botUserID
    }

    public static func start(botToken: String) async throws -> TelegramBotAPIFake {
        let botUserID = Int64(botToken.split(separator: ":").first ?? "") ?? 7_000_000_001
        let fake = TelegramBotAPIFake(botToken: botToken, botUserID: botUserID)
        try await fake.host.start(endpoint: Self.endpoint(of:)) { fake.answer($0, failure: $1) }
        return fake
    }

    public func stop() async { await host.stop() }

    /// Group `oldChatID` became supergroup `newChatID`: sends to the old id are refused from now on.
    public func migrateChat(_ oldChatID: Int64, to newChatID: Int64) {
        migrations.withLock { $0[oldChatID] = newChatID }
    }

    private static func endpoint(of request: FakeRequest) -> String? {
        let segments = request.segments
        guard request.method == "POST", segments.count == 2, segments[0].hasPrefix("bot"), segments[1] == "sendMessage"
        else { return nil }
        return Endpoint.sendMessage.rawValue
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        guard request.segments[0] == "bot\(botToken)" else { return error(401, "Unauthorized") }
        switch failure {
        case .rateLimited(let seconds):
            return error(
                429, "Too Many Requests: retry after \(seconds)", parameters: ["retry_after": .int(Int64(seconds))])
        case .serverError: return error(500, "Internal Server Error")
        case .tokenError: return error(401, "Unauthorized")
        case .recipientUnavailable, .windowError: return error(403, "Forbidden: bot was blocked by the user")
        case .platformError(let code, _): return error(code, "Scripted error")
        case .hang, .asyncWindowFailure, nil: break
        }
        let fields = parameters(request)
        guard let chat = fields["chat_id"], chat.text != nil else { return error(400, "Bad Request: chat_id is empty") }
        guard let text = fields["text"]?.text, !text.isEmpty else {
            return error(400, "Bad Request: message text is empty")
        }
        if let oldID = chat.integer, let newID = migrations.withLock({ $0[oldID] }) {
            return error(
                400, "Bad Request: group chat was upgraded to a supergroup chat",
                parameters: ["migrate_to_chat_id": .int(newID)])
        }
        var message: [String: WireJSON] = [
            "message_id": .int(Int64(4800 + host.nextNumber())),
            "from": ["id": .int(botUserID), "is_bot": true, "first_name": "ShopBot", "username": "shop_bot"],
            "chat": ["id": chat.integer.map(WireJSON.int) ?? chat, "type": "private"],
            "date": 1_790_003_100, "text": .string(text),
        ]
        if let connection = fields["business_connection_id"]?.text {
            message["business_connection_id"] = .string(connection)
        }
        if let quoted = fields["reply_parameters"]?["message_id"] ?? fields["reply_to_message_id"] {
            message["reply_to_message"] = ["message_id": quoted, "chat": ["id": chat], "date": 1_790_003_000]
        }
        return .json(200, ["ok": true, "result": .object(message)])
    }

    private func parameters(_ request: FakeRequest) -> [String: WireJSON] {
        if case .object(let fields) = request.json { return fields }
        var fields: [String: WireJSON] = [:]
        for (name, value) in request.form { fields[name] = WireJSON.parse(Array(value.utf8)) ?? .string(value) }
        return fields
    }

    private func error(_ code: Int, _ description: String, parameters: WireJSON? = nil) -> FakeResponse {
        var body: [String: WireJSON] = [
            "ok": false, "error_code": .int(Int64(code)), "description": .string(description),
        ]
        if let parameters { body["parameters"] = parameters }
        return .json(code, .object(body))
    }
}
