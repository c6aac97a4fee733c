import InboxKit
import PolicyService

@main
struct PolicyServiceMain {
    static func main() async {
        await ServiceMain.run(.policyService) { environment, logger in
            let configuration = try PolicyConfiguration.load(from: environment)
            try await PolicyServiceApp(configuration: configuration).run(logger: logger)
        }
    }
}
