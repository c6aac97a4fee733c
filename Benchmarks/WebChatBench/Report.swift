import BenchSupport
import Foundation

/// The figures, printed at the end as a table (to paste into the README) and as one
/// machine-readable `METRIC` line each.
struct Report: Sendable {
    /// CPU seconds per process over a phase, in report order.
    typealias CPUSeconds = [(name: String, seconds: Double)]

    let plan: Measure.Plan
    /// The gateway and this process: before the first socket, with every socket open (after the
    /// settle), and after the replies.
    var gatewayBefore = ProcessStats()
    var gatewayOpen = ProcessStats()
    var gatewayReplies = ProcessStats()
    var benchBefore = ProcessStats()
    var benchOpen = ProcessStats()
    /// From the first handshake to the last socket ready or failed.
    var openSeconds = 0.0
    /// Sockets ready at the second reading (the memory is divided by these).
    var readyAtReading = 0
    var settleCPU: CPUSeconds = []
    var repliesCPU: CPUSeconds = []

    var ready = 0
    var failedSockets = 0
    var stillOpening = 0
    var failedAttempts = 0
    var firstSocketFailure: String?
    var dropped = 0
    var firstDrop: String?
    var handshakes = Latencies()

    /// From the first call to the last one's answer.
    var callsSeconds = 0.0
    var accepted = 0
    var calls = Latencies()
    var failedCalls = 0
    var firstCallError: String?
    /// From each accepted reply's SendReply call to its frame on its visitor's socket.
    var arrivals = Latencies()
    /// Seconds from the first call to the last arrival.
    var lastArrival: Double?
    var missing = 0
    var repeats = 0
    var misdelivered = 0
    var unexpected = 0
    var unparsed = 0
    var pinged = 0
    var pongs = 0

    init(plan: Measure.Plan) {
        self.plan = plan
    }

    /// The sockets' and the replies' outcomes, joined: a reply arrived when its frame did.
    mutating func take(_ result: FanOut.Result, summary: VisitorSockets.Summary, start: ContinuousClock.Instant) {
        self.ready = summary.ready
        self.failedSockets = summary.failed
        self.stillOpening = summary.stillOpening
        self.failedAttempts = summary.failedAttempts
        self.firstSocketFailure = summary.firstFailure
        self.dropped = summary.dropped
        self.firstDrop = summary.firstDrop
        self.handshakes = summary.handshakes
        self.accepted = result.sends.count
        self.calls = result.calls
        self.failedCalls = result.failedCalls
        self.firstCallError = result.firstError
        for send in result.sends {
            guard let arrival = summary.arrivals[send.marker] else {
                self.missing += 1
                continue
            }
            self.arrivals.add(arrival.at - send.started)
            self.lastArrival = max(self.lastArrival ?? 0, micros(arrival.at - start) / 1e6)
        }
        self.repeats = summary.repeats
        self.misdelivered = summary.misdelivered
        self.unexpected = summary.unexpected
        self.unparsed = summary.unparsed
    }

    /// The gateway's growth with the sockets open, per socket, in KiB.
    var gatewayPerSocketKB: Double? { Self.perSocket(self.gatewayBefore, self.gatewayOpen, self.readyAtReading) }
    var benchPerSocketKB: Double? { Self.perSocket(self.benchBefore, self.benchOpen, self.readyAtReading) }

    static func perSocket(_ before: ProcessStats, _ after: ProcessStats, _ sockets: Int) -> Double? {
        guard let before = before.residentKB, let after = after.residentKB, sockets > 0 else { return nil }
        return Double(after - before) / Double(sockets)
    }

    var repliesPerSecond: Double {
        guard let last = self.lastArrival, last > 0 else { return .nan }
        return Double(self.arrivals.count) / last
    }

    var callsPerSecond: Double { self.callsSeconds > 0 ? Double(self.accepted) / self.callsSeconds : .nan }

    var allOpen: Bool { self.ready + self.dropped == self.plan.visitors && self.failedSockets == 0 }

