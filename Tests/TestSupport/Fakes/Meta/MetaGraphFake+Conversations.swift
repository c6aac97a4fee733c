import Foundation
import PlatformJSON

/// A message of a fake Graph conversation. `id` is what the webhook calls `mid`.
public struct FakeGraphMessage: Sendable, Hashable {
    public var id: String
    /// Unix seconds (the Graph API's `created_time` has whole seconds).
    public var createdTime: Int64
    public var fromID: String
    /// The Page's or person's `name` (Facebook), the `username` (Instagram).
    public var fromName: String
    public var toID: String
    public var text: String

    public init(id: String, createdTime: Int64, fromID: String, fromName: String, toID: String, text: String) {
        self.id = id
        self.createdTime = createdTime
        self.fromID = fromID
        self.fromName = fromName
        self.toID = toID
        self.text = text
    }
}

/// Facebook and Instagram: the conversations edge, `GET /{account-id}/conversations?platform=...
/// &fields=id,updated_time,messages.limit(n){...}` (newest conversation first, each with its newest
/// messages), and `GET /{conversation-id}/messages`. Paged with `limit` and `after`; the cursors
/// are offsets written as decimal text (opaque to a client), `paging.next` is present when there
/// is more. Instagram requires `platform=instagram`; Facebook accepts `messenger` or none.
extension MetaGraphFake {
    /// Adds `message` to conversation `conversationID` (created on first use).
    public func registerConversationMessage(conversationID: String, _ message: FakeGraphMessage) {
        conversationStore.withLock { $0[conversationID, default: []].append(message) }
    }

    func conversationsPage(_ request: FakeRequest) -> FakeResponse {
        let platform = request.query["platform"]
        switch flavour {
        case .instagram where platform != "instagram", .facebook where platform != nil && platform != "messenger":
            return MetaGraphErrors.missingParameter("platform", flavour: flavour)
        default: break
        }
        let fields = request.query["fields"] ?? ""
        var messageLimit = 25
        if let start = fields.range(of: "messages.limit("), let end = fields[start.upperBound...].firstIndex(of: ")"),
            let limit = Int(fields[start.upperBound..<end])
        {
            messageLimit = limit
        }
        let all = conversationStore.withLock { $0 }
            .map { (id: $0.key, messages: $0.value.sorted { $0.createdTime > $1.createdTime }) }
            .sorted { ($0.messages.first?.createdTime ?? 0, $0.id) > ($1.messages.first?.createdTime ?? 0, $1.id) }
        let offset = max(0, Int(request.query["after"] ?? "0") ?? 0)
        let limit = max(1, Int(request.query["limit"] ?? "25") ?? 25)
        let page = Array(all.dropFirst(offset).prefix(limit))
        let data: [WireJSON] = page.map { conversation in
            [
                "id": .string(conversation.id),
                "updated_time": .string(Self.graphTime(conversation.messages.first?.createdTime ?? 0)),
                "messages": messagesList(
                    conversation.messages, offset: 0, limit: messageLimit, conversationID: conversation.id),
            ]
        }
        let next = offset + page.count
        var paging: [String: WireJSON] = [
            "cursors": ["before": .string(String(offset)), "after": .string(String(next))]
        ]
        if next < all.count {
            paging["next"] = .string("\(baseURL)/\(version)/\(request.segments[1])/conversations?after=\(next)")
        }
        return .json(200, ["data": .array(data), "paging": .object(paging)])
    }

    func conversationMessagesPage(_ request: FakeRequest) -> FakeResponse {
        let conversationID = request.segments[1]
        guard let messages = conversationStore.withLock({ $0[conversationID] }) else {
            return MetaGraphErrors.response(code: 100, subcode: 33, flavour: flavour)
        }
        let offset = max(0, Int(request.query["after"] ?? "0") ?? 0)
        let limit = max(1, Int(request.query["limit"] ?? "25") ?? 25)
        return .json(
            200,
            messagesList(
                messages.sorted { $0.createdTime > $1.createdTime }, offset: offset, limit: limit,
                conversationID: conversationID))
    }

    /// `{"data":[messages newest first],"paging":{...}}`.
    private func messagesList(
        _ messages: [FakeGraphMessage], offset: Int, limit: Int, conversationID: String
    ) -> WireJSON {
        let page = Array(messages.dropFirst(offset).prefix(limit))
        let nameKey = flavour == .instagram ? "username" : "name"
        let data: [WireJSON] = page.map { message in
            [
                "id": .string(message.id), "created_time": .string(Self.graphTime(message.createdTime)),
                "from": [nameKey: .string(message.fromName), "id": .string(message.fromID)],
                "to": ["data": [["id": .string(message.toID)]]],
                "message": .string(message.text),
            ]
        }
        let next = offset + page.count
        var paging: [String: WireJSON] = [
            "cursors": ["before": .string(String(offset)), "after": .string(String(next))]
        ]
        if next < messages.count {
            paging["next"] = .string("\(baseURL)/\(version)/\(conversationID)/messages?after=\(next)")
        }
        return ["data": .array(data), "paging": .object(paging)]
    }

    /// `2026-09-01T10:00:00+0000`, the Graph API's time format.
    static func graphTime(_ seconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
