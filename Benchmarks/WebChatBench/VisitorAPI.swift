import AsyncHTTPClient
import BenchSupport
import Foundation
import PlatformJSON
import Synchronization

/// The gateway's visitor API (`/chat/v1/<channel>/...`, JSON) called as the widget calls it, from
/// the page's origin. A 429 is waited out for as long as its `Retry-After` says and a 503 is tried
/// again shortly, as the widget does; both are counted, so that a run slowed by the per-IP limit
/// (every bench visitor comes from 127.0.0.1) says so. Any other answer but 200 ends the setup
/// with the gateway's status and error.
struct VisitorAPI: Sendable {
    /// What the gateway held back during the setup.
    final class Holds: Sendable {
        private struct State {
            var rateLimited = 0
            var unavailable = 0
            var waitedSeconds = 0.0
        }

        private let state = Mutex(State())

        func rateLimited(waiting seconds: Double) {
            self.state.withLock {
                $0.rateLimited += 1
                $0.waitedSeconds += seconds
            }
        }

        func unavailable() { self.state.withLock { $0.unavailable += 1 } }

        /// 429 answers, 503 answers, and the seconds the 429s asked to wait (summed over visitors).
        var counts: (rateLimited: Int, unavailable: Int, waitedSeconds: Double) {
            self.state.withLock { ($0.rateLimited, $0.unavailable, $0.waitedSeconds) }
        }
    }

    /// A visitor's session: who the gateway says it is, and its bearer token.
    struct Session: Sendable {
        var visitorID: String
        var token: String
    }

    let http: HTTPClient
    /// `http://host:port`, without a trailing slash.
    let base: String
    let channelID: String
    /// Sent as `Origin` on every request (one of the channel's allowed origins).
    let origin: String
    let holds = Holds()

    /// `POST /chat/v1/<channel>/sessions` without a previous token: a new visitor.
    func startSession(name: String) async throws -> Session {
        let json = try await self.post("sessions", body: ["name": .string(name)], token: nil)
        guard let token = json["token"]?.text, !token.isEmpty, let visitorID = json["visitor_id"]?.text,
            !visitorID.isEmpty
        else {
            throw BenchError("the session answer has no token or visitor_id: " + Self.excerpt(json.encoded))
        }
        return Session(visitorID: visitorID, token: token)
    }

    /// `POST /chat/v1/<channel>/messages`: the stored message's version (the stream's cursor).
    func send(clientID: String, text: String, token: String) async throws -> Int64 {
        let json = try await self.post(
            "messages", body: ["client_id": .string(clientID), "text": .string(text)], token: token)
        guard let version = json["message"]?["version"]?.integer else {
            throw BenchError("the message answer has no message.version: " + Self.excerpt(json.encoded))
        }
        if json["duplicate"]?.boolean == true {
            throw BenchError("the gateway took the first message of \(clientID) for a duplicate")
        }
        return version
    }

    /// POSTs `body` to `/chat/v1/<channel>/<path>`; the answer's JSON once it is 200.
    private func post(_ path: String, body: WireJSON, token: String?) async throws -> WireJSON {
        let url = "\(self.base)/chat/v1/\(self.channelID)/\(path)"
        var unavailableTries = 0
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Origin", value: self.origin)
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(body.encoded)
            let response = try await self.http.execute(request, timeout: .seconds(30))
            let collected = try await response.body.collect(upTo: 1 << 20)
            let bytes = Array(collected.readableBytesView)
            switch response.status.code {
            case 200:
                guard let json = WireJSON.parse(bytes) else {
                    throw BenchError("POST \(path) answered 200 with a body that is not JSON: " + Self.excerpt(bytes))
                }
                return json
            case 429:
                // Retry-After in whole seconds (the contract); at least a tenth of a second, at most a minute.
                let seconds = min(60, max(0.1, Double(response.headers.first(name: "Retry-After") ?? "") ?? 1))
                self.holds.rateLimited(waiting: seconds)
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            case 503 where unavailableTries < 10:
                unavailableTries += 1
                self.holds.unavailable()
                try await Task.sleep(for: .milliseconds(200 * unavailableTries))
            default:
                throw BenchError("POST \(url) answered \(response.status.code): " + Self.excerpt(bytes))
            }
        }
    }

    static func excerpt(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(300), as: UTF8.self)
    }
}