    func render() {
        let perSocket = self.gatewayPerSocketKB.map { String(format: "%.1f KiB", $0) } ?? "n/a"
        let benchPerSocket = self.benchPerSocketKB.map { String(format: "%.1f KiB", $0) } ?? "n/a"
        let opened = self.ready + self.dropped
        let rows: [(String, String, String)] = [
            (
                "WebSockets open (ready frame) of the visitors; failed / still opening",
                "\(Self.n(opened)) of \(Self.n(self.plan.visitors)); \(Self.n(self.failedSockets)) / "
                    + "\(Self.n(self.stillOpening)) (\(Self.n(self.failedAttempts)) attempts tried again)",
                "all: \(Self.met(self.allOpen))"
            ),
            (
                "time to open them (\(self.plan.connectConcurrency) handshakes at a time); connect → ready p50 / p99",
                String(format: "%.1f s", self.openSeconds) + " ("
                    + String(format: "%.0f", Double(opened) / max(self.openSeconds, 0.001)) + "/s); "
                    + "\(Self.ms(self.handshakes.percentile(0.5))) / \(Self.ms(self.handshakes.percentile(0.99)))",
                ""
            ),
            (
                "channel-gateway RSS before / with the sockets open (+\(self.plan.settleSeconds) s) / after the replies",
                "\(Self.megabytes(self.gatewayBefore.residentKB)) / \(Self.megabytes(self.gatewayOpen.residentKB)) / "
                    + "\(Self.megabytes(self.gatewayReplies.residentKB)) (peak "
                    + "\(Self.megabytes(self.gatewayReplies.peakResidentKB)))", ""
            ),
            ("channel-gateway memory per open WebSocket", perSocket, ""),
            (
                "channel-gateway open files before / with the sockets open",
                "\(Self.count(self.gatewayBefore.openFiles)) / \(Self.count(self.gatewayOpen.openFiles))", ""
            ),
            (
                "webchat-bench (the visitors) RSS before / with the sockets open; per socket",
                "\(Self.megabytes(self.benchBefore.residentKB)) / \(Self.megabytes(self.benchOpen.residentKB)); "
                    + benchPerSocket, ""
            ),
            (
                "replies on their visitor's socket / accepted; per second (first call to last frame)",
                "\(Self.n(self.arrivals.count)) / \(Self.n(self.accepted)); "
                    + "\(Self.n(Int(self.repliesPerSecond.isNaN ? 0 : self.repliesPerSecond.rounded())))/s", ""
            ),
            (
                "SendReply call → message frame on the visitor's socket, p50 / p90 / p99 (max)",
                "\(Self.ms(self.arrivals.percentile(0.5))) / \(Self.ms(self.arrivals.percentile(0.9))) / "
                    + "\(Self.ms(self.arrivals.percentile(0.99))) (\(Self.ms(self.arrivals.maximum)))", ""
            ),
            (
                "SendReply calls (\(self.plan.callers) callers), per second, p50 / p99",
                "\(Self.n(Int(self.callsPerSecond.isNaN ? 0 : self.callsPerSecond.rounded())))/s, "
                    + "\(Self.ms(self.calls.percentile(0.5))) / \(Self.ms(self.calls.percentile(0.99)))", ""
            ),
            ("failed SendReply calls", Self.n(self.failedCalls), "0"),
            (
                "replies without their frame after the drain (\(self.plan.drainTimeout) s) / frames on another "
                    + "visitor's socket",
                "\(Self.n(self.missing)) / \(Self.n(self.misdelivered))", "0"
            ),
            ("sockets closed by the gateway during the run", Self.n(self.dropped), "0"),
            (
                "ping → pong at the end", "\(Self.n(self.pongs)) of \(Self.n(self.pinged)) sockets",
                "all: \(Self.met(self.pongs == self.pinged && self.pinged == self.ready))"
            ),
        ]
        print("")
        print(
            "webchat-bench: \(Self.n(self.plan.visitors)) visitors on one web-chat channel, \(Self.n(self.plan.replies)) "
                + "replies from \(self.plan.callers) callers")
        print("")
        print("| measure | result | target |")
        print("|---|---|---|")
        for (label, result, target) in rows { print("| \(label) | \(result) | \(target) |") }
        print("")
        print("CPU seconds while the sockets settled (\(self.plan.settleSeconds) s): \(Self.cpu(self.settleCPU)).")
        print(
            "CPU seconds during the replies (" + String(format: "%.1f", self.callsSeconds) + " s of calls, then the "
                + "drain): \(Self.cpu(self.repliesCPU)).")
        if self.repeats + self.unexpected + self.unparsed > 0 {
            print(
                "Other frames: \(Self.n(self.repeats)) repeats of a reply already arrived (the same message again), "
                    + "\(Self.n(self.unexpected)) agent messages without an expected marker, "
                    + "\(Self.n(self.unparsed)) frames that are not JSON with a type.")
        }
        if let failure = self.firstSocketFailure { print("First failed socket attempt: \(failure)") }
        if let drop = self.firstDrop { print("First dropped socket: \(drop)") }
        if let error = self.firstCallError { print("First failed call: \(error)") }
        print("")

        self.metric("sockets_open", Double(opened), "sockets")
        self.metric("socket_failures", Double(self.failedSockets + self.stillOpening), "sockets", zero: true)
        self.metric("open_seconds", self.openSeconds, "s")
        self.metric("handshake_p50", self.handshakes.percentile(0.5), "ms")
        self.metric("handshake_p99", self.handshakes.percentile(0.99), "ms")
        self.metric("gateway_rss_before", Self.mb(self.gatewayBefore.residentKB), "MB")
        self.metric("gateway_rss_open", Self.mb(self.gatewayOpen.residentKB), "MB")
        self.metric("gateway_rss_after_replies", Self.mb(self.gatewayReplies.residentKB), "MB")
        self.metric("gateway_kb_per_socket", self.gatewayPerSocketKB ?? .nan, "KiB")
        self.metric("bench_kb_per_socket", self.benchPerSocketKB ?? .nan, "KiB")
        self.metric("replies_per_s", self.repliesPerSecond, "1/s")
        self.metric("fanout_p50", self.arrivals.percentile(0.5), "ms")
        self.metric("fanout_p90", self.arrivals.percentile(0.9), "ms")
        self.metric("fanout_p99", self.arrivals.percentile(0.99), "ms")
        self.metric("fanout_max", self.arrivals.maximum, "ms")
        self.metric("send_reply_p50", self.calls.percentile(0.5), "ms")
        self.metric("send_reply_p99", self.calls.percentile(0.99), "ms")
        self.metric("failed_calls", Double(self.failedCalls), "calls", zero: true)
        self.metric("missing", Double(self.missing), "replies", zero: true)
        self.metric("misdelivered", Double(self.misdelivered), "frames", zero: true)
        self.metric("dropped", Double(self.dropped), "sockets", zero: true)
        self.metric("pongs_missing", Double(self.pinged - self.pongs), "sockets", zero: true)
        for (name, seconds) in self.settleCPU { self.metric("cpu_settle_\(Self.metricName(name))", seconds, "s") }
        for (name, seconds) in self.repliesCPU { self.metric("cpu_replies_\(Self.metricName(name))", seconds, "s") }
    }

