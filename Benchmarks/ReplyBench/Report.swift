import Foundation

/// The figures, printed at the end as a table beside the issue's targets (to paste into the
/// README) and as one machine-readable `METRIC` line each.
struct Report: Sendable {
    let plan: Measure.Plan
    /// The phase as planned, and until the last call of it returned.
    var phaseSeconds = 0.0
    var callsSeconds = 0.0
    /// The phase's SendReply calls.
    var calls = Samples()
    var accepted = 0
    /// From each accepted reply's SendReply call to its SENT on the watch.
    var sent = Samples()
    /// The phase's replies whose SENT arrived before the phase ended.
    var sentWithinPhase = 0
    /// Seconds from the phase's start to the last SENT of its replies.
    var lastSent: Double?
    var failedDeliveries = 0
    var firstFailure: String?
    /// Accepted replies without an outcome after the drain.
    var missing = 0
    /// Accepted replies without an outcome when the calls stopped, and how long they took to settle
    /// (nil: not all did within the drain timeout).
    var backlogAtEnd = 0
    var drainSeconds: Double?
    var warmReplies = 0
    var warmSettled = true
    /// Every reply SendReply accepted in this run (probes, warm-up and phase), against what the
    /// fake Telegram received meanwhile.
    var allAccepted = 0
    var fakeSendMessages = 0
    var fakeDistinctBodies = 0
    var cpu: [(name: String, seconds: Double)] = []
    var machineBusyPercent: Double?

    init(plan: Measure.Plan) {
        self.plan = plan
    }

    var repliesPerSecond: Double { Double(self.sentWithinPhase) / self.phaseSeconds }
    var callsPerSecond: Double { Double(self.accepted) / self.phaseSeconds }
    /// Exactly one sendMessage per accepted reply: as many requests as replies, each body once.
    var onePerReply: Bool {
        self.fakeSendMessages == self.allAccepted && self.fakeDistinctBodies == self.allAccepted
    }

    var rateMet: Bool { self.repliesPerSecond >= 1000 }
    /// A reply that never arrived has no latency to rank, so the p99 holds only when none is missing.
    var latencyMet: Bool { self.sent.percentile(0.99) < 200 && self.missing == 0 }

