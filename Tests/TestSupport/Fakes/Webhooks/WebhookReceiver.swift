/// A stand-in for the gateway's webhook endpoint: records every POST and answers 200, so tests can
/// check what a fake platform posted (signatures, payloads) without the gateway.
public final class WebhookReceiver: Sendable {
    let host = FakePlatformHost()

    public init() {}

    public var recorder: RequestRecorder { host.recorder }
    public var baseURL: String { host.baseURL }

    public func start() async throws {
        try await host.start(endpoint: { _ in "webhook" }, handler: { _, _ in FakeResponse(status: 200) })
    }

    public func stop() async { await host.stop() }
}