    /// `zero`: a count whose target is 0.
    private func metric(_ name: String, _ value: Double, _ unit: String, zero: Bool = false) {
        var line = "METRIC webchat_bench.\(name)=" + String(format: "%.3f", value) + " unit=\(unit)"
        if zero { line += " target=0 met=\(value == 0)" }
        print(line)
    }

    /// CPU seconds per name between two readings, in `names`' order (a name missing in either is left out).
    static func difference(_ after: [String: Double], _ before: [String: Double], names: [String]) -> CPUSeconds {
        names.compactMap { name -> (name: String, seconds: Double)? in
            guard let end = after[name], let begin = before[name] else { return nil }
            return (name: name, seconds: end - begin)
        }
    }

    static func megabytes(_ kilobytes: Int?) -> String {
        kilobytes.map { String(format: "%.0f MB", Double($0) / 1024) } ?? "n/a"
    }

    private static func mb(_ kilobytes: Int?) -> Double { kilobytes.map { Double($0) / 1024 } ?? .nan }

    private static func count(_ value: Int?) -> String { value.map(Self.n) ?? "n/a" }

    private static func cpu(_ values: CPUSeconds) -> String {
        values.isEmpty
            ? "not read" : values.map { "\($0.name) " + String(format: "%.2f", $0.seconds) }.joined(separator: ", ")
    }

    private static func metricName(_ name: String) -> String {
        name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    private static func met(_ met: Bool) -> String { met ? "met" : "NOT met" }

    private static func ms(_ milliseconds: Double) -> String { String(format: "%.2f ms", milliseconds) }

    /// With thousands separators, as the README writes numbers.
    static func n(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }
}
