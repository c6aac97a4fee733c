/// What a WeChat Official Account channel stores for its pushes.
public struct WeChatWebhookSecrets: WebhookSecrets, Hashable {
    /// The token configured for the push URL: part of the query `signature` and `msg_signature`.
    public var token: String?
    /// The EncodingAESKey (43 base64 characters) for AES ("safe") mode.
    public var encodingAESKey: String?
    /// The AppID, checked against the tail of every decrypted message.
    public var appID: String?
    /// Accept plaintext-mode pushes for a channel without an EncodingAESKey. Off by default: in
    /// plaintext mode the query `signature` covers only token, timestamp and nonce, never the body,
    /// so anyone holding one signed URL can post any message for the replay window's span.
    public var allowPlaintext: Bool
    /// How far the signed query `timestamp` may lie from the receipt time.
    public var replayWindow: ReplayWindow

    public init(
        token: String? = nil, encodingAESKey: String? = nil, appID: String? = nil, allowPlaintext: Bool = false,
        replayWindow: ReplayWindow = .standard
    ) {
        self.token = token
        self.encodingAESKey = encodingAESKey
        self.appID = appID
        self.allowPlaintext = allowPlaintext
        self.replayWindow = replayWindow
    }
}
