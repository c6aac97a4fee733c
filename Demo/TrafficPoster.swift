import AsyncHTTPClient
import Foundation
import PlatformJSON
import Synchronization
import TestSupport

/// How far the posting is, shared by the task that posts and the live view that shows it.
final class PostingProgress: Sendable {
    struct State: Sendable {
        var posted = 0
        var total = 0
        /// The latest delivery and the gateway's answer.
        var last = ""
        var finished = false
        /// Why the posting stopped early.
        var failure: String?
    }

    private let state: Mutex<State>

    init(total: Int) {
        self.state = Mutex(State(total: total))
    }

    var snapshot: State { self.state.withLock { $0 } }

    func posted(_ delivery: PlannedDelivery, status: Int) {
        self.state.withLock { state in
            state.posted += 1
            state.last = "\(delivery.platform.title) \(delivery.label) → \(status)"
        }
    }

    func fail(_ reason: String) {
        self.state.withLock { state in
            state.failure = reason
            state.finished = true
        }
    }

    func finish() {
        self.state.withLock { $0.finished = true }
    }
}

/// Posts the planned deliveries one after another, as each platform would (signed webhooks to
/// the gateway's endpoints, the visitor's messages to the web chat's API), with a pause between
/// them so that the inbox is seen filling.
struct TrafficPoster: Sendable {
    let poster: WebhookPoster
    let visitor: WebChatVisitor
    let pause: Duration

    /// Posts every delivery; the first that is not answered 200 (after the retries a platform
    /// makes of a 5xx) stops the posting and is recorded in `progress`.
    func postAll(_ deliveries: [PlannedDelivery], progress: PostingProgress, console: Console) async {
        for delivery in deliveries {
            do {
                let status = try await self.post(delivery)
                guard status == 200 else {
                    progress.fail(
                        "the gateway answered \(status) to the \(delivery.platform.title) \(delivery.label); "
                            + "its log is .local/logs/channel-gateway.log")
                    return
                }
                progress.posted(delivery, status: status)
                if !console.interactive {
                    console.event("posted   \(delivery.platform.title.padded(to: 10)) \(delivery.label) → \(status)")
                }
            } catch {
                progress.fail("the \(delivery.platform.title) \(delivery.label) could not be posted: \(error)")
                return
            }
            try? await Task.sleep(for: self.pause)
        }
        progress.finish()
    }

    /// One delivery; a 5xx (nothing was stored) is sent again after a moment, as platforms do.
    private func post(_ delivery: PlannedDelivery) async throws -> Int {
        var status = 0
        for attempt in 1...3 {
            switch delivery.transport {
            case .webhook(let webhook):
                status = try await self.poster.post(webhook).status
            case .webChatMessage(let clientID, let text):
                status = try await self.visitor.send(clientID: clientID, text: text)
            }
            guard status >= 500, attempt < 3 else { return status }
            try await Task.sleep(for: .milliseconds(300 * attempt))
        }
        return status
    }
}

/// The demo's web-chat visitor: the demo channel's visitor API, called as the widget calls it
/// (README "Web chat"), without an `Origin` (a browser sends one; the API checks it when present).
actor WebChatVisitor {
    let http: HTTPClient
    /// `<gateway>/chat/v1/<channel-id>`.
    let base: String
    private var token: String?
    private(set) var visitorID: String?

    init(http: HTTPClient, base: String) {
        self.http = http
        self.base = base
    }

    /// `POST sessions`: a visitor token (and so a visitor, and a conversation once they write).
    func start(name: String) async throws {
        let answer = try await JSONCall.send(self.http, .post, self.base + "/sessions", body: ["name": .string(name)])
        guard answer.status == 200, let token = answer.json?["token"]?.text else {
            throw DemoFailure("the web chat answered \(answer.status) to POST sessions")
        }
        self.token = token
        self.visitorID = answer.json?["visitor_id"]?.text
    }

    /// `POST messages`; the HTTP status (200: committed to the inbound log).
    func send(clientID: String, text: String) async throws -> Int {
        if self.token == nil { try await self.start(name: "Lea") }
        return try await JSONCall.send(
            self.http, .post, self.base + "/messages", bearer: self.token,
            body: ["client_id": .string(clientID), "text": .string(text)]
        ).status
    }

    /// The ids of the team's messages in the visitor's transcript, as the widget shows them.
    func agentMessageIDs() async throws -> [String] {
        let answer = try await JSONCall.send(self.http, .get, self.base + "/messages?limit=100", bearer: self.token)
        guard answer.status == 200, case .array(let messages)? = answer.json?["messages"] else {
            throw DemoFailure("the web chat answered \(answer.status) to GET messages")
        }
        return messages.filter { $0["direction"]?.text == "agent" }.compactMap { $0["id"]?.text }
    }

    /// `POST receipts`: the widget received (`delivered`) or showed (`read`) the team's messages.
    func acknowledge(_ ids: [String], state: String) async throws -> Int {
        try await JSONCall.send(
            self.http, .post, self.base + "/receipts", bearer: self.token,
            body: ["ids": .array(ids.map { WireJSON.string($0) }), "state": .string(state)]
        ).status
    }
}
