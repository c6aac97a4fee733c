import PlatformJSON

/// How many requests each fake received, by endpoint, for a client that runs the fakes as a
/// process and so cannot read their recorders (`Benchmarks/run-reply-bench` checks that the fake
/// Telegram received exactly one `sendMessage` per reply). `platform-fakes` serves it at
/// `GET /requests` on a port of its own (`PLATFORM_FAKES_ADMIN_URL`):
///
///     {"telegram": {"requests": 4,
///                   "endpoints": {"POST sendMessage": {"requests": 4, "distinct_bodies": 3}}}, ...}
///
/// An endpoint is the method and the path's last segment (`/bot<token>/sendMessage` is `POST
/// sendMessage`, `/v26.0/<page>/messages` is `POST messages`), so tokens and account ids in paths
/// do not split the counts. Every request a fake received counts, refused ones too (a wrong token,
/// an unknown path). `distinct_bodies` tells one request sent twice from two different requests.
public enum FakeRequestCounts {
    /// The counts of `fakes` (a name and its fake each), as the JSON above.
    public static func json(_ fakes: [(name: String, fake: any FakePlatform)]) -> WireJSON {
        struct Tally {
            var requests = 0
            var bodies: Set<[UInt8]> = []
        }
        var platforms: [String: WireJSON] = [:]
        for (name, fake) in fakes {
            let requests = fake.recorder.requests
            var endpoints: [String: Tally] = [:]
            for request in requests {
                let endpoint = "\(request.method) \(request.segments.last ?? "")"
                endpoints[endpoint, default: Tally()].requests += 1
                endpoints[endpoint, default: Tally()].bodies.insert(request.body)
            }
            var counts: [String: WireJSON] = [:]
            for (endpoint, tally) in endpoints {
                counts[endpoint] = [
                    "requests": .int(Int64(tally.requests)), "distinct_bodies": .int(Int64(tally.bodies.count)),
                ]
            }
            platforms[name] = ["requests": .int(Int64(requests.count)), "endpoints": .object(counts)]
        }
        return .object(platforms)
    }

    /// Serves `GET /requests` with the counts of `fakes` on 127.0.0.1 and a free port (anything
    /// else: 404). The caller stops the server.
    public static func serve(_ fakes: [(name: String, fake: any FakePlatform)]) async throws -> FakeHTTPServer {
        try await FakeHTTPServer.start { request in
            guard request.method == "GET", request.segments == ["requests"] else {
                return .json(404, ["error": "no such endpoint: \(request.method) \(request.path)"])
            }
            return .json(200, Self.json(fakes))
        }
    }
}
