import Foundation
import TestSupport

// Runs every platform fake on 127.0.0.1 (free ports) for demos, prints each base URL, and serves
// until SIGINT or SIGTERM. Written unbuffered so a script reading a pipe sees the URLs at once.
let fakes = try await FakePlatforms.startAll(credentials: .demo)
FileHandle.standardOutput.write(Data((fakes.summary.joined(separator: "\n") + "\n").utf8))
await FakePlatforms.waitForTermination()
await fakes.stopAll()
