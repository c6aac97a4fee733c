public import Foundation

/// Twilio Programmable Messaging webhooks (CHANNELS.md §8): incoming SMS/MMS and status
/// callbacks, form-encoded, signed with `X-Twilio-Signature`. Replies with empty TwiML.
public struct TwilioWebhookAdapter: WebhookAdapter {
    public typealias Secrets = TwilioWebhookSecrets

    public static let platform = Platform.twilio
    static let signatureHeader = "X-Twilio-Signature"
    static let emptyTwiML = WebhookReply(
        status: 200, contentType: "text/xml",
        body: Array(#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#.utf8))

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: TwilioWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        guard request.method == "POST" else { throw .methodNotAllowed(request.method) }
        guard let token = secrets.authToken else { throw .notConfigured("auth token") }
        guard !request.publicURL.isEmpty else { throw .notConfigured("public URL of the webhook (Twilio signs it)") }
        let params = try FormDecoding.decode(request.body)
        try Self.verifySignature(request, params: params, authToken: token)
        // One message per body: well-formed form data that is not a message we can read is kept
        // whole as UNPARSED (the body's text, routed by `To`) rather than refused.
        var batch = InboundBatch(platform: .twilio, receivedAt: now)
        do {
            batch.add([try TwilioMessage(params: params, now: now).event()])
        } catch {
            let ourNumber = params.first { $0.name == "To" }?.value
            batch.keep(
                path: "(root)", rawText: String(decoding: request.body, as: UTF8.self), accountID: ourNumber,
                error: error)
        }
        return batch.outcome(reply: Self.emptyTwiML)
    }

    /// The string Twilio signs: the full URL, then every POST parameter sorted by name (byte
    /// order; equal names by value), each as name + value without separators.
    static func signedString(url: String, params: [(name: String, value: String)]) -> String {
        let sorted = params.sorted { lhs, rhs in
            lhs.name == rhs.name
                ? Array(lhs.value.utf8).lexicographicallyPrecedes(rhs.value.utf8)
                : Array(lhs.name.utf8).lexicographicallyPrecedes(rhs.name.utf8)
        }
        return sorted.reduce(into: url) { $0 += $1.name + $1.value }
    }

    /// base64(HMAC-SHA1(auth token, signed string)) — the value of `X-Twilio-Signature`.
    static func signature(url: String, params: [(name: String, value: String)], authToken: String) -> String {
        let message = Array(signedString(url: url, params: params).utf8)
        return SignatureSupport.base64(SignatureSupport.hmacSHA1(key: authToken, message: message))
    }

    static func verifySignature(
        _ request: WebhookRequest, params: [(name: String, value: String)], authToken: String
    ) throws(WebhookError) {
        guard let header = request.header(signatureHeader) else { throw .missingSignature(signatureHeader) }
        guard let given = SignatureSupport.decodeBase64(header), given.count == 20 else {
            throw .malformedSignature(signatureHeader, reason: "expected base64 of a 20-byte HMAC-SHA1")
        }
        let message = Array(signedString(url: request.publicURL, params: params).utf8)
        guard SignatureSupport.isValidHMACSHA1(given, key: authToken, message: message) else {
            throw .signatureMismatch(signatureHeader)
        }
    }
}
