import Crypto
import Foundation
import _CryptoExtras

/// WeChat's message encryption: AES-256-CBC, key = base64(EncodingAESKey + "="), IV = the first
/// 16 key bytes, PKCS#7 padding to WeChat's 32-byte block; plaintext = 16 random bytes ‖ 4-byte
/// big-endian length ‖ message ‖ AppID (CHANNELS.md §9.2).
struct WeChatCipher {
    let key: [UInt8]

    init(encodingAESKey: String) throws(WebhookError) {
        guard encodingAESKey.utf8.count == 43, let key = SignatureSupport.decodeBase64(encodingAESKey + "="),
            key.count == 32
        else { throw .notConfigured("WeChat EncodingAESKey (43 base64 characters decoding to 32 bytes)") }
        self.key = key
    }

    /// The inner message bytes and the AppID found after them.
    func decrypt(base64 text: String) throws(WebhookError) -> (message: [UInt8], appID: String) {
        guard let cipherText = SignatureSupport.decodeBase64(text) else {
            throw .decryptionFailed("Encrypt is not valid base64")
        }
        guard !cipherText.isEmpty, cipherText.count % 16 == 0 else {
            throw .decryptionFailed("ciphertext length \(cipherText.count) is not a positive multiple of 16")
        }
        let plain: [UInt8]
        do {
            let iv = try AES._CBC.IV(ivBytes: key[0..<16])
            plain = Array(
                try AES._CBC.decrypt(cipherText, using: SymmetricKey(data: key), iv: iv, noPadding: true))
        } catch {
            throw .decryptionFailed("AES-CBC decryption failed")
        }
        guard let pad = plain.last, (1...32).contains(pad), Int(pad) <= plain.count,
            plain.suffix(Int(pad)).allSatisfy({ $0 == pad })
        else { throw .decryptionFailed("bad padding") }
        let unpadded = plain.dropLast(Int(pad))
        guard unpadded.count >= 20 else { throw .decryptionFailed("plaintext shorter than its 20-byte header") }
        let start = unpadded.startIndex + 16
        let length = unpadded[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
        let messageStart = start + 4
        guard length <= unpadded.endIndex - messageStart else {
            throw .decryptionFailed("message length \(length) exceeds the plaintext")
        }
        let message = Array(unpadded[messageStart..<messageStart + length])
        guard let appID = String(validating: unpadded[(messageStart + length)...], as: UTF8.self) else {
            throw .decryptionFailed("AppID is not UTF-8")
        }
        return (message, appID)
    }

    /// The inverse of ``decrypt(base64:)``, for tests, fakes and passive encrypted replies.
    func encrypt(message: [UInt8], appID: String, random: [UInt8]) throws(WebhookError) -> String {
        let length = UInt32(message.count)
        var plain = Array(random.prefix(16))
        plain += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        plain += message + Array(appID.utf8)
        let pad = 32 - plain.count % 32
        plain += Array(repeating: UInt8(pad), count: pad)
        do {
            let iv = try AES._CBC.IV(ivBytes: key[0..<16])
            let sealed = try AES._CBC.encrypt(plain, using: SymmetricKey(data: key), iv: iv, noPadding: true)
            return Data(sealed).base64EncodedString()
        } catch {
            throw .decryptionFailed("AES-CBC encryption failed")
        }
    }
}
