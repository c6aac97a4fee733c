import BenchSupport
import Foundation
import GRPCCore
import InboxAPI
import Synchronization

/// IngestEvents as the gateway's relay calls it: batches sent from a few concurrent callers.
enum IngestPhase {
    /// The per-event outcomes of the answered batches.
    struct Tally: Sendable {
        var created = 0
        var duplicate = 0
        var failed = 0
        var other = 0
        var firstError: String?

        var answered: Int { self.created + self.duplicate + self.failed + self.other }

        mutating func count(_ response: Inbox_V1_IngestEventsResponse) {
            for result in response.results {
                switch result.outcome {
                case .created: self.created += 1
                case .duplicate: self.duplicate += 1
                case .failed:
                    self.failed += 1
                    if self.firstError == nil { self.firstError = result.error.message }
                default: self.other += 1
                }
            }
        }

        mutating func merge(_ tally: Tally) {
            self.created += tally.created
            self.duplicate += tally.duplicate
            self.failed += tally.failed
            self.other += tally.other
            if self.firstError == nil { self.firstError = tally.firstError }
        }
    }

    struct Result: Sendable {
        var samples = Samples()
        var tally = Tally()
        var wall = Duration.zero
    }

    /// Sends `batches` batches of `size` new events, from `callers` concurrent tasks, timing each
    /// call; the wall time covers the whole phase.
    static func run(
        _ client: any Inbox_V1_ConversationService.ClientProtocol, factory: EventFactory, phase: String,
        batches: Int, size: Int, callers: Int, metadata: Metadata
    ) async -> Result {
        let start = ContinuousClock.now
        var result = await withTaskGroup(of: Result.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var part = Result()
                    for index in stride(from: caller, to: batches, by: callers) {
                        let request = factory.batch("\(phase)-\(index)", size: size)
                        let callStart = ContinuousClock.now
                        do {
                            let response = try await client.ingestEvents(request, metadata: metadata)
                            part.samples.latencies.append(micros(ContinuousClock.now - callStart))
                            part.tally.count(response)
                        } catch {
                            part.samples.fail(error)
                        }
                    }
                    return part
                }
            }
            var all = Result()
            for await part in group {
                all.samples.merge(part.samples)
                all.tally.merge(part.tally)
            }
            return all
        }
        result.wall = ContinuousClock.now - start
        return result
    }
}

/// One agent paging their inbox: the first page of one query shape, again and again.
enum ListPhase {
    struct Result: Sendable {
        var samples = Samples()
        /// Conversations on the first page (50 unless the query matches fewer).
        var rows = 0
    }

    static let warmUpCalls = 50

    static func run(
        _ client: any Inbox_V1_ConversationService.ClientProtocol, request: Inbox_V1_ListConversationsRequest,
        calls: Int, metadata: Metadata
    ) async -> Result {
        var result = Result()
        for call in 0..<(Self.warmUpCalls + calls) {
            let start = ContinuousClock.now
            do {
                let response = try await client.listConversations(request, metadata: metadata)
                let elapsed = ContinuousClock.now - start
                if call == 0 { result.rows = response.conversations.count }
                if call >= Self.warmUpCalls { result.samples.latencies.append(micros(elapsed)) }
            } catch {
                if call >= Self.warmUpCalls { result.samples.fail(error) }
            }
        }
        return result
    }
}

/// The time from a commit to its MESSAGE_CREATED on an open watch.
enum WatchPhase {
    struct Result: Sendable {
        /// From the moment IngestEvents returned, as the issue measures it. The commit happened a
        /// little earlier, so this is a lower bound of the time after the commit (0 when the event
        /// arrived before the answer).
        var afterReturn = Samples()
        /// From the moment the IngestEvents call started: an upper bound of the time after the commit.
        var afterStart = Samples()
        /// The single-event IngestEvents calls themselves.
        var ingest = Samples()
        var sent = 0
        var missing = 0
        var rate = 0
    }

    /// One timed single-event ingest.
    struct Send: Sendable {
        var platformMessageID: String
        var started: ContinuousClock.Instant
        var returned: ContinuousClock.Instant
    }

    /// When each watched message arrived, by platform message id (the first arrival counts).
    final class Arrivals: Sendable {
        private let times = Mutex<[String: ContinuousClock.Instant]>([:])

