import ArgumentParser
import InboxKit

/// `inboxctl token` (also `mint-token`): signs a bearer token for a role, as the services verify it.
struct MintToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a bearer token.",
        discussion: """
            Signs with TOKEN_PRIVATE_KEY (kid:<Ed25519 private key>, the issuer key whose public half the \
            services hold in TOKEN_PUBLIC_KEYS) or, for local runs, TOKEN_SIGNING_KEY (HS256). Lifetimes \
            are bounded: operator 12 h, admin and agent 7 days, service 1 day. The other commands read the \
            token from --token or INBOX_TOKEN.

            Examples:
              export TOKEN_SIGNING_KEY=$(cat .local/token-signing-key)      # the key deploy/local/up made
              export INBOX_TOKEN=$(inboxctl token --role operator)
              inboxctl token --role admin --organization org_0123abcd
              inboxctl token --role agent --organization org_0123abcd --agent alice --hours 8
            """,
        aliases: ["mint-token"]
    )

    @Option(help: "operator, admin, agent or service.")
    var role: String

    @Option(help: "The organisation id (required for admin and agent).")
    var organization: String?

    @Option(help: "The agent id (required for agent).")
    var agent: String?

    @Option(help: "The token's subject (default: the agent id, or the role).")
    var subject: String?

    @Option(help: "Hours until the token expires (operator at most 12, admin and agent 168, service 24).")
    var hours: Int = 8

    func validate() throws {
        guard let role = Caller.Role(rawValue: self.role) else {
            throw ValidationError(
                "--role must be one of \(Caller.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if role == .admin || role == .agent, (self.organization ?? "").isEmpty {
            throw ValidationError("--organization is required for the role \(role.rawValue)")
        }
        if role == .agent, (self.agent ?? "").isEmpty {
            throw ValidationError("--agent is required for the role agent")
        }
        let maximum = Int(TokenAuthority.maximumLifetime(for: role).components.seconds / 3600)
        guard (1...maximum).contains(self.hours) else {
            throw ValidationError("--hours must be from 1 to \(maximum) for the role \(role.rawValue)")
        }
    }

    func run() async throws {
        let keys = try TokenKeys.load(
            from: .process, needsServiceKey: false, issuerPrivateKeyVariable: "TOKEN_PRIVATE_KEY")
        guard keys.signingKeyID != nil else {
            throw ConfigurationError(
                variable: "TOKEN_PRIVATE_KEY", problem: "is required to mint tokens (or TOKEN_SIGNING_KEY for HS256)")
        }
        let role = Caller.Role(rawValue: self.role)!
        let caller = Caller(
            role: role,
            organizationID: self.organization,
            agentID: self.agent,
            subject: self.subject ?? self.agent ?? role.rawValue
        )
        let authority = try await TokenAuthority(keys: keys)
        print(try await authority.mint(caller, lifetime: .seconds(self.hours * 3600)))
    }
}

/// `inboxctl keygen` (also `generate-keys`): a new Ed25519 key pair for tokens.
struct GenerateKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new Ed25519 key pair for tokens, as the environment variables take them.",
        discussion: """
            Run it twice: once for the issuer (keep TOKEN_PRIVATE_KEY with inboxctl only; give the \
            services TOKEN_PUBLIC_KEYS) and once for the services (SERVICE_TOKEN_KEY). To rotate, \
            generate a new pair with a new --kid and list both public keys until old tokens expire.

            Examples:
              inboxctl keygen --kid issuer-1
              inboxctl keygen --kid services-1
            """,
        aliases: ["generate-keys"]
    )

    @Option(help: "The key id (the JWT header's kid).")
    var kid: String

    func validate() throws {
        guard !self.kid.isEmpty,
            self.kid.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
        else {
            throw ValidationError("--kid must be letters, digits, '-', '_' or '.'")
        }
    }

    func run() async throws {
        let pair = TokenAuthority.newEd25519KeyPair()
        print("private \(self.kid):\(pair.privateKey)")
        print("public  \(self.kid):\(pair.publicKey)")
    }
}
