import Foundation
import InboxKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#endif

/// One of the built executables, started as a real process for end-to-end tests. Its standard
/// error and output go to a temporary file that ``output`` reads.
public final class ServiceProcess: @unchecked Sendable {
    public let product: String
    private let process: Process
    private let logURL: URL

    /// `INBOX_BIN_DIR`: where `swift build` put the executables (deploy/local/test sets it).
    public static func binDirectory() throws -> String {
        guard let directory = Environment.process.optionalString("INBOX_BIN_DIR") else {
            throw TestDatabaseError("INBOX_BIN_DIR is not set: run the tests with deploy/local/test")
        }
        return directory
    }

    /// Starts `product` with `arguments` (the services take none; `inboxctl` its command line).
    public init(product: String, arguments: [String] = [], environment: [String: String]) throws {
        self.product = product
        self.logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(product)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: self.logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: self.logURL)
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: try Self.binDirectory()).appendingPathComponent(product)
        self.process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment.filter { key, _ in ["PATH", "HOME", "LANG"].contains(key) }
        inherited["LOG_LEVEL"] = "info"
        // A free metrics port unless the test names one: tests run side by side, and a fixed
        // default (9091-9094) would collide.
        if environment["METRICS_PORT"] == nil { inherited["METRICS_PORT"] = "\(try freePort())" }
        self.process.environment = inherited.merging(environment) { _, new in new }
        self.process.standardOutput = log
        self.process.standardError = log
        try self.process.run()
    }

    public var isRunning: Bool { self.process.isRunning }

    /// What the process printed so far.
    public var output: String {
        (try? String(contentsOf: self.logURL, encoding: .utf8)) ?? ""
    }

    /// Sends SIGTERM, as a container runtime does.
    public func terminate() {
        kill(self.process.processIdentifier, SIGTERM)
    }

    /// Sends SIGKILL: the process dies at once, with no shutdown of any kind.
    public func killAbruptly() {
        kill(self.process.processIdentifier, SIGKILL)
    }

    /// The exit status, or nil if it did not exit within `timeout` (it is killed then).
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
            return nil
        }
        return self.process.terminationStatus
    }

    deinit {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: self.logURL)
    }
}

/// A TCP port that was free a moment ago on 127.0.0.1.
public func freePort() throws -> Int {
    // Ports come from below the kernel's ephemeral range (32768–60999 on Linux), so an outgoing
    // connection can never take a port between the moment it is handed out and the moment the
    // child process binds it, and each port is handed out at most once per test process. The
    // start depends on the pid so two test processes at once rarely probe the same ports.
    try portAllocator.withLock { next in
        for _ in 0..<PortAllocator.span {
            let candidate = PortAllocator.low + next % PortAllocator.span
            next += 1
            if canBind(candidate) { return candidate }
        }
        throw TestDatabaseError(
            "no free port between \(PortAllocator.low) and \(PortAllocator.low + PortAllocator.span)")
    }
}

private enum PortAllocator {
    static let low = 12_000
    static let span = 20_000
}

private let portAllocator = Mutex<Int>(Int(getpid()) * 97 % PortAllocator.span)

private func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return bound == 0
}
