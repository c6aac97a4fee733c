public import GRPCCore
public import GRPCNIOTransportHTTP2
public import ServiceLifecycle

/// Runs a `GRPCServer` as a lifecycle `Service`: graceful shutdown stops accepting new RPCs and
/// lets the ones in flight finish.
public struct GRPCServerService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>

    public init(server: GRPCServer<HTTP2ServerTransport.Posix>) {
        self.server = server
    }

    public func run() async throws {
        do {
            try await withGracefulShutdownHandler {
                try await self.server.serve()
            } onGracefulShutdown: {
                self.server.beginGracefulShutdown()
            }
        } catch  where Task.isShuttingDownGracefully {
            return
        }
    }
}

/// Runs a `GRPCClient`'s connections as a lifecycle `Service`.
public struct GRPCClientService: Service {
    let client: GRPCClient<HTTP2ClientTransport.Posix>

    public init(client: GRPCClient<HTTP2ClientTransport.Posix>) {
        self.client = client
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await self.client.runConnections()
        } onGracefulShutdown: {
            self.client.beginGracefulShutdown()
        }
    }
}
