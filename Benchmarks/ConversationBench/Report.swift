import BenchSupport
import Foundation

/// Latencies of one phase, in microseconds, and the calls that failed (with the first error, so a
/// broken phase says why).
struct Samples: Sendable {
    var latencies: [Double] = []
    var failures = 0
    var firstError: String?

    mutating func fail(_ error: any Error) {
        self.failures += 1
        if self.firstError == nil { self.firstError = "\(error)" }
    }

    mutating func merge(_ other: Samples) {
        self.latencies += other.latencies
        self.failures += other.failures
        if self.firstError == nil { self.firstError = other.firstError }
    }

    func percentile(_ p: Double) -> Double { BenchSupport.percentile(self.latencies, p) }

    var maximum: Double { self.latencies.max() ?? .nan }
}

/// The figures, printed at the end as a table beside the issue's targets and as one
/// machine-readable `METRIC` line each.
struct Report {
    struct Row {
        var label: String
        var figure: String
        var p50: Double
        var p99: Double
        var maximum: Double
        var target: String
        var met: Bool
        var note: String
    }

    private var rows: [Row] = []
    private var metrics: [String] = []

    mutating func ingest(_ result: IngestPhase.Result, size: Int, callers: Int) {
        let seconds = micros(result.wall) / 1e6
        let rate = Double(result.tally.answered) / seconds
        let samples = result.samples
        let met = rate >= 5000 && samples.failures == 0 && result.tally.failed == 0
        self.rows.append(
            Row(
                label: "IngestEvents, batches of \(size), \(callers) callers",
                figure: String(format: "%.0f events/s", rate), p50: samples.percentile(0.5) / 1000,
                p99: samples.percentile(0.99) / 1000, maximum: samples.maximum / 1000, target: "≥ 5000 events/s",
                met: met,
                note: "\(samples.latencies.count) batches in \(String(format: "%.1f", seconds)) s; created "
                    + "\(result.tally.created), duplicate \(result.tally.duplicate), other \(result.tally.other), "
                    + "failed items \(result.tally.failed), failed calls \(samples.failures)"
                    + Self.error(samples.firstError ?? result.tally.firstError)))
        self.metric("ingest_b\(size)_events_per_s", rate, "events/s", ">=5000", met)
        self.metric("ingest_b\(size)_batch_p50", samples.percentile(0.5) / 1000, "ms", "", nil)
        self.metric("ingest_b\(size)_batch_p99", samples.percentile(0.99) / 1000, "ms", "", nil)
        self.metric("ingest_b\(size)_failed", Double(samples.failures * size + result.tally.failed), "events", "0", nil)
    }

    mutating func list(_ result: ListPhase.Result, name: String, label: String, targetMilliseconds: Double) {
        let samples = result.samples
        let p99 = samples.percentile(0.99) / 1000
        let met = p99 < targetMilliseconds && samples.failures == 0
        self.rows.append(
            Row(
                label: label, figure: "\(samples.latencies.count) calls", p50: samples.percentile(0.5) / 1000,
                p99: p99, maximum: samples.maximum / 1000,
                target: String(format: "p99 < %.0f ms", targetMilliseconds), met: met,
                note: "\(result.rows) rows on the first page, failed calls \(samples.failures)"
                    + Self.error(samples.firstError)))
        self.metric("\(name)_p50", samples.percentile(0.5) / 1000, "ms", "", nil)
        self.metric("\(name)_p99", p99, "ms", String(format: "<%.0f", targetMilliseconds), met)
    }

    mutating func watch(_ result: WatchPhase.Result) {
        let ingest = result.ingest
        let callP50 = Self.milliseconds(ingest.percentile(0.5))
        let callP99 = Self.milliseconds(ingest.percentile(0.99))
        let note =
            "\(result.sent) single-event ingests at \(result.rate)/s; missing \(result.missing); IngestEvents "
            + "call p50 \(callP50) ms, p99 \(callP99) ms, failed calls \(ingest.failures)"
            + Self.error(ingest.firstError)
        let bounds: [(name: String, label: String, samples: Samples, note: String)] = [
            (
                "watch_after_return", "WatchConversations, MESSAGE_CREATED after IngestEvents returned",
                result.afterReturn, note
            ),
            (
                "watch_after_start", "WatchConversations, MESSAGE_CREATED after IngestEvents started",
                result.afterStart, "an upper bound: the commit lies between the call's start and its answer"
            ),
        ]
        for bound in bounds {
            let samples = bound.samples
            let p99 = samples.percentile(0.99) / 1000
            let met = p99 < 100 && result.missing == 0 && result.ingest.failures == 0
            self.rows.append(
                Row(
                    label: bound.label, figure: "\(samples.latencies.count) events",
                    p50: samples.percentile(0.5) / 1000,
                    p99: p99, maximum: samples.maximum / 1000, target: "p99 < 100 ms", met: met, note: bound.note))
            self.metric("\(bound.name)_p50", samples.percentile(0.5) / 1000, "ms", "", nil)
            self.metric("\(bound.name)_p99", p99, "ms", "<100", met)
            self.metric("\(bound.name)_max", samples.maximum / 1000, "ms", "", nil)
        }
        self.metric("watch_missing", Double(result.missing), "events", "0", nil)
    }

    func render() {
        let header = ["measure", "figure", "p50 ms", "p99 ms", "max ms", "target", "met"]
        let cells = self.rows.map { row in
            [
                row.label, row.figure, String(format: "%.2f", row.p50), String(format: "%.2f", row.p99),
                String(format: "%.2f", row.maximum), row.target, row.met ? "yes" : "NO",
            ]
        }
        let widths = header.indices.map { column in
            ([header] + cells).map { $0[column].count }.max() ?? 0
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { column, value in
                let padding = String(repeating: " ", count: widths[column] - value.count)
                // Labels left, numbers right.
                return column == 0 || column == 5 ? value + padding : padding + value
            }.joined(separator: "  ")
        }
        print("")
        print(line(header))
        print(line(widths.map { String(repeating: "-", count: $0) }))
        for values in cells { print(line(values)) }
        print("")
        for row in self.rows { print("\(row.label): \(row.note)") }
        print("")
        for metric in self.metrics { print(metric) }
    }

    private mutating func metric(_ name: String, _ value: Double, _ unit: String, _ target: String, _ met: Bool?) {
        var line = "METRIC conversation_bench.\(name)=" + String(format: "%.3f", value) + " unit=\(unit)"
        if !target.isEmpty { line += " target=\(target)" }
        if let met { line += " met=\(met)" }
        self.metrics.append(line)
    }

    private static func milliseconds(_ microseconds: Double) -> String {
        String(format: "%.2f", microseconds / 1000)
    }

    private static func error(_ text: String?) -> String {
        text.map { "; first error: \($0)" } ?? ""
    }
}
