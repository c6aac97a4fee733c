import AsyncHTTPClient
import Foundation
import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

/// Runs `body` with a real AsyncHTTPClient-backed sender and content fetcher, then shuts the client down.
struct OutboundTestHarness {
    let http: PlatformHTTPClient
    let client: HTTPClient

    static func with<T>(
        timeout: Duration = .seconds(20), _ body: (OutboundTestHarness) async throws -> T
    ) async throws -> T {
        let client = HTTPClient()
        let harness = OutboundTestHarness(http: PlatformHTTPClient(client: client, timeout: timeout), client: client)
        do {
            let result = try await body(harness)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func sender(_ adapters: [any OutboundAdapter], tokens: WeChatAccessTokenCache = .init()) -> OutboundSender {
        OutboundSender(http: http, adapters: OutboundAdapters(adapters), weChatTokens: tokens)
    }

    /// Builds with `adapter`, sends through a sender holding only that adapter.
    func send(
        _ message: OutboundMessage, with adapter: some OutboundAdapter, credentials: any ChannelCredentials
    ) async throws -> OutboundOutcome {
        try await sender([adapter]).send(message, on: adapter.platform, credentials: credentials)
    }
}

/// The body parsed as JSON, for structural comparison.
func bodyJSON(_ bytes: [UInt8]) -> WireJSON? {
    WireJSON.parse(bytes)
}

/// A fake's recorded body parsed with the gateway's JSON type.
func bodyJSON(_ request: FakeRequest?) -> WireJSON? {
    request.flatMap { WireJSON.parse($0.body) }
}

func outboundMessage(_ kind: OutboundKind, _ text: String = "Hello there", quoted: String? = nil) -> OutboundMessage {
    OutboundMessage(kind: kind, text: text, idempotencyKey: "idem-1", quotedMessageID: quoted)
}

/// The sent id, or nil.
func sentID(_ outcome: OutboundOutcome) -> String? {
    if case .sent(let id) = outcome { return id }
    return nil
}

func failureReason(_ outcome: OutboundOutcome) -> OutboundFailureReason? {
    if case .failed(let reason, _) = outcome { return reason }
    return nil
}

func retryReason(_ outcome: OutboundOutcome) -> (OutboundFailureReason, Duration?)? {
    if case .retryAfter(let delay, let reason) = outcome { return (reason, delay) }
    return nil
}
