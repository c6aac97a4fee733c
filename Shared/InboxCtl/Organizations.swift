import ArgumentParser
import InboxAPI

/// `inboxctl org`: policy-service's organisations (CreateOrganization, ListOrganizations,
/// GetOrganization).
struct OrgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org",
        abstract: "Create, list and show organisations (policy-service).",
        discussion: """
            Creating and listing organisations needs an operator token; an admin or agent token shows its own \
            organisation.

            Examples:
              export INBOX_TOKEN=$(inboxctl token --role operator)
              inboxctl org create --name "Shop" --plan enterprise --time-zone Europe/Paris
              inboxctl org list
              inboxctl org show org_0123abcd --json
            """,
        subcommands: [OrgCreate.self, OrgList.self, OrgShow.self]
    )

    /// The organisation as label-value lines.
    static func show(_ organization: Inbox_V1_Organization, _ output: Output) throws {
        if output.json { return try output.message(organization) }
        output.fields([
            ("Organisation", organization.id),
            ("Name", organization.name),
            ("Plan", Format.label(organization.plan)),
            ("Time zone", organization.timeZone),
            ("Inactivity days", "\(organization.inactivityDays)"),
            ("First response", Format.duration(organization.firstResponseTarget)),
            ("Created", Format.time(organization.createdAt)),
            ("Updated", Format.time(organization.updatedAt)),
        ])
    }
}

struct OrgCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an organisation (operator).",
        discussion: """
            Prints the new organisation; its id is what admin and agent tokens name \
            (`inboxctl token --role admin --organization <id>`). The same --key again returns the organisation \
            created the first time.

            Examples:
              inboxctl org create --name "Shop" --plan enterprise
              inboxctl org create --name "Café" --time-zone Europe/Paris --key onboarding-cafe --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The organisation's name.")
    var name: String

    @Option(help: "standard or enterprise (WeChat, Telegram and Twilio SMS need enterprise).")
    var plan: String = "standard"

    @Option(help: "IANA time zone for business hours (default UTC).")
    var timeZone: String?

    @Option(help: "Idempotency key: the same key again returns the first result.")
    var key: String?

    func run() async throws {
        let plan: Inbox_V1_Plan = try Names.parse(self.plan, option: "--plan")
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let request = Inbox_V1_CreateOrganizationRequest.with {
            $0.name = self.name
            $0.plan = plan
            $0.timeZone = self.timeZone ?? ""
            $0.idempotencyKey = self.key ?? ""
        }
        let organization = try await connection.policy { policy in
            try await policy.createOrganization(request, metadata: metadata, options: connection.options)
        }
        try OrgCommand.show(organization, Output(json: self.global.json))
    }
}

struct OrgList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List organisations (operator).",
        discussion: """
            Examples:
              inboxctl org list
              inboxctl org list --limit 500 --json
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var page: PageOptions

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let (limit, start) = (self.page.limit, self.page.pageToken ?? "")
        let page = self.page
        let response = try await connection.policy { policy in
            var all = Inbox_V1_ListOrganizationsResponse.with { $0.nextPageToken = start }
            repeat {
                let next = try await policy.listOrganizations(
                    .with {
                        $0.pageSize = page.pageSize(after: all.organizations.count)
                        $0.pageToken = all.nextPageToken
                    }, metadata: metadata, options: connection.options)
                all.organizations += next.organizations
                all.nextPageToken = next.nextPageToken
            } while !all.nextPageToken.isEmpty && all.organizations.count < limit
            return all
        }
        let output = Output(json: self.global.json)
        if output.json { return try output.message(response) }
        var table = Table(("ID", 40), ("NAME", 40), ("PLAN", 10), ("TIME ZONE", 24), ("CREATED", 20))
        for organization in response.organizations {
            table.add(
                organization.id, organization.name, Format.label(organization.plan), organization.timeZone,
                Format.time(organization.createdAt))
        }
        output.table(table, empty: "no organisations")
        Output.morePages(response.nextPageToken)
    }
}

struct OrgShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show an organisation (operators name it; admins and agents see their own).",
        discussion: """
            Examples:
              inboxctl org show org_0123abcd
              inboxctl org show --json          # with an admin or agent token: its organisation
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The organisation id (default: the token's organisation).")
    var organization: String?

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let id = self.organization ?? ""
        let organization = try await connection.policy { policy in
            try await policy.getOrganization(
                .with { $0.organizationID = id }, metadata: metadata, options: connection.options)
        }
        try OrgCommand.show(organization, Output(json: self.global.json))
    }
}
