public import Configuration
import Logging
import SystemPackage

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Typed reads of the configuration, through swift-configuration: environment variables first,
/// then — when `CONFIG_DIRECTORY` names one — one file per setting in that directory (a
/// Kubernetes Secret or Docker secret mounted as files: `DATABASE_URL` is the file
/// `database-url`, `TOKEN_SIGNING_KEY` is `token-signing-key`), so secrets need not sit in the
/// environment. Every failure is a ``ConfigurationError`` naming the variable; an empty value
/// counts as unset.
public struct Environment: Sendable {
    let reader: ConfigReader

    /// Exactly these variables (tests, `inboxctl`).
    public init(_ values: [String: String]) {
        self.reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: values))
    }

    public init(reader: ConfigReader) {
        self.reader = reader
    }

    /// The process environment only.
    public static var process: Environment {
        Environment(ProcessInfo.processInfo.environment)
    }

    /// The process environment, then the files of `CONFIG_DIRECTORY` when it is set.
    public static func processAndFiles() async throws -> Environment {
        try await Self.load(variables: ProcessInfo.processInfo.environment)
    }

    /// `variables`, then the files of the directory its `CONFIG_DIRECTORY` names.
    public static func load(variables values: [String: String]) async throws -> Environment {
        let variables = EnvironmentVariablesProvider(environmentVariables: values)
        guard let directory = Environment(values).optionalString("CONFIG_DIRECTORY") else {
            return Environment(reader: ConfigReader(provider: variables))
        }
        do {
            let files = try await DirectoryFilesProvider(directoryPath: FilePath(directory))
            return Environment(reader: ConfigReader(providers: [variables, files]))
        } catch {
            throw ConfigurationError(variable: "CONFIG_DIRECTORY", problem: "cannot be read: \(directory)")
        }
    }

    /// The configuration key of a variable name: `DATABASE_URL` is `database.url`, which the
    /// environment provider reads as `DATABASE_URL` and the files provider as `database-url`.
    static func key(_ name: String) -> ConfigKey {
        ConfigKey(name.lowercased().split(separator: "_").map(String.init))
    }

    public func optionalString(_ name: String) -> String? {
        let secret = ["KEY", "SECRET", "PASSWORD", "URL"].contains { name.hasSuffix($0) }
        guard
            let value = self.reader.string(forKey: Self.key(name), isSecret: secret)?
                .trimmingCharacters(in: .whitespacesAndNewlines),
            !value.isEmpty
        else {
            return nil
        }
        return value
    }

    public func string(_ name: String, default defaultValue: String? = nil) throws -> String {
        if let value = self.optionalString(name) { return value }
        if let defaultValue { return defaultValue }
        throw ConfigurationError(variable: name, problem: "is required but not set")
    }

    public func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = self.optionalString(name) else { return defaultValue }
        guard let value = Int(raw), range.contains(value) else {
            throw ConfigurationError(
                variable: name,
                problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(raw)'"
            )
        }
        return value
    }

    public func port(_ name: String, default defaultValue: Int) throws -> Int {
        try self.integer(name, default: defaultValue, range: 1...65535)
    }

    public func address(_ name: String, default defaultValue: HostAndPort) throws -> HostAndPort {
        guard let raw = self.optionalString(name) else { return defaultValue }
        guard let address = HostAndPort(raw) else {
            throw ConfigurationError(variable: name, problem: "must be host:port, got '\(raw)'")
        }
        return address
    }

    /// A peer service's address (``PeerAddress``): `host:port`, or several separated by commas.
    public func peerAddress(_ name: String, default defaultValue: PeerAddress) throws -> PeerAddress {
        guard let raw = self.optionalString(name) else { return defaultValue }
        guard let address = PeerAddress(raw) else {
            throw ConfigurationError(variable: name, problem: "must be \(PeerAddress.syntax), got '\(raw)'")
        }
        return address
    }

    public func logLevel(_ name: String = "LOG_LEVEL", default defaultValue: Logger.Level = .info) throws
        -> Logger.Level
    {
        guard let raw = self.optionalString(name) else { return defaultValue }
        guard let level = Logger.Level(rawValue: raw.lowercased()) else {
            let allowed = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: name, problem: "must be one of \(allowed), got '\(raw)'")
        }
        return level
    }
}

/// `host:port`, as the `*_ADDR` variables give another service's address.
public struct HostAndPort: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (IPv6 hosts in brackets: `[::1]:50051`).
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        self.host = host
        self.port = port
    }

    public var description: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}
