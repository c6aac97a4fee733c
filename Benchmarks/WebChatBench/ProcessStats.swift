import BenchSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One process's figures from /proc (Linux): resident memory, its peak, CPU seconds and open
/// file descriptors (each socket is one). `pid` is a number or `self`. Where /proc cannot be read,
/// a figure is nil, not zero.
struct ProcessStats: Sendable {
    var residentKB: Int?
    var peakResidentKB: Int?
    var cpuSeconds: Double?
    var openFiles: Int?

    static func of(_ pid: String) -> ProcessStats {
        let status = Self.contents(of: "/proc/\(pid)/status")
        return ProcessStats(
            residentKB: status.flatMap { Self.kilobytes("VmRSS", in: $0) },
            peakResidentKB: status.flatMap { Self.kilobytes("VmHWM", in: $0) },
            cpuSeconds: Self.cpuSeconds(ofProcess: pid),
            openFiles: (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count)
    }

    /// `VmRSS:    123456 kB` → 123456.
    static func kilobytes(_ field: String, in status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            return parts.count >= 2 ? Int(parts[1]) : nil
        }
        return nil
    }

    /// /proc reports times in USER_HZ ticks, 100 a second on Linux.
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

/// `name=pid` pairs, comma-separated (the script's processes), for their CPU seconds over a phase.
struct ProcessList: Sendable {
    let processes: [(name: String, pid: String)]

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

    /// CPU seconds per name now (this process as webchat-bench); a process /proc cannot read is left out.
    func cpuSeconds() -> [String: Double] {
        var seconds: [String: Double] = [:]
        for (name, pid) in self.processes {
            if let value = ProcessStats.cpuSeconds(ofProcess: pid) { seconds[name] = value }
        }
        if let value = ProcessStats.cpuSeconds(ofProcess: "self") { seconds["webchat-bench"] = value }
        return seconds
    }

    /// The names in report order.
    var names: [String] { self.processes.map { $0.name } + ["webchat-bench"] }
}
