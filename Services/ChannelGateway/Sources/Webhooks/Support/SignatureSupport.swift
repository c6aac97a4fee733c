import Crypto
import Foundation

/// Byte-level helpers shared by the signature schemes: HMACs and digests, their verification, hex
/// and base64. Every check of a MAC or digest goes through swift-crypto, whose comparison takes
/// time that does not depend on where the inputs differ.
enum SignatureSupport {
    static func hmacSHA256(key: String, message: some DataProtocol) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(key.utf8))))
    }

    static func hmacSHA1(key: String, message: some DataProtocol) -> [UInt8] {
        Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: Array(key.utf8))))
    }

    static func sha1(_ message: some DataProtocol) -> [UInt8] {
        Array(Insecure.SHA1.hash(data: message))
    }

    /// Whether `mac` is HMAC-SHA256(`key`, `message`) (Meta, X, LinkedIn, TikTok).
    static func isValidHMACSHA256(_ mac: [UInt8], key: String, message: some DataProtocol) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: SymmetricKey(data: Array(key.utf8)))
    }

    /// Whether `mac` is HMAC-SHA1(`key`, `message`) (Twilio).
    static func isValidHMACSHA1(_ mac: [UInt8], key: String, message: some DataProtocol) -> Bool {
        HMAC<Insecure.SHA1>.isValidAuthenticationCode(
            mac, authenticating: message, using: SymmetricKey(data: Array(key.utf8)))
    }

    /// Whether `digest` is SHA-1(`message`) (WeChat, whose signatures are plain digests over a
    /// string that contains the secret token, not HMACs).
    static func isValidSHA1(_ digest: [UInt8], of message: some DataProtocol) -> Bool {
        Insecure.SHA1.hash(data: message) == digest
    }

    /// Compares two shared secrets that are sent as they are, not as a MAC (Telegram's
    /// `secret_token` header, Meta's `hub.verify_token`). Both sides are hashed first and the
    /// digests compared by swift-crypto, so neither the length nor the first difference leaks
    /// through timing.
    static func sharedSecretsEqual(_ lhs: String, _ rhs: String) -> Bool {
        SHA256.hash(data: Array(lhs.utf8)) == SHA256.hash(data: Array(rhs.utf8))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex in either case; nil for odd length or a non-hex character.
    static func decodeHex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = Self.hexDigitValue(chars[index]), let low = Self.hexDigitValue(chars[index + 1]) else {
                return nil
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    static func decodeBase64(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map(Array.init)
    }

    /// The value of one ASCII hex digit, either case.
    static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
