import InboxKit
import Testing

@Suite("Health status")
struct HealthStatusTests {
    @Test func startsNotServingAndWatchersSeeChanges() async throws {
        let health = HealthStatus(services: ["inbox.v1.PolicyService"])
        #expect(health.status(of: "") == .notServing)
        #expect(health.status(of: "inbox.v1.PolicyService") == .notServing)
        #expect(health.status(of: "inbox.v1.Other") == nil)
        var changes = health.watch("inbox.v1.PolicyService").makeAsyncIterator()
        var unknown = health.watch("inbox.v1.Other").makeAsyncIterator()
        #expect(await changes.next() == .notServing)
        #expect(await unknown.next() == .serviceUnknown)
        health.setAll(.serving)
        #expect(await changes.next() == .serving)
        health.setAll(.notServing)
        #expect(await changes.next() == .notServing)
        health.finishWatchers()
        #expect(await changes.next() == nil)
    }

    /// Liveness does not follow the database: a PostgreSQL blip must never make Kubernetes
    /// restart a replica.
    @Test func livenessStaysServingWhateverReadinessDoes() {
        let health = HealthStatus(services: ["inbox.v1.PolicyService"])
        #expect(health.status(of: HealthStatus.liveness) == .serving)
        health.setAll(.serving)
        health.setAll(.notServing)
        #expect(health.status(of: "") == .notServing)
        #expect(health.status(of: HealthStatus.liveness) == .serving)
    }
}
