import Foundation
import InboxKit

/// What the demo needs to run: the services' addresses, the gateway's HTTP base URL, the token
/// signing key, platform-fakes' admin URL and the platform apps the gateway was started with.
struct DemoSettings: Sendable {
    var addresses: [InboxService: HostAndPort]
    /// Where the demo posts webhooks and calls the visitor API, without a trailing slash.
    var webhooksURL: String
    /// The base URL the gateway believes it has (`PUBLIC_BASE_URL`): Twilio signs the full URL.
    var publicBaseURL: String
    var fakesAdminURL: String
    var signingKey: String
    var apps: PlatformApps
    /// How the closing lines name inboxctl.
    var inboxctl: String
    /// Redraw the live tables in place (stdout is a terminal).
    var interactive: Bool
    /// How long the inbox may take to fill, and the replies to settle.
    var patience: Duration

    func address(_ service: InboxService) -> HostAndPort {
        self.addresses[service] ?? HostAndPort(host: "127.0.0.1", port: service.defaultGRPCPort)
    }
}

/// The operator's developer apps the gateway reads for its shared endpoints (`<PLATFORM>_APP_SECRET`
/// and, for Meta, `<PLATFORM>_VERIFY_TOKEN`): the demo signs its webhooks as those platforms sign
/// with them, and connects its channels with the same app (as an organisation using the operator's
/// app does).
struct PlatformApps: Sendable {
    var secrets: [DemoPlatform: String]
    var verifyTokens: [DemoPlatform: String]

    /// From the environment deploy/local/demo exports (the lines of .local/gateway.env); names every
    /// variable that is missing.
    static func fromEnvironment(_ environment: [String: String]) throws -> PlatformApps {
        var apps = PlatformApps(secrets: [:], verifyTokens: [:])
        var missing: [String] = []
        for platform in DemoPlatform.allCases {
            guard let prefix = platform.appVariablePrefix else { continue }
            if let secret = environment["\(prefix)_APP_SECRET"], !secret.isEmpty {
                apps.secrets[platform] = secret
            } else {
                missing.append("\(prefix)_APP_SECRET")
            }
            guard platform.hasVerifyToken else { continue }
            if let token = environment["\(prefix)_VERIFY_TOKEN"], !token.isEmpty {
                apps.verifyTokens[platform] = token
            } else {
                missing.append("\(prefix)_VERIFY_TOKEN")
            }
        }
        guard missing.isEmpty else {
            throw DemoFailure(
                "the platform apps are not set: \(missing.joined(separator: ", ")) (deploy/local/demo exports them "
                    + "from .local/gateway.env, which the gateway reads too)")
        }
        return apps
    }

    func secret(_ platform: DemoPlatform) -> String { self.secrets[platform] ?? "" }

    func verifyToken(_ platform: DemoPlatform) -> String { self.verifyTokens[platform] ?? "" }
}

/// Why the demo could not go on, in one sentence (ArgumentParser prints it and exits 1).
struct DemoFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
