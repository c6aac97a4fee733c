import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import InboxAPI
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import ChannelGateway

/// A web-chat visitor as the widget is one, over real HTTP and WebSockets to a harness gateway.
struct WebChatVisitor: Sendable {
    let harness: GatewayHarness
    let channelID: String
    var token: String
    var visitorID: String
    /// The `Origin` the visitor's browser sends (nil: none, as a non-browser client).
    var origin: String? = WebChatTests.origin

    struct Answer: @unchecked Sendable {
        let status: Int
        let headers: [(String, String)]
        let json: [String: Any]

        func header(_ name: String) -> String? {
            self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        var errorCode: String? { (self.json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String { ((self.json["error"] as? [String: Any])?["message"] as? String) ?? "" }
    }

    /// Calls the visitor API; `token` nil sends no Authorization.
    static func call(
        _ harness: GatewayHarness, _ method: NIOHTTP1.HTTPMethod, _ path: String, body: [UInt8]? = nil,
        token: String? = nil,
        origin: String? = WebChatTests.origin, headers extra: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: harness.baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let origin { request.headers.add(name: "Origin", value: origin) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await harness.http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        return Answer(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, json: json)
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    /// Starts a session (resuming `previous` when given).
    static func start(
        _ harness: GatewayHarness, channelID: String, previous: String? = nil, name: String? = nil
    ) async throws -> (WebChatVisitor, Answer) {
        var body: [String: Any] = [:]
        if let previous { body["token"] = previous }
        if let name { body["name"] = name }
        let answer = try await Self.call(harness, .POST, "/chat/v1/\(channelID)/sessions", body: Self.json(body))
        #expect(answer.status == 200, "\(answer.json)")
        let visitor = WebChatVisitor(
            harness: harness, channelID: channelID, token: answer.json["token"] as? String ?? "",
            visitorID: answer.json["visitor_id"] as? String ?? "")
        return (visitor, answer)
    }

    func send(_ text: String, clientID: String = UUID().uuidString) async throws -> Answer {
        try await Self.call(
            self.harness, .POST, "/chat/v1/\(self.channelID)/messages",
            body: Self.json(["client_id": clientID, "text": text]), token: self.token, origin: self.origin)
    }

    func history(_ query: String = "") async throws -> Answer {
        try await Self.call(
            self.harness, .GET, "/chat/v1/\(self.channelID)/messages\(query)", token: self.token, origin: self.origin)
    }

    func receipt(_ ids: [String], _ state: String) async throws -> Answer {
        try await Self.call(
            self.harness, .POST, "/chat/v1/\(self.channelID)/receipts", body: Self.json(["ids": ids, "state": state]),
            token: self.token, origin: self.origin)
    }

    /// The URL of this visitor's stream on `base` (another replica's, say).
    func streamURL(base: String? = nil, after: Int64 = 0, token: String? = nil) -> String {
        let escaped =
            (token ?? self.token).addingPercentEncoding(
                withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~")))
            ?? ""
        return "\(base ?? self.harness.baseURL)/chat/v1/\(self.channelID)/stream?token=\(escaped)&after=\(after)"
    }
}

/// One open WebSocket stream: the frames it received, and a writer for frames to send.
final class WebChatStream: Sendable {
    private struct State: @unchecked Sendable {
        var frames: [[String: Any]] = []
        var writer: WebSocketOutboundWriter?
        var closeCode: String?
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let shared: Shared
    private let task: Task<Void, Never>

    /// Opens `url` (http://: WSClient sends `Origin: http://<host>`, without the port).
    init(url: String) {
        let shared = Shared()
        self.shared = shared
        self.task = Task {
            do {
                try await WebSocketClient.connect(
                    url: url, configuration: .init(maxFrameSize: 1 << 16), logger: Logger(label: "webchat-test")
                ) { inbound, outbound, _ in
                    shared.state.withLock { $0.writer = outbound }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message,
                            let frame = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                        else { continue }
                        shared.state.withLock { $0.frames.append(frame) }
                    }
                }
            } catch {
                shared.state.withLock { $0.closeCode = "\(error)" }
            }
            shared.state.withLock { $0.closeCode = $0.closeCode ?? "closed" }
        }
    }

    var frames: [[String: Any]] { self.shared.state.withLock { $0.frames } }
    var closed: Bool { self.shared.state.withLock { $0.closeCode != nil } }

    /// The `message` frames' messages.
    var messages: [[String: Any]] {
        self.frames.filter { $0["type"] as? String == "message" }.compactMap { $0["message"] as? [String: Any] }
    }

    func send(_ object: [String: Any]) async throws {
        guard let writer = self.shared.state.withLock({ $0.writer }) else { throw WebChatStreamNotOpen() }
        try await writer.write(.text(String(decoding: WebChatVisitor.json(object), as: UTF8.self)))
    }

    /// Waits until `condition` holds for the frames received (up to `timeout`).
    @discardableResult
    func wait(timeout: Duration = .seconds(10), _ condition: ([[String: Any]]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self.frames) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self.frames)
    }

    func close() {
        self.task.cancel()
    }
}

struct WebChatStreamNotOpen: Error {}
