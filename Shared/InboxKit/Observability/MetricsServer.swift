public import Hummingbird
public import Logging
import Metrics
import Prometheus
public import ServiceLifecycle

/// Serves the process's metrics in the Prometheus text format at `GET /metrics` on
/// `METRICS_PORT`. ``bootstrap()`` (once, in `ServiceMain`) routes every swift-metrics metric of
/// the process (ours and the libraries') into the registry served here.
public struct MetricsServer: Service {
    let application: Application<RouterResponder<BasicRequestContext>>

    public init(host: String, port: Int, logger: Logger) {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: PrometheusMetricsFactory.defaultRegistry.emitToBuffer()))
            )
        }
        self.application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "metrics"),
            logger: logger
        )
    }

    public func run() async throws {
        try await self.application.run()
    }

    /// Makes the Prometheus registry the process's swift-metrics backend, with duration buckets
    /// suited to RPCs (1 ms to 10 s). Call once per process.
    public static func bootstrap() {
        var factory = PrometheusMetricsFactory()
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
    }
}
