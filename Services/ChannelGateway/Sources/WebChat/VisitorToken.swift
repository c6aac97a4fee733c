import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A web-chat visitor's credential: which channel and visitor it is for, the name they gave, and
/// when it expires, signed with the channel's key (HMAC-SHA256).
///
/// `wc1.<payload>.<signature>`, both parts base64url: the payload is JSON
/// `{"c": channel id, "v": visitor id, "n": name, "e": expiry in Unix seconds}`, the signature
/// covers `wc1.<payload>`. It is the only thing that names a conversation in the visitor API: a
/// token reads and writes its own visitor's transcript and nothing else, and a token of another
/// channel, a changed one or an expired one is refused. Rotating the channel's `signing_secret`
/// ends every visitor's session (their next start is a new visitor).
struct VisitorToken: Sendable, Hashable {
    var channelID: UUID
    var visitorID: String
    var name: String?
    var expiresAt: Date

    enum Refusal: Error, Sendable, Hashable {
        case malformed
        case badSignature
        case otherChannel
        case expired

        var message: String {
            switch self {
            case .malformed: "the visitor token is malformed; start a session"
            case .badSignature: "the visitor token's signature does not match; start a session"
            case .otherChannel: "the visitor token is for another channel; start a session"
            case .expired: "the visitor token has expired; start a session"
            }
        }
    }

    private struct Payload: Codable {
        var c: String
        var v: String
        var n: String?
        var e: Int64
    }

    private static let prefix = "wc1."

    func signed(key: String) -> String {
        let payload = Payload(
            c: self.channelID.uuidString.lowercased(), v: self.visitorID, n: self.name,
            e: Int64(self.expiresAt.timeIntervalSince1970.rounded(.down)))
        let json = (try? JSONEncoder().encode(payload)) ?? Data()
        let body = Self.prefix + Base64URL.encode(json)
        return body + "." + Self.signature(of: body, key: key)
    }

    /// The token `text` is, checked for `channelID` at `now` with the channel's `key`.
    static func verify(_ text: String, key: String, channelID: UUID, now: Date) -> Result<VisitorToken, Refusal> {
        guard text.utf8.count <= 2048, text.hasPrefix(Self.prefix), let dot = text.lastIndex(of: ".") else {
            return .failure(.malformed)
        }
        let body = String(text[..<dot])
        let signature = text[text.index(after: dot)...]
        guard let json = Base64URL.decode(body.dropFirst(Self.prefix.count)),
            let payload = try? JSONDecoder().decode(Payload.self, from: Data(json)),
            let channel = UUID(uuidString: payload.c), let given = Base64URL.decode(signature)
        else { return .failure(.malformed) }
        // Which channel it names is said before the signature is checked (with this channel's
        // key it could only fail): a widget pasted with another chat's id gets the clearer error.
        guard channel == channelID else { return .failure(.otherChannel) }
        // swift-crypto's check, in constant time, like every signature check of the gateway.
        guard SignatureSupport.isValidHMACSHA256(given, key: key, message: Array(body.utf8)) else {
            return .failure(.badSignature)
        }
        let expires = Date(timeIntervalSince1970: TimeInterval(payload.e))
        guard expires > now else { return .failure(.expired) }
        return .success(VisitorToken(channelID: channel, visitorID: payload.v, name: payload.n, expiresAt: expires))
    }

    private static func signature(of body: String, key: String) -> String {
        Base64URL.encode(SignatureSupport.hmacSHA256(key: key, message: Array(body.utf8)))
    }

    /// A new signing key for a channel: 32 random bytes, base64url.
    static func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// A new visitor id.
    static func newVisitorID() -> String {
        UUID().uuidString.lowercased()
    }
}

/// A web-chat channel's secrets for the visitor API: the key that signs its visitor tokens
/// (`ChannelCredentials.signing_secret`, made by the gateway at connect).
struct WebChatSecrets: WebhookSecrets {
    var tokenKey: String?
}

/// A web-chat channel's "platform credentials": no secret (its replies go into the visitor's
/// transcript), only which channel's transcripts.
struct WebChatCredentials: ChannelCredentials {
    var channelID: UUID
}
