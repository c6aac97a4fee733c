import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Typed reads of environment variables. Every failure is a ``ConfigurationError`` naming the
/// variable; an empty value counts as unset.
public struct Environment: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// The process environment.
    public static var process: Environment {
        Environment(ProcessInfo.processInfo.environment)
    }

    public func optionalString(_ name: String) -> String? {
        guard let value = self.values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
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
