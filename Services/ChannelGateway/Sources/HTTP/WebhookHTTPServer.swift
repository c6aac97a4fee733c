import Hummingbird
import InboxKit
import Logging

/// The gateway's HTTP side: `/healthz` for probes now, the platforms' webhook endpoints
/// (`/webhooks/<platform>/<channel-id>`) as the inbound issue builds them.
enum WebhookHTTPServer {
    static func make(configuration: GatewayConfiguration, health: HealthStatus, logger: Logger)
        -> some ApplicationProtocol
    {
        let router = Router()
        router.get("/healthz") { _, _ -> Response in
            let serving = health.status(of: "") == .serving
            return Response(
                status: serving ? .ok : .serviceUnavailable,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: serving ? "ok\n" : "not serving\n"))
            )
        }
        return Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.httpHost, port: configuration.httpPort),
                serverName: "channel-gateway"
            ),
            logger: logger
        )
    }
}