        func record(_ platformMessageID: String, at instant: ContinuousClock.Instant) {
            self.times.withLock { times in
                if times[platformMessageID] == nil { times[platformMessageID] = instant }
            }
        }

        func time(of platformMessageID: String) -> ContinuousClock.Instant? {
            self.times.withLock { $0[platformMessageID] }
        }

        /// Waits until every one of `ids` arrived, or `timeout` passed.
        func wait(for ids: [String], timeout: Duration) async throws {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let done = self.times.withLock { times -> Bool in
                    for id in ids where times[id] == nil { return false }
                    return true
                }
                if done { return }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// Opens a watch of the whole organisation, proves it live with a probe, then ingests one event
    /// at a time at `rate` per second for `seconds`, and matches each to its MESSAGE_CREATED.
    static func run(
        _ client: any Inbox_V1_ConversationService.ClientProtocol, factory: EventFactory, rate: Int, seconds: Int,
        serviceToken: Metadata, watcherToken: Metadata
    ) async throws -> Result {
        let arrivals = Arrivals()
        let sends: ([Send], Samples) = try await withThrowingTaskGroup(of: ([Send], Samples)?.self) { group in
            group.addTask {
                try await client.watchConversations(Inbox_V1_WatchConversationsRequest(), metadata: watcherToken) {
                    response in
                    for try await event in response.messages where event.type == .messageCreated {
                        arrivals.record(event.message.platformMessageID, at: ContinuousClock.now)
                    }
                }
                return nil
            }
            group.addTask {
                try await Self.probe(client, factory: factory, arrivals: arrivals, metadata: serviceToken)
                return try await Self.send(
                    client, factory: factory, arrivals: arrivals, rate: rate, seconds: seconds,
                    metadata: serviceToken)
            }
            guard let first = try await group.next(), let sends = first else {
                throw BenchError("WatchConversations ended before the measurement did")
            }
            // Returning cancels the watch.
            group.cancelAll()
            return sends
        }

        var result = Result()
        result.rate = rate
        result.sent = sends.0.count
        result.ingest = sends.1
        for send in sends.0 {
            guard let arrived = arrivals.time(of: send.platformMessageID) else {
                result.missing += 1
                continue
            }
            result.afterReturn.latencies.append(max(0, micros(arrived - send.returned)))
            result.afterStart.latencies.append(micros(arrived - send.started))
        }
        return result
    }

    /// Ingests probe events until one reaches the watch (the stream is subscribed from then on).
    private static func probe(
        _ client: any Inbox_V1_ConversationService.ClientProtocol, factory: EventFactory, arrivals: Arrivals,
        metadata: Metadata
    ) async throws {
        for attempt in 0..<20 {
            let event = factory.event("watch-probe-\(attempt)")
            _ = try await client.ingestEvents(.with { $0.events = [event] }, metadata: metadata)
            try await arrivals.wait(for: [event.platformMessageID], timeout: .seconds(1))
            if arrivals.time(of: event.platformMessageID) != nil { return }
        }
        throw BenchError("WatchConversations delivered none of 20 probe messages within a second each")
    }

    /// The steady stream of single-event ingests, then a grace period for the last arrivals.
    private static func send(
        _ client: any Inbox_V1_ConversationService.ClientProtocol, factory: EventFactory, arrivals: Arrivals,
        rate: Int, seconds: Int, metadata: Metadata
    ) async throws -> ([Send], Samples) {
        var sends: [Send] = []
        var calls = Samples()
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now
        for index in 0..<(rate * seconds) {
            try await Task.sleep(until: start + interval * index, clock: .continuous)
            let event = factory.event("watch-\(index)")
            let started = ContinuousClock.now
            do {
                _ = try await client.ingestEvents(.with { $0.events = [event] }, metadata: metadata)
                let returned = ContinuousClock.now
                calls.latencies.append(micros(returned - started))
                sends.append(Send(platformMessageID: event.platformMessageID, started: started, returned: returned))
            } catch {
                calls.fail(error)
            }
        }
        try await arrivals.wait(for: sends.map(\.platformMessageID), timeout: .seconds(5))
        return (sends, calls)
    }
}
