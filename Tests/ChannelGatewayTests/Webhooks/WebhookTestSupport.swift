import Crypto
import Foundation
import Testing

@testable import ChannelGateway

/// Builders for signed requests, written independently of the adapters' own helpers so that a
/// wrong algorithm in the code cannot hide behind the same wrong algorithm in the test.
enum TestSigning {
    static let now = Date(timeIntervalSince1970: 1_790_002_100)

    static func hmacSHA256(_ key: String, _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(key.utf8))))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Meta serialises non-ASCII as `\uXXXX` with lowercase hex and signs those bytes.
    static func metaEscaped(_ json: String) -> String {
        var out = ""
        for unit in json.utf16 {
            if unit < 0x80 {
                out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            } else {
                out += String(format: "\\u%04x", unit)
            }
        }
        return out
    }

    static func metaPost(_ json: String, secret: String = "app-secret") -> WebhookRequest {
        let body = Array(metaEscaped(json).utf8)
        let signature = "sha256=" + hex(hmacSHA256(secret, body))
        return WebhookRequest(
            method: "POST", path: "/webhooks/meta/1", headers: [.init(name: "X-Hub-Signature-256", value: signature)],
            body: body)
    }

    static let metaSecrets = MetaWebhookSecrets(appSecret: "app-secret", verifyToken: "verify-me")

    static func query(_ pairs: [(String, String)]) -> [WebhookRequest.QueryItem] {
        pairs.map { WebhookRequest.QueryItem(name: $0.0, value: $0.1) }
    }
}

extension WebhookOutcome {
    /// The events, or a test failure when the outcome is a handshake.
    var events: [InboundEvent] {
        if case .events(let events, _, _) = self { return events }
        Issue.record("expected events, got \(self)")
        return []
    }

    /// The items kept raw as UNPARSED, or a test failure when the outcome is a handshake.
    var unparsed: [UnparsedEntry] {
        if case .events(_, let unparsed, _) = self { return unparsed }
        Issue.record("expected events, got \(self)")
        return []
    }

    var reply: WebhookReply {
        switch self {
        case .handshake(let reply): reply
        case .events(_, _, let reply): reply
        }
    }

    var isHandshake: Bool {
        if case .handshake = self { return true }
        return false
    }
}

extension WebhookReply {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Runs `body` and returns the WebhookError it threw (nil, recorded as an issue, when none).
func webhookError(_ body: () throws(WebhookError) -> WebhookOutcome) -> WebhookError? {
    do {
        let outcome = try body()
        Issue.record("expected an error, got \(outcome)")
        return nil
    } catch {
        return error
    }
}

func unixDate(_ value: Double) -> Date { Date(timeIntervalSince1970: value) }
