import Foundation
import InboxKit

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

    public init(product: String, environment: [String: String]) throws {
        self.product = product
        self.logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(product)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: self.logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: self.logURL)
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: try Self.binDirectory()).appendingPathComponent(product)
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
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestDatabaseError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestDatabaseError("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
