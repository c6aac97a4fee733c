public import PostgresNIO

extension PostgresClient.Configuration {
    /// A pool configuration for `url`, with every connection's `search_path` set to `schema` so
    /// that a service's SQL names its own tables without qualifying them.
    public init(_ url: DatabaseURL, schema: String?, maxConnections: Int = 10) {
        self.init(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: url.requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        if let schema {
            self.options.additionalStartupParameters = [("search_path", schema)]
        }
        self.options.maximumConnections = maxConnections
        self.options.connectTimeout = .seconds(5)
    }
}