    func render() {
        let drain = self.drainSeconds.map { String(format: "%.1f s", $0) } ?? "not within \(self.plan.drainTimeout) s"
        let bound = self.plan.maxPending > 0 ? ", at most \(Self.n(self.plan.maxPending)) replies pending" : ""
        let rows: [(String, String, String)] = [
            (
                "replies SENT per second (SENT on the watch within the \(self.plan.seconds) s phase)",
                "\(Self.n(Int(self.repliesPerSecond.rounded())))/s",
                "≥ 1,000/s: \(Self.met(self.rateMet))"
            ),
            (
                "SendReply call → SENT on the watch, p50 / p99 (max)",
                "\(Self.ms(self.sent.percentile(0.5))) / \(Self.ms(self.sent.percentile(0.99))) "
                    + "(\(Self.ms(self.sent.maximum))), \(Self.n(self.sent.latencies.count)) replies",
                "p99 < 200 ms: \(Self.met(self.latencyMet))"
            ),
            (
                "SendReply calls accepted, per second, p50 / p99",
                "\(Self.n(self.accepted)), \(Self.n(Int(self.callsPerSecond.rounded())))/s, "
                    + "\(Self.ms(self.calls.percentile(0.5))) / \(Self.ms(self.calls.percentile(0.99)))", ""
            ),
            ("failed SendReply calls", Self.n(self.calls.failures), "0"),
            (
                "replies FAILED / without an outcome after the drain",
                "\(Self.n(self.failedDeliveries)) / \(Self.n(self.missing))", "0"
            ),
            (
                "fake Telegram sendMessage requests / distinct bodies / replies accepted (probes, warm-up, phase)",
                "\(Self.n(self.fakeSendMessages)) / \(Self.n(self.fakeDistinctBodies)) / \(Self.n(self.allAccepted))",
                "one per reply: \(Self.met(self.onePerReply))"
            ),
            (
                "replies without an outcome when the calls stopped; settled after",
                "\(Self.n(self.backlogAtEnd)); \(drain)", ""
            ),
        ]
        print("")
        print(
            "reply-bench: \(self.plan.callers) callers\(bound), \(self.plan.seconds) s (+ \(self.plan.warmSeconds) s "
                + "warm-up, \(Self.n(self.warmReplies)) replies\(self.warmSettled ? "" : ", NOT all settled")), "
                + "\(Self.n(self.plan.conversations)) conversations")
        print("")
        print("| measure | result | target |")
        print("|---|---|---|")
        for (label, result, target) in rows { print("| \(label) | \(result) | \(target) |") }
        print("")
        let cpu = self.cpu.map { "\($0.name) " + String(format: "%.1f", $0.seconds) }.joined(separator: ", ")
        let busy = self.machineBusyPercent.map { String(format: "; the machine %.0f %% busy", $0) } ?? ""
        print(
            "CPU seconds during the phase (" + String(format: "%.1f", self.callsSeconds) + " s of calls): "
                + (cpu.isEmpty ? "not read" : cpu) + busy + ".")
        if let lastSent = self.lastSent {
            print(
                "The phase's last SENT arrived " + String(format: "%.1f", lastSent) + " s after its start: "
                    + "\(Self.n(self.sent.latencies.count)) SENT over that time is "
                    + String(format: "%.0f", Double(self.sent.latencies.count) / max(lastSent, 0.001)) + "/s.")
        }
        if let error = self.calls.firstError { print("First failed call: \(error)") }
        if let failure = self.firstFailure { print("First FAILED reply: \(failure)") }
        print("")

        self.metric("replies_per_s", self.repliesPerSecond, "1/s", target: "1000", met: self.rateMet)
        self.metric("sent_p50", self.sent.percentile(0.5), "ms")
        self.metric("sent_p99", self.sent.percentile(0.99), "ms", target: "200", met: self.latencyMet)
        self.metric("sent_max", self.sent.maximum, "ms")
        self.metric("send_reply_per_s", self.callsPerSecond, "1/s")
        self.metric("send_reply_p50", self.calls.percentile(0.5), "ms")
        self.metric("send_reply_p99", self.calls.percentile(0.99), "ms")
        self.metric(
            "failed_calls", Double(self.calls.failures), "calls", target: "0", met: self.calls.failures == 0)
        self.metric(
            "failed_deliveries", Double(self.failedDeliveries), "replies", target: "0",
            met: self.failedDeliveries == 0)
        self.metric("missing", Double(self.missing), "replies", target: "0", met: self.missing == 0)
        self.metric(
            "send_messages_per_reply", Double(self.fakeSendMessages) / Double(max(self.allAccepted, 1)), "x",
            target: "1", met: self.onePerReply)
        self.metric("backlog_at_end", Double(self.backlogAtEnd), "replies")
        for (name, seconds) in self.cpu {
            let metricName = name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            self.metric("cpu_\(metricName)", seconds, "s")
        }
        if let busy = self.machineBusyPercent { self.metric("machine_busy", busy, "%") }
    }

    private func metric(_ name: String, _ value: Double, _ unit: String, target: String? = nil, met: Bool? = nil) {
        var line = "METRIC reply_bench.\(name)=" + String(format: "%.3f", value) + " unit=\(unit)"
        if let target { line += " target=\(target)" }
        if let met { line += " met=\(met)" }
        print(line)
    }

    private static func met(_ met: Bool) -> String { met ? "met" : "NOT met" }

    private static func ms(_ milliseconds: Double) -> String { String(format: "%.2f ms", milliseconds) }

    /// With thousands separators, as the README writes numbers.
    private static func n(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }
}
