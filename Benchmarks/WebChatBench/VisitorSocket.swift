import Foundation
import HummingbirdWSClient
import Logging

/// One visitor's WebSocket, as the widget opens it: `GET /chat/v1/<channel>/stream?token=…&after=…`
/// from the website's origin, kept open until the bench ends it (the task's cancellation).
/// An attempt that fails before the `ready` frame is tried again after 0.5 s, 1 s, 2 s, 4 s (the
/// widget's backoff, without its jitter); a socket that ends after `ready` is a drop, and is not
/// opened again: the bench reports drops rather than hide them.
enum VisitorSocket {
    static let attempts = 5

    /// The socket's URL. WSClient sends `Origin: <scheme>://<host>` of this URL itself (no port),
    /// and adds `additionalHeaders` after it rather than replacing it, so an `Origin` header of our
    /// own would be a second one. The URL's scheme is therefore `http`, not `ws` (WSClient takes
    /// both and upgrades the same way): the Origin it sends is then `http://127.0.0.1`, the
    /// channel's allowed origin.
    static func url(base: String, channelID: String, visitor: Visitor) -> String {
        "\(base)/chat/v1/\(channelID)/stream?token=\(Self.queryEscaped(visitor.token))&after=\(visitor.version)"
    }

    /// `text` with everything but RFC 3986's unreserved characters percent-encoded.
    static func queryEscaped(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 16, closeTimeout: .seconds(2))

    /// Opens socket `index` (already marked opening: the caller bounds the handshakes in flight) and
    /// reads its frames into `sockets` until the task is cancelled or the gateway closes it.
    static func run(_ index: Int, url: String, sockets: VisitorSockets, logger: Logger) async {
        for attempt in 1...Self.attempts {
            guard !Task.isCancelled else { break }
            do {
                try await WebSocketClient.connect(url: url, configuration: Self.configuration, logger: logger) {
                    inbound, outbound, _ in
                    sockets.connected(index, writer: outbound)
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        // The arrival is stamped before the frame is parsed.
                        let arrived = ContinuousClock.now
                        guard case .text(let text) = message else { continue }
                        sockets.received(text, on: index, at: arrived)
                    }
                }
                if sockets.isReady(index) {
                    sockets.ended(index, nil)
                    return
                }
                sockets.attemptFailed(index, SocketClosedBeforeReady())
            } catch {
                if sockets.isReady(index) {
                    sockets.ended(index, error)
                    return
                }
                sockets.attemptFailed(index, error)
            }
            guard attempt < Self.attempts, !Task.isCancelled else { break }
            try? await Task.sleep(for: .milliseconds(500 << (attempt - 1)))
        }
        sockets.failed(index)
    }

    /// The gateway upgraded the connection and closed it before its `ready` frame.
    struct SocketClosedBeforeReady: Error, CustomStringConvertible {
        var description: String { "the socket closed before its ready frame" }
    }
}
