import Foundation
import HTTPTypes
import Hummingbird
import InboxKit
import NIOCore

/// The request context of the gateway's HTTP port: Hummingbird's basics and the connection's
/// peer, which the visitor API rate-limits by.
struct GatewayRequestContext: Hummingbird.RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// The web chat's HTTP routes: the widget's files and demo page under `/chat/<channel-id>/`, and
/// the visitor API under `/chat/v1/<channel-id>/` (``WebChatAPI``; its WebSocket is
/// ``WebChatSocket``).
enum WebChatHTTP {
    static func register(on router: Router<GatewayRequestContext>, api: WebChatAPI, assets: WebChatAssets) {
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head, .options]
        for method in methods {
            router.on("/chat/v1/:channel/:action", method: method) { request, context -> Response in
                await Self.respond(request, context: context, api: api)
            }
        }
        router.get("/chat/:channel/:file") { _, context -> Response in
            let channel = context.parameters.get("channel") ?? ""
            let file = context.parameters.get("file") ?? ""
            // The files are the same for every chat; the channel must still exist, so a wrong
            // snippet shows as a 404 in the browser's console rather than a widget that fails later.
            guard case .success = await api.channel(channel) else {
                return Self.response(.error(404, "not_found", "no such chat"))
            }
            guard let asset = assets.file(named: file, channelID: channel) else {
                return Self.response(.error(404, "not_found", "no such file: widget.js, widget.css or demo"))
            }
            return Response(
                status: .ok,
                headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
    }

    static func respond(_ request: Request, context: GatewayRequestContext, api: WebChatAPI) async -> Response {
        let limit = api.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            return Self.response(.error(413, "payload_too_large", "the body is over \(limit) bytes"))
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            return Self.response(.error(413, "payload_too_large", "the body is over \(limit) bytes"))
        } catch {
            return Self.response(.error(400, "bad_request", "the body could not be read"))
        }
        var query: [String: String] = [:]
        do {
            for item in try FormDecoding.decode(Array((request.uri.query ?? "").utf8)) { query[item.name] = item.value }
        } catch {
            return Self.response(.error(400, "bad_request", "the query string is malformed"))
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let call = WebChatCall(
            method: request.method.rawValue, channel: context.parameters.get("channel") ?? "",
            action: context.parameters.get("action") ?? "", query: query, headers: headers, body: Array(buffer: body),
            clientAddress: Self.clientAddress(
                peer: context.remoteAddress, forwardedFor: headers["x-forwarded-for"],
                trust: api.limits.trustForwardedFor))
        return Self.response(await api.handle(call))
    }

    /// The address a client is limited by: the first `X-Forwarded-For` entry when the operator
    /// trusts it (a proxy in front sets it), else the connection's peer.
    static func clientAddress(peer: SocketAddress?, forwardedFor: String?, trust: Bool) -> String {
        if trust, let first = forwardedFor?.split(separator: ",").first {
            let address = first.trimmingCharacters(in: .whitespaces)
            if !address.isEmpty { return address }
        }
        return peer?.ipAddress ?? "unknown"
    }

    static func response(_ reply: WebChatReply) -> Response {
        var headers = HTTPFields()
        for (name, value) in reply.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: reply.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}

/// The widget's files, read once from the gateway's resources (`WebChat/Assets`, copied into the
/// build as they are: no build step).
struct WebChatAssets: Sendable {
    struct Asset: Sendable {
        var contentType: String
        var bytes: [UInt8]
    }

    let widget: [UInt8]
    let stylesheet: [UInt8]
    let demo: String

    /// Loads the files; a missing one is an error at start, not at the first visitor.
    static func load() throws -> WebChatAssets {
        func read(_ name: String, _ ext: String) throws -> Data {
            guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Assets") else {
                throw WebChatAssetsMissing(name: "\(name).\(ext)")
            }
            return try Data(contentsOf: url)
        }
        return WebChatAssets(
            widget: Array(try read("widget", "js")), stylesheet: Array(try read("widget", "css")),
            demo: String(decoding: try read("demo", "html"), as: UTF8.self))
    }

    func file(named name: String, channelID: String) -> Asset? {
        switch name {
        case "widget.js": Asset(contentType: "application/javascript; charset=utf-8", bytes: self.widget)
        case "widget.css": Asset(contentType: "text/css; charset=utf-8", bytes: self.stylesheet)
        case "demo":
            // The id was checked to be a connected channel's UUID: nothing to escape.
            Asset(
                contentType: "text/html; charset=utf-8",
                bytes: Array(self.demo.replacingOccurrences(of: "{{CHANNEL_ID}}", with: channelID.lowercased()).utf8))
        default: nil
        }
    }
}

struct WebChatAssetsMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "the web-chat file \(self.name) is missing from the gateway's resources" }
}
