import Crypto
import InboxKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Seals channel secrets with AES-256-GCM under `CHANNEL_SECRETS_KEY`; the key id is stored beside
/// each ciphertext, so the key can be rotated: new secrets are sealed with the current key, and
/// older ciphertexts open with a previous key (`CHANNEL_SECRETS_KEYS_PREVIOUS`) until rotated.
struct ChannelSecretsBox: Sendable {
    let currentKeyID: String
    /// Key bytes by id (swift-crypto's SymmetricKey is built where used).
    let keys: [String: [UInt8]]

    init(current: (id: String, key: [UInt8]), previous: [(id: String, key: [UInt8])] = []) {
        self.currentKeyID = current.id
        var keys = [current.id: current.key]
        for (id, key) in previous where keys[id] == nil { keys[id] = key }
        self.keys = keys
    }

    /// `kid:base64` (32 bytes) entries, comma-separated; nil when malformed.
    static func parseKeys(_ text: String) -> [(id: String, key: [UInt8])]? {
        var keys: [(id: String, key: [UInt8])] = []
        for item in text.split(separator: ",") {
            let parts = item.filter { $0 != " " }.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, let data = Data(base64Encoded: String(parts[1])),
                data.count == 32
            else { return nil }
            keys.append((String(parts[0]), Array(data)))
        }
        return keys.isEmpty ? nil : keys
    }

    func seal(_ secrets: ChannelSecrets) throws -> (keyID: String, ciphertext: [UInt8]) {
        let plaintext = try JSONEncoder().encode(secrets)
        let key = SymmetricKey(data: self.keys[self.currentKeyID]!)
        let box = try AES.GCM.seal(plaintext, using: key)
        guard let combined = box.combined else { throw SecretsError.sealFailed }
        return (self.currentKeyID, Array(combined))
    }

    func open(keyID: String, ciphertext: [UInt8]) throws -> ChannelSecrets {
        guard let bytes = self.keys[keyID] else { throw SecretsError.unknownKey(keyID) }
        let box = try AES.GCM.SealedBox(combined: ciphertext)
        let plaintext = try AES.GCM.open(box, using: SymmetricKey(data: bytes))
        return try JSONDecoder().decode(ChannelSecrets.self, from: plaintext)
    }

    enum SecretsError: Error, CustomStringConvertible {
        case sealFailed
        case unknownKey(String)

        var description: String {
            switch self {
            case .sealFailed: "AES-GCM gave no combined box"
            case .unknownKey(let id): "no channel secrets key with id \(id) is configured"
            }
        }
    }
}
