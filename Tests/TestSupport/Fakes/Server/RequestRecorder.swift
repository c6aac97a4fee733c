import Synchronization

/// Every request a fake received, in order, for assertions.
public final class RequestRecorder: Sendable {
    private let state = Mutex<State>(State())

    private struct Waiter {
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var requests: [FakeRequest] = []
        var nextWaiterID = 0
        var waiters: [Int: Waiter] = [:]
        var expired: Set<Int> = []
    }

    public init() {}

    public var requests: [FakeRequest] { state.withLock { $0.requests } }

    func record(_ request: FakeRequest) {
        let ready = state.withLock { state in
            state.requests.append(request)
            let count = state.requests.count
            let ready = state.waiters.filter { $0.value.count <= count }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Waits until at least `count` requests were recorded or `timeout` passed, and returns what
    /// was recorded by then (so a test asserts on it rather than sleeping).
    @discardableResult
    public func waitForRequests(count: Int, timeout: Duration = .seconds(5)) async -> [FakeRequest] {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntil(count: count, id: id) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
            await group.next()
            group.cancelAll()
            self.expire(id)
        }
        return requests
    }

    private func waitUntil(count: Int, id: Int) async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.requests.count >= count || state.expired.contains(id) { return true }
                state.waiters[id] = Waiter(count: count, continuation: continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Ends waiter `id`'s wait, now or (if it has not registered yet) as soon as it does.
    private func expire(_ id: Int) {
        let waiter = state.withLock { state in
            state.expired.insert(id)
            return state.waiters.removeValue(forKey: id)
        }
        waiter?.continuation.resume()
    }
}
