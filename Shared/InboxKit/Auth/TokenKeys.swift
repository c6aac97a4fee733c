import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The keys that sign and verify bearer tokens, each named by a key id (the JWT header's `kid`),
/// so a key can be rotated without logging every caller out: verifiers hold the current and the
/// previous key while tokens signed with the previous one expire.
///
/// Two deployments are supported:
/// - **Ed25519 (production)**: services hold only the public keys of the token issuer
///   (`TOKEN_PUBLIC_KEYS`), so a compromised replica cannot mint operator, admin or agent tokens;
///   `inboxctl` holds the private key. Services call each other with service tokens signed by
///   `SERVICE_TOKEN_KEY`, whose tokens are accepted for the `service` role only.
/// - **HS256 (local runs)**: one shared secret (`TOKEN_SIGNING_KEY`, and optionally
///   `TOKEN_SIGNING_KEY_PREVIOUS` while rotating) signs and verifies every role.
public struct TokenKeys: Sendable, Equatable {
    public enum Material: Sendable, Equatable {
        /// An HS256 shared secret: signs and verifies.
        case hmac(String)
        /// An Ed25519 public key (base64url `x`, 32 bytes): verifies only.
        case ed25519Public(String)
        /// An Ed25519 private key (base64url `d`, 32 bytes): signs, and verifies with its public half.
        case ed25519Private(String)
    }

    public struct Key: Sendable, Equatable {
        public let id: String
        public let material: Material
        /// The roles a token signed with this key may carry; nil: every role.
        public let roles: Set<Caller.Role>?

        public init(id: String, material: Material, roles: Set<Caller.Role>? = nil) {
            self.id = id
            self.material = material
            self.roles = roles
        }
    }

    public var keys: [Key]
    /// The id of the key this process mints with; nil: this process only verifies.
    public var signingKeyID: String?

    public init(keys: [Key], signingKeyID: String?) {
        self.keys = keys
        self.signingKeyID = signingKeyID
    }

    /// The key id of an HS256 secret: `hs256-` and the first 8 hex digits of its SHA-256, so the
    /// current and the previous secret have different ids without anyone naming them.
    public static func hmacKeyID(for secret: String) -> String {
        "hs256-" + SHA256.hash(data: Array(secret.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// One HS256 secret that signs and verifies every role (local runs and tests), and the
    /// previous one while rotating.
    public static func hmac(_ secret: String, previous: String? = nil) -> TokenKeys {
        var keys = [Key(id: Self.hmacKeyID(for: secret), material: .hmac(secret))]
        if let previous { keys.append(Key(id: Self.hmacKeyID(for: previous), material: .hmac(previous))) }
        return TokenKeys(keys: keys, signingKeyID: keys[0].id)
    }

    /// Parses `kid:base64url,kid:base64url` (the form of `TOKEN_PUBLIC_KEYS`,
    /// `SERVICE_TOKEN_KEY` and `SERVICE_TOKEN_PUBLIC_KEYS`); nil when malformed.
    public static func parseList(_ text: String) -> [(id: String, value: String)]? {
        var entries: [(id: String, value: String)] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.filter { $0 != " " }.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty,
                parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }),
                parts[1].utf8.count == 43,
                parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            else { return nil }
            entries.append((String(parts[0]), String(parts[1])))
        }
        return entries.isEmpty ? nil : entries
    }
}
