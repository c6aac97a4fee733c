import AssignmentService
import InboxKit

@main
struct AssignmentServiceMain {
    static func main() async {
        await ServiceMain.run(.assignmentService) { environment, logger in
            let configuration = try AssignmentConfiguration.load(from: environment)
            try await AssignmentServiceApp(configuration: configuration).run(logger: logger)
        }
    }
}
