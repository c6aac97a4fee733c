// reply-bench: the reply path under the load (issue 11), SendReply → policy → gateway →
// fake Telegram → SENT, through real gRPC and HTTP on 127.0.0.1 (Benchmarks/run-reply-bench starts
// a private PostgreSQL with durable defaults, the four services and platform-fakes, release
// builds). Not a test: it prints figures beside the targets.
//
//   reply-bench setup --policy 127.0.0.1:50054 --gateway 127.0.0.1:50051 --conversation 127.0.0.1:50052
//       --webhooks http://127.0.0.1:8080 --out FILE [--channels 100] [--conversations 2000]
//       [--bot-token T] [--timeout 300]
//       creates org-reply-bench (enterprise) at policy-service, connects --channels Telegram bots at
//       the gateway, posts one customer message per conversation as Telegram posts it (to the
//       channel's webhook URL, with its secret token), waits until conversation-service lists every
//       conversation, writes their ids to FILE (one a line) and prints the organisation id
//   reply-bench measure --conversation 127.0.0.1:50052 --organization <id> --conversations-file FILE
//       --fakes-admin http://127.0.0.1:P [--callers 16] [--seconds 20] [--warm-seconds 3]
//       [--drain-timeout 60] [--max-pending 0] [--processes name=pid,...]
//       opens one WatchConversations of the organisation, then --callers agents call SendReply
//       (unique idempotency keys, random conversations) for --seconds; each reply's time from the
//       call to its MESSAGE_UPDATED with delivery state SENT on the watch, SENT per second, the
//       fake Telegram's sendMessage count against the replies, CPU seconds of --processes
//   (TOKEN_SIGNING_KEY in the environment, as the services have it)
import ArgumentParser
import BenchSupport
import Foundation
import GRPCCore
import InboxKit

@main
struct ReplyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reply-bench",
        abstract: "The reply path's benchmark: SendReply → policy → gateway → fake Telegram → SENT.",
        subcommands: [Setup.self, Measure.self]
    )
}

/// Latencies in microseconds, and the calls that failed (with the first error, so a broken phase
/// says why).
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

    /// In milliseconds (nearest rank over every sample); NaN when there are none.
    func percentile(_ p: Double) -> Double { BenchSupport.percentile(self.latencies, p) / 1000 }

    /// In milliseconds; NaN when there are none.
    var maximum: Double { (self.latencies.max() ?? .nan) / 1000 }
}
