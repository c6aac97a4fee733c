public import InboxAPI
import Synchronization

/// The serving status of a process's gRPC services, as `grpc.health.v1` reports it. The overall
/// status is named by the empty string; it and the service names follow the database (readiness).
/// ``liveness`` is SERVING for as long as the process serves at all, whatever the database does,
/// so a liveness probe never restarts a replica because PostgreSQL blipped. Watchers get every
/// change.
public final class HealthStatus: Sendable {
    public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    /// The health name that answers whether the process is alive (Kubernetes liveness and
    /// startup probes), not whether it can do its work.
    public static let liveness = "liveness"

    private struct State {
        var statuses: [String: Status] = [:]
        var watchers: [Int: (service: String, continuation: AsyncStream<Status>.Continuation)] = [:]
        var nextWatcher = 0
    }

    private let state = Mutex(State())

    /// Starts with every named service (and the overall status) NOT_SERVING.
    public init(services: [String]) {
        self.state.withLock { state in
            for service in services + [""] { state.statuses[service] = .notServing }
            state.statuses[Self.liveness] = .serving
        }
    }

    /// The status of `service`, or nil when it is unknown.
    public func status(of service: String) -> Status? {
        self.state.withLock { $0.statuses[service] }
    }

    /// Sets every known service (and the overall status) to `status`.
    public func setAll(_ status: Status) {
        self.state.withLock { state in
            for service in state.statuses.keys where service != Self.liveness && state.statuses[service] != status {
                state.statuses[service] = status
                for watcher in state.watchers.values where watcher.service == service {
                    watcher.continuation.yield(status)
                }
            }
        }
    }

    /// The current status of `service` followed by each change; SERVICE_UNKNOWN while unknown.
    public func watch(_ service: String) -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream.makeStream(of: Status.self, bufferingPolicy: .bufferingNewest(8))
        let id = self.state.withLock { state in
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = (service, continuation)
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every watch stream (at shutdown).
    public func finishWatchers() {
        let watchers = self.state.withLock { state in
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.continuation.finish() }
    }
}
