public import Foundation

/// WeChat Official Account pushes (CHANNELS.md §9): the `echostr` GET handshake, and XML POSTs in
/// AES ("safe") mode or, only where a channel opts in, plaintext mode. Every request is checked
/// with the query `signature` and its `timestamp` must lie in the replay window (the signature
/// covers token, timestamp and nonce only, so without the window a signed URL is valid forever);
/// AES mode also checks `msg_signature`, which covers the ciphertext, before decrypting. Replies
/// `success` so that WeChat neither retries nor shows an error.
public struct WeChatWebhookAdapter: WebhookAdapter {
    public typealias Secrets = WeChatWebhookSecrets

    public static let platform = Platform.wechat
    static let success = WebhookReply(status: 200, contentType: "text/plain", body: Array("success".utf8))

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: WeChatWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        guard let token = secrets.token else { throw .notConfigured("WeChat token") }
        switch request.method {
        case "GET":
            guard let echo = request.queryValue("echostr") else { throw .handshakeRejected("echostr is missing") }
            let signedAt: Int64
            do {
                signedAt = try Self.verifyQuerySignature(request, token: token)
            } catch {
                throw .handshakeRejected("signature does not match the token")
            }
            guard secrets.replayWindow.contains(signedAt: signedAt, now: now) else {
                throw .handshakeRejected("timestamp \(signedAt) is outside the replay window")
            }
            return .handshake(WebhookReply(status: 200, contentType: "text/plain", body: Array(echo.utf8)))
        case "POST":
            let signedAt = try Self.verifyQuerySignature(request, token: token)
            try secrets.replayWindow.check(signedAt: signedAt, now: now)
            var message = request.body
            var xml = try SimpleXMLElement.parse(message)
            if request.queryValue("encrypt_type") == "aes" || xml.childText("Encrypt") != nil {
                message = try Self.decryptedMessage(request, outer: xml, token: token, secrets: secrets)
                xml = try SimpleXMLElement.parse(message)
            } else if secrets.encodingAESKey != nil {
                // The plaintext signature does not cover the body: once a channel is in AES mode a
                // plaintext push is a downgrade, not a message.
                throw .missingSignature("Encrypt (the channel is configured for AES mode)")
            } else if !secrets.allowPlaintext {
                // Nothing authenticates a plaintext body; a channel has to choose that explicitly.
                throw .notConfigured("WeChat EncodingAESKey (plaintext mode needs allowPlaintext)")
            }
            // One message per push: well-formed XML that is not a message we can read is kept
            // whole as UNPARSED (the decrypted XML's text, routed by `ToUserName`), not refused.
            var batch = InboundBatch(platform: .wechat, receivedAt: now)
            do {
                batch.add([try WeChatMessage(xml: xml).event()])
            } catch {
                batch.keep(
                    path: "(root)", rawText: String(decoding: message, as: UTF8.self),
                    accountID: xml.childText("ToUserName"), error: error)
            }
            return batch.outcome(reply: Self.success)
        default:
            throw .methodNotAllowed(request.method)
        }
    }

    /// The lexicographically sorted, concatenated parts: what WeChat's SHA-1 signatures cover.
    static func signedBytes(_ parts: [String]) -> [UInt8] {
        Array(parts.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }.joined().utf8)
    }

    /// SHA-1 hex of the lexicographically sorted, concatenated parts.
    static func signature(_ parts: [String]) -> String {
        SignatureSupport.hex(SignatureSupport.sha1(signedBytes(parts)))
    }

    /// Whether `given` (hex, either case) is the SHA-1 of `parts`; checked by swift-crypto in
    /// constant time. Anything that is not 40 hex digits simply does not match.
    static func isValidSignature(_ given: String, over parts: [String]) -> Bool {
        guard let digest = SignatureSupport.decodeHex(given), digest.count == 20 else { return false }
        return SignatureSupport.isValidSHA1(digest, of: signedBytes(parts))
    }

    /// Checks the query `signature` and returns the signed `timestamp` (Unix seconds), which the
    /// caller holds against the replay window.
    static func verifyQuerySignature(_ request: WebhookRequest, token: String) throws(WebhookError) -> Int64 {
        guard let given = request.queryValue("signature") else { throw .missingSignature("signature") }
        guard let timestamp = request.queryValue("timestamp"), let nonce = request.queryValue("nonce") else {
            throw .missingSignature("timestamp and nonce")
        }
        guard isValidSignature(given, over: [token, timestamp, nonce]) else { throw .signatureMismatch("signature") }
        guard let signedAt = Int64(timestamp) else {
            throw .malformedSignature("timestamp", reason: "not Unix seconds")
        }
        return signedAt
    }

    /// AES mode: check `msg_signature` over (token, timestamp, nonce, Encrypt) first — nothing
    /// unauthenticated reaches the cipher — then decrypt and check the AppID; returns the inner
    /// XML's bytes.
    static func decryptedMessage(
        _ request: WebhookRequest, outer: SimpleXMLElement, token: String, secrets: WeChatWebhookSecrets
    ) throws(WebhookError) -> [UInt8] {
        guard let encrypted = outer.childText("Encrypt") else { throw .missingField("xml.Encrypt") }
        guard let given = request.queryValue("msg_signature") else { throw .missingSignature("msg_signature") }
        let timestamp = request.queryValue("timestamp") ?? ""
        let nonce = request.queryValue("nonce") ?? ""
        guard isValidSignature(given, over: [token, timestamp, nonce, encrypted]) else {
            throw .signatureMismatch("msg_signature")
        }
        guard let aesKey = secrets.encodingAESKey else { throw .notConfigured("WeChat EncodingAESKey") }
        guard let appID = secrets.appID else { throw .notConfigured("WeChat AppID") }
        let cipher = try WeChatCipher(encodingAESKey: aesKey)
        let (inner, foundAppID) = try cipher.decrypt(base64: encrypted)
        // The AppID is no secret (the message is already authenticated by `msg_signature`): a plain
        // comparison that catches a message meant for another account.
        guard foundAppID == appID else { throw .signatureMismatch("AppID") }
        return inner
    }
}
