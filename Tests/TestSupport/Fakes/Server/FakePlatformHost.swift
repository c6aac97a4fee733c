import Synchronization

/// What every fake platform shares: the server, the recorder, the failure script, the hang gate
/// and an id generator. A fake supplies `route`, which names the endpoint a request is for
/// (nil: 404) and the normal answer; the host records the request, plays a scripted failure if
/// one is queued for that endpoint, or returns the normal answer.
public final class FakePlatformHost: Sendable {
    public let recorder = RequestRecorder()
    public let script = FailureScript()
    let hangs = HangGate()
    private let counter = Mutex<Int>(0)
    private let server = Mutex<FakeHTTPServer?>(nil)

    public init() {}

    /// Starts the server with `handler(request, failure)`; `failure` is the scripted failure for the
    /// endpoint the request resolves to. `.hang` is handled here.
    func start(
        endpoint: @escaping @Sendable (FakeRequest) -> String?,
        handler: @escaping @Sendable (FakeRequest, ScriptedFailure?) async -> FakeResponse
    ) async throws {
        let started = try await FakeHTTPServer.start { [self] request in
            recorder.record(request)
            guard let name = endpoint(request) else {
                return .json(404, ["error": "no such endpoint: \(request.method) \(request.path)"])
            }
            let failure = script.next(for: name)
            if failure == .hang {
                await hangs.wait()
                return FakeResponse(status: 503)
            }
            return await handler(request, failure)
        }
        server.withLock { $0 = started }
    }

    public var baseURL: String { server.withLock { $0?.baseURL ?? "http://127.0.0.1:0" } }
    public var port: Int { server.withLock { $0?.port ?? 0 } }

    /// Releases hung requests and stops the server.
    public func stop() async {
        hangs.release()
        let running = server.withLock { server in
            defer { server = nil }
            return server
        }
        await running?.stop()
    }

    /// A fresh decimal number, unique within this fake.
    public func nextNumber() -> Int {
        counter.withLock { value in
            value += 1
            return value
        }
    }
}
