import HummingbirdWSClient
import PlatformJSON
import Synchronization

/// Every visitor's WebSocket as the bench sees it: whether it is open (its `ready` frame came),
/// the writer to send it frames, and what arrived on it. A reply is expected under its marker (the
/// text it carries) on one visitor's socket before its SendReply call starts; the first agent
/// `message` frame with that marker on that socket is its arrival. A frame with the marker on
/// another visitor's socket is counted as misdelivered, never as an arrival.
final class VisitorSockets: Sendable {
    /// A socket's life.
    enum Status: Sendable, Equatable {
        case waiting
        case opening
        case ready
        case failed
        case closed
    }

    /// A reply's arrival on its visitor's socket.
    struct Arrival: Sendable {
        var at: ContinuousClock.Instant
    }

    private struct State {
        var status: [Status]
        var writers: [WebSocketOutboundWriter?]
        var openingStarted: [ContinuousClock.Instant?]
        var ponged: [Bool]
        var opening = 0
        var ready = 0
        var failed = 0
        /// Sockets that ended while the bench still needed them, and the first one's error.
        var dropped = 0
        var firstDrop: String?
        /// Attempts that did not open a socket (then tried again), and the first one's error.
        var failedAttempts = 0
        var firstFailure: String?
        /// From the first attempt's start to the `ready` frame, per socket.
        var handshakes = Latencies()
        /// Each awaited reply's visitor, by marker.
        var expected: [String: Int] = [:]
        var arrivals: [String: Arrival] = [:]
        /// Agent frames of an expected reply after its arrival (the same message again, e.g. a
        /// state change), on another visitor's socket, or with a marker nobody expects.
        var repeats = 0
        var misdelivered = 0
        var unexpected = 0
        var unparsed = 0
        /// Set when the bench closes the sockets itself: ends are no longer drops.
        var finishing = false
    }

    private let state: Mutex<State>
    let count: Int

    init(count: Int) {
        self.count = count
        self.state = Mutex(
            State(
                status: Array(repeating: .waiting, count: count), writers: Array(repeating: nil, count: count),
                openingStarted: Array(repeating: nil, count: count), ponged: Array(repeating: false, count: count)))
    }

    // MARK: - The sockets' lives

    /// Socket `index` is about to be opened (its first attempt starts).
    func opening(_ index: Int, at instant: ContinuousClock.Instant) {
        self.state.withLock { state in
            guard state.status[index] == .waiting else { return }
            state.status[index] = .opening
            state.openingStarted[index] = instant
            state.opening += 1
        }
    }

    /// Socket `index` is upgraded: its writer, for the pings at the end.
    func connected(_ index: Int, writer: WebSocketOutboundWriter) {
        self.state.withLock { $0.writers[index] = writer }
    }

    /// An attempt to open socket `index` failed; it is tried again.
    func attemptFailed(_ index: Int, _ error: any Error) {
        self.state.withLock { state in
            state.writers[index] = nil
            state.failedAttempts += 1
            if state.firstFailure == nil { state.firstFailure = "\(error)" }
        }
    }

    /// Socket `index` could not be opened (no attempt got as far as `ready`).
    func failed(_ index: Int) {
        self.state.withLock { state in
            guard state.status[index] == .opening else { return }
            state.status[index] = .failed
            state.writers[index] = nil
            state.opening -= 1
            state.failed += 1
        }
    }

    /// Socket `index` ended after it was ready (`error`: why, when the client said).
    func ended(_ index: Int, _ error: (any Error)?) {
        self.state.withLock { state in
            guard state.status[index] == .ready else { return }
            state.status[index] = .closed
            state.writers[index] = nil
            state.ready -= 1
            guard !state.finishing else { return }
            state.dropped += 1
            if state.firstDrop == nil { state.firstDrop = error.map { "\($0)" } ?? "closed by the gateway" }
        }
    }

    func isReady(_ index: Int) -> Bool {
        self.state.withLock { $0.status[index] == .ready }
    }

    /// The bench closes the sockets now.
    func finish() { self.state.withLock { $0.finishing = true } }

    // MARK: - Frames

