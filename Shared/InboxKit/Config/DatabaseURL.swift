#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A PostgreSQL connection URL: `postgres://user:password@host:port/database?sslmode=...`.
/// `sslmode` may be `disable` (the default, for a database on the same host or network) or
/// `require`.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var requireTLS: Bool

    public init(
        host: String,
        port: Int = 5432,
        username: String,
        password: String?,
        database: String,
        requireTLS: Bool = false
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.requireTLS = requireTLS
    }

    /// Parses the URL; the error names `variable`.
    public init(parsing text: String, variable: String = "DATABASE_URL") throws {
        func invalid(_ problem: String) -> ConfigurationError {
            ConfigurationError(variable: variable, problem: problem)
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["postgres", "postgresql"].contains(scheme)
        else {
            throw invalid("must be a URL like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("has no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("has no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw invalid("has no database name") }
        var requireTLS = false
        for item in components.queryItems ?? [] where item.name == "sslmode" {
            switch item.value {
            case "disable", "prefer", "allow": requireTLS = false
            case "require": requireTLS = true
            default: throw invalid("sslmode must be disable or require, got '\(item.value ?? "")'")
            }
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database,
            requireTLS: requireTLS
        )
    }

    /// The URL without its password, for logs.
    public var description: String {
        "postgres://\(self.username)@\(self.host):\(self.port)/\(self.database)"
    }
}
