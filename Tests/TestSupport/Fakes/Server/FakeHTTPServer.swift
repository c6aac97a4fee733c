import Hummingbird
import PlatformJSON

/// A request as a fake platform received it: decoded query, lowercase header names, raw body.
public struct FakeRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: [String: String], headers: [String: String], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Path segments without the empty leading one: `/v26.0/1/messages` → `["v26.0", "1", "messages"]`.
    public var segments: [String] { path.split(separator: "/").map { String($0).percentDecoded } }

    /// The body as JSON, if it is JSON.
    public var json: WireJSON? { WireJSON.parse(body) }

    /// The body as a form (`application/x-www-form-urlencoded`), repeated names in order.
    public var form: [(String, String)] { FormEncoding.decode(String(decoding: body, as: UTF8.self)) }
}

/// What a fake answers.
public struct FakeResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ value: WireJSON, headers: [String: String] = [:]) -> FakeResponse {
        FakeResponse(
            status: status, headers: headers.merging(["content-type": "application/json"]) { a, _ in a },
            body: value.encoded)
    }
}

/// A Hummingbird 2 server on 127.0.0.1 and a free port, answering every request with `handler`.
/// `stop()` ends it and must be called (`withFake` does so for the platform fakes).
public final class FakeHTTPServer: Sendable {
    /// The bound port.
    public let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts serving and returns once the port is bound.
    public static func start(handler: @escaping @Sendable (FakeRequest) async -> FakeResponse) async throws
        -> FakeHTTPServer
    {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let body = try await request.body.collect(upTo: 4 << 20)
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
            }
            var query: [String: String] = [:]
            for (name, value) in FormEncoding.decode(request.uri.query ?? "") { query[name] = value }
            let fake = FakeRequest(
                method: request.method.rawValue, path: request.uri.path, query: query, headers: headers,
                body: Array(body.readableBytesView))
            let answer = await handler(fake)
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let fieldName = HTTPFields.Element.Name(name) {
                    fields.append(HTTPFields.Element(name: fieldName, value: value))
                }
            }
            return Response(
                status: .init(code: answer.status), headers: fields,
                body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        var app = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }
        )
        // Fakes are stopped by cancellation, which Hummingbird logs as an error: keep them quiet.
        app.logger.logLevel = .critical
        let task = Task { [app] in
            defer { continuation.finish() }
            try await app.run()
        }
        for await port in ports {
            return FakeHTTPServer(port: port, task: task)
        }
        task.cancel()
        _ = await task.result
        throw FakeServerError.notStarted
    }

    /// Stops the server and waits until it has.
    public func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// The fake server could not bind.
public enum FakeServerError: Error {
    case notStarted
}
