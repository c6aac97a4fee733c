import BenchSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// CPU seconds (user + system) of the processes the script started, of every PostgreSQL process
/// together, and of this one, read from /proc (Linux) at the phase's start and end; and how busy
/// the whole machine was. Where /proc cannot be read, the figures are missing, not zero.
struct ProcessCPU: Sendable {
    /// One reading.
    struct Snapshot: Sendable {
        var seconds: [String: Double] = [:]
        var machineBusy: Int64 = 0
        var machineTotal: Int64 = 0
    }

    /// `name=pid` pairs, in the order given (the report keeps it).
    let processes: [(name: String, pid: String)]

    /// The names of a snapshot, in report order.
    var names: [String] { self.processes.map { $0.name } + ["PostgreSQL", "reply-bench"] }

    /// `text`: `name=pid[,name=pid...]` (empty: none).
    init(_ text: String) throws {
        var processes: [(name: String, pid: String)] = []
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber) else {
                throw BenchError("--processes takes name=pid pairs, comma-separated; \"\(pair)\" is not one")
            }
            processes.append((name: String(parts[0]), pid: String(parts[1])))
        }
        self.processes = processes
    }

    func snapshot() -> Snapshot {
        var snapshot = Snapshot()
        for (name, pid) in self.processes {
            if let seconds = Self.cpuSeconds(ofProcess: pid) { snapshot.seconds[name] = seconds }
        }
        snapshot.seconds["PostgreSQL"] = Self.postgresCPUSeconds()
        if let seconds = Self.cpuSeconds(ofProcess: "self") { snapshot.seconds["reply-bench"] = seconds }
        if let jiffies = Self.machineJiffies() {
            snapshot.machineBusy = jiffies.busy
            snapshot.machineTotal = jiffies.total
        }
        return snapshot
    }

    /// /proc reports times in USER_HZ ticks, 100 a second on Linux (the bench scripts divide by
    /// 100 too).
    static let ticksPerSecond = 100.0

    /// utime + stime of `/proc/<pid>/stat` (fields 14 and 15 of proc(5), counted after the command
    /// name, which is in parentheses and may hold spaces).
    static func cpuSeconds(ofProcess pid: String) -> Double? {
        guard let text = Self.contents(of: "/proc/\(pid)/stat"), let nameEnd = text.lastIndex(of: ")") else {
            return nil
        }
        // After the name: field 3 (the state) is the first.
        let fields = text[text.index(after: nameEnd)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Self.ticksPerSecond
    }

    /// Every process named postgres (the server, its backends and workers), as `ps -C postgres` in
    /// the other benchmarks' scripts. A backend that exits during the phase takes its time with it
    /// (the services' pools keep theirs open).
    static func postgresCPUSeconds() -> Double? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        var total = 0.0
        for entry in entries where !entry.isEmpty && entry.allSatisfy(\.isNumber) {
            guard let name = Self.contents(of: "/proc/\(entry)/comm"),
                name.trimmingCharacters(in: .whitespacesAndNewlines) == "postgres"
            else { continue }
            total += Self.cpuSeconds(ofProcess: entry) ?? 0
        }
        return total
    }

    /// The machine's busy and total ticks over all cores, from the first line of /proc/stat (user
    /// nice system idle iowait irq softirq steal ...): busy is all but idle and iowait.
    static func machineJiffies() -> (busy: Int64, total: Int64)? {
        guard let text = Self.contents(of: "/proc/stat"), let line = text.split(separator: "\n").first,
            line.hasPrefix("cpu ")
        else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Int64($0) }
        guard values.count >= 8 else { return nil }
        let busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7]
        return (busy, busy + values[3] + values[4])
    }

    /// A /proc file's text. Read with read(2) until its end: /proc files report a size of 0.
    static func contents(of path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { _ = close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress, buffer.count)
            }
            guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes += chunk[..<count]
        }
    }
}
