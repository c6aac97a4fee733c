import Hummingbird
import HummingbirdWebSocket
import InboxKit
import Logging
import NIOCore

/// The gateway's HTTP side: `/healthz` for probes, and the platforms' webhook endpoints
/// `GET|POST /webhooks/<platform>` (one app for many accounts) and
/// `GET|POST /webhooks/<platform>/<channel-id>` (one URL per account), handled by
/// ``WebhookEndpoint``. Other methods on those paths answer 405.
///
/// A body over `WEBHOOK_MAX_BODY_BYTES` is refused with 413 from its `Content-Length` before any
/// of it is read, or, without one (chunked), as soon as the bytes read pass the limit.
///
/// The same port serves the web chat (``WebChatHTTP``): the widget's files, its visitor API and
/// the visitors' WebSockets (HTTP/1.1 with the WebSocket upgrade).
enum WebhookHTTPServer {
    static func make(
        configuration: GatewayConfiguration, health: HealthStatus, endpoint: WebhookEndpoint, webChat: WebChatAPI,
        assets: WebChatAssets, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        WebChatHTTP.register(on: router, api: webChat, assets: assets)
        let socket = WebChatSocket(api: webChat)
        router.get("/healthz") { _, _ -> Response in
            let serving = health.status(of: "") == .serving
            return Response(
                status: serving ? .ok : .serviceUnavailable,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: serving ? "ok\n" : "not serving\n"))
            )
        }
        let maxBody = configuration.maxBodyBytes
        let base = configuration.publicBaseURL
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head, .options]
        for method in methods {
            router.on("/webhooks/:platform", method: method) { request, context -> Response in
                await Self.respond(
                    request, platform: context.parameters.get("platform") ?? "", channel: nil, maxBody: maxBody,
                    base: base, endpoint: endpoint)
            }
            router.on("/webhooks/:platform/:channel", method: method) { request, context -> Response in
                await Self.respond(
                    request, platform: context.parameters.get("platform") ?? "",
                    channel: context.parameters.get("channel") ?? "", maxBody: maxBody, base: base, endpoint: endpoint)
            }
        }
        return Application(
            router: router,
            server: .http1WebSocketUpgrade { request, channel, logger in
                socket.shouldUpgrade(request, channel: channel, logger: logger)
            },
            configuration: .init(
                address: .hostname(configuration.httpHost, port: configuration.httpPort),
                serverName: "channel-gateway"
            ),
            logger: logger
        )
    }

    static func respond(
        _ request: Request, platform: String, channel: String?, maxBody: Int, base: String, endpoint: WebhookEndpoint
    ) async -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
            return Self.response(WebhookEndpoint.text(413, "the body is over \(maxBody) bytes"))
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            return Self.response(WebhookEndpoint.text(413, "the body is over \(maxBody) bytes"))
        } catch {
            return Self.response(WebhookEndpoint.text(400, "the body could not be read"))
        }
        let rawQuery = request.uri.query ?? ""
        let query: [WebhookRequest.QueryItem]
        do {
            query = try FormDecoding.decode(Array(rawQuery.utf8)).map { .init(name: $0.name, value: $0.value) }
        } catch {
            return Self.response(WebhookEndpoint.text(400, "the query string is malformed"))
        }
        let path = request.uri.path
        let webhook = WebhookRequest(
            method: request.method.rawValue, path: path, query: query,
            headers: request.headers.map { .init(name: $0.name.rawName, value: $0.value) },
            body: Array(buffer: body), publicURL: base + path + (rawQuery.isEmpty ? "" : "?" + rawQuery))
        return Self.response(await endpoint.handle(platform: platform, channelID: channel, request: webhook))
    }

    static func response(_ reply: WebhookReply) -> Response {
        var headers = HTTPFields()
        if let type = reply.contentType { headers[.contentType] = type }
        return Response(
            status: HTTPResponse.Status(code: reply.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}
