extension TokenKeys {
    /// The token keys of a service or of `inboxctl`, from the environment (README "Tokens"):
    /// `TOKEN_SIGNING_KEY` (HS256, local runs; `TOKEN_SIGNING_KEY_PREVIOUS` while rotating), or
    /// `TOKEN_PUBLIC_KEYS` (Ed25519 public keys of the token issuer, `kid:x,...`: current and
    /// previous) with `SERVICE_TOKEN_KEY` (`kid:d`, the key services sign and verify each other's
    /// calls with; required when `needsServiceKey`, i.e. for every service) and `SERVICE_TOKEN_PUBLIC_KEYS` (previous service keys).
    /// `inboxctl` passes `issuerPrivateKeyVariable` to sign with the issuer's private key.
    public static func load(
        from environment: Environment, needsServiceKey: Bool, issuerPrivateKeyVariable: String? = nil
    ) throws -> TokenKeys {
        let minimum = ServiceConfiguration.minimumSigningKeyLength
        if let secret = environment.optionalString("TOKEN_SIGNING_KEY") {
            if environment.optionalString("TOKEN_PUBLIC_KEYS") != nil {
                throw ConfigurationError(
                    variable: "TOKEN_PUBLIC_KEYS",
                    problem: "cannot be set together with TOKEN_SIGNING_KEY (choose Ed25519 or HS256)")
            }
            guard secret.utf8.count >= minimum else {
                throw ConfigurationError(
                    variable: "TOKEN_SIGNING_KEY", problem: "must be at least \(minimum) characters")
            }
            let previous = environment.optionalString("TOKEN_SIGNING_KEY_PREVIOUS")
            if let previous, previous.utf8.count < minimum {
                throw ConfigurationError(
                    variable: "TOKEN_SIGNING_KEY_PREVIOUS", problem: "must be at least \(minimum) characters")
            }
            return .hmac(secret, previous: previous)
        }
        var keys: [Key] = []
        var signingKeyID: String?
        if let variable = issuerPrivateKeyVariable, let text = environment.optionalString(variable) {
            guard let entries = TokenKeys.parseList(text), entries.count == 1 else {
                throw ConfigurationError(variable: variable, problem: "must be kid:<base64url Ed25519 private key>")
            }
            keys.append(Key(id: entries[0].id, material: .ed25519Private(entries[0].value)))
            signingKeyID = entries[0].id
        } else {
            guard let text = environment.optionalString("TOKEN_PUBLIC_KEYS") else {
                throw ConfigurationError(
                    variable: "TOKEN_SIGNING_KEY",
                    problem: "is required but not set (or TOKEN_PUBLIC_KEYS with SERVICE_TOKEN_KEY for Ed25519 keys)")
            }
            guard let entries = TokenKeys.parseList(text) else {
                throw ConfigurationError(
                    variable: "TOKEN_PUBLIC_KEYS", problem: "must be kid:<base64url Ed25519 public key>[,...]")
            }
            keys += entries.map { Key(id: $0.id, material: .ed25519Public($0.value)) }
        }
        if let text = environment.optionalString("SERVICE_TOKEN_KEY") {
            guard let entries = TokenKeys.parseList(text), entries.count == 1 else {
                throw ConfigurationError(
                    variable: "SERVICE_TOKEN_KEY", problem: "must be kid:<base64url Ed25519 private key>")
            }
            keys.append(Key(id: entries[0].id, material: .ed25519Private(entries[0].value), roles: [.service]))
            if signingKeyID == nil { signingKeyID = entries[0].id }
        } else if needsServiceKey {
            throw ConfigurationError(
                variable: "SERVICE_TOKEN_KEY",
                problem: "is required with TOKEN_PUBLIC_KEYS (services sign and verify each other's calls with it)")
        }
        if let text = environment.optionalString("SERVICE_TOKEN_PUBLIC_KEYS") {
            guard let entries = TokenKeys.parseList(text) else {
                throw ConfigurationError(
                    variable: "SERVICE_TOKEN_PUBLIC_KEYS", problem: "must be kid:<base64url Ed25519 public key>[,...]")
            }
            keys += entries.map { Key(id: $0.id, material: .ed25519Public($0.value), roles: [.service]) }
        }
        guard Set(keys.map(\.id)).count == keys.count else {
            throw ConfigurationError(variable: "TOKEN_PUBLIC_KEYS", problem: "names a key id twice")
        }
        return TokenKeys(keys: keys, signingKeyID: signingKeyID)
    }
}
