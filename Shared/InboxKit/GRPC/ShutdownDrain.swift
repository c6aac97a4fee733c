public import Logging
public import ServiceLifecycle

/// The first thing a graceful shutdown does: health turns NOT_SERVING, then everything keeps
/// serving for `delay` (`SHUTDOWN_DRAIN_SECONDS`), so that load balancers and Kubernetes
/// endpoints stop routing to this replica before it stops accepting calls.
public struct ShutdownDrain: Service {
    let delay: Duration
    let health: HealthStatus
    let logger: Logger

    public init(delay: Duration, health: HealthStatus, logger: Logger) {
        self.delay = delay
        self.health = health
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: nothing to drain
        }
        self.health.setAll(.notServing)
        guard self.delay > .zero else { return }
        self.logger.info("draining before shutdown", metadata: ["seconds": "\(self.delay)"])
        try? await Task.sleep(for: self.delay)
    }
}