    /// A text frame that arrived on socket `index` at `instant`.
    func received(_ text: String, on index: Int, at instant: ContinuousClock.Instant) {
        guard let frame = WireJSON.parse(Array(text.utf8)), let type = frame["type"]?.text else {
            self.state.withLock { $0.unparsed += 1 }
            return
        }
        switch type {
        case "ready":
            self.state.withLock { state in
                guard state.status[index] == .opening else { return }
                state.status[index] = .ready
                state.opening -= 1
                state.ready += 1
                if let started = state.openingStarted[index] { state.handshakes.add(instant - started) }
            }
        case "message":
            guard let message = frame["message"], message["direction"]?.text == "agent",
                let text = message["text"]?.text, let marker = Self.marker(in: text)
            else { return }
            self.state.withLock { state in
                guard let visitor = state.expected[marker] else {
                    state.unexpected += 1
                    return
                }
                guard visitor == index else {
                    state.misdelivered += 1
                    return
                }
                if state.arrivals[marker] == nil {
                    state.arrivals[marker] = Arrival(at: instant)
                } else {
                    state.repeats += 1
                }
            }
        case "pong":
            self.state.withLock { $0.ponged[index] = true }
        default:
            break
        }
    }

    /// The marker a reply's text carries: `wcb-<n>` in parentheses.
    static func marker(in text: String) -> String? {
        guard let start = text.range(of: "(wcb-") else { return nil }
        let rest = text[start.upperBound...]
        guard let end = rest.firstIndex(of: ")") else { return nil }
        return "wcb-" + String(rest[..<end])
    }

    // MARK: - Replies

    /// Reply `marker` to visitor `visitor` is about to be sent (its SendReply call starts now).
    func expect(_ marker: String, visitor: Int) {
        self.state.withLock { $0.expected[marker] = visitor }
    }

    /// Its SendReply call failed: not awaited.
    func forget(_ marker: String) {
        self.state.withLock { _ = $0.expected.removeValue(forKey: marker) }
    }

    /// Expected replies that have not arrived yet.
    var pending: Int {
        self.state.withLock { state in state.expected.keys.filter { state.arrivals[$0] == nil }.count }
    }

    /// Waits until every expected reply arrived or `timeout` passed; true when all did.
    func waitForArrivals(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while self.pending > 0 {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    // MARK: - Pings

    /// Sends `{"type":"ping"}` on every ready socket; how many were sent.
    func pingAll() async -> Int {
        let writers = self.state.withLock { state in
            state.ponged = Array(repeating: false, count: self.count)
            return state.writers.indices.compactMap { index -> WebSocketOutboundWriter? in
                state.status[index] == .ready ? state.writers[index] : nil
            }
        }
        var sent = 0
        for writer in writers {
            do {
                try await writer.write(.text(#"{"type":"ping"}"#))
                sent += 1
            } catch {
                continue
            }
        }
        return sent
    }

    var pongs: Int { self.state.withLock { state in state.ponged.filter { $0 }.count } }

    // MARK: - Reading

    /// What the report needs, read once at the end.
    struct Summary: Sendable {
        var ready = 0
        var failed = 0
        var stillOpening = 0
        var dropped = 0
        var firstDrop: String?
        var failedAttempts = 0
        var firstFailure: String?
        var handshakes = Latencies()
        var arrivals: [String: Arrival] = [:]
        var repeats = 0
        var misdelivered = 0
        var unexpected = 0
        var unparsed = 0
    }

    func summary() -> Summary {
        self.state.withLock { state in
            Summary(
                ready: state.ready, failed: state.failed, stillOpening: state.opening, dropped: state.dropped,
                firstDrop: state.firstDrop, failedAttempts: state.failedAttempts, firstFailure: state.firstFailure,
                handshakes: state.handshakes, arrivals: state.arrivals, repeats: state.repeats,
                misdelivered: state.misdelivered, unexpected: state.unexpected, unparsed: state.unparsed)
        }
    }

    /// Sockets opening, ready, failed: for the connect loop.
    var counts: (opening: Int, ready: Int, failed: Int) {
        self.state.withLock { ($0.opening, $0.ready, $0.failed) }
    }

    /// The ready sockets' indices.
    var readyIndices: [Int] {
        self.state.withLock { state in
            state.status.indices.filter { state.status[$0] == .ready }
        }
    }
}
