import Foundation
import GRPCCore
import InboxAPI
import SwiftProtobuf
import TestSupport
import Testing

@testable import PolicyService

@Suite("policy-service: organisations and plans, through the RPCs")
struct OrganizationTests {
    @Test func operatorsCreateIdempotentlyAndOthersCannot() async throws {
        try await PolicyHarness.with { harness in
            let request = Inbox_V1_CreateOrganizationRequest.with {
                $0.name = "Acme"
                $0.plan = .enterprise
                $0.timeZone = "Europe/Paris"
                $0.idempotencyKey = "create-acme"
            }
            let operatorToken = try await PolicyHarness.metadata(.operator)
            let first = try await harness.client.createOrganization(request, metadata: operatorToken)
            let again = try await harness.client.createOrganization(request, metadata: operatorToken)
            #expect(first.id == again.id)
            #expect(first.plan == .enterprise)
            #expect(first.inactivityDays == 60)

            var different = request
            different.name = "Other"
            let reused = await refusal {
                _ = try await harness.client.createOrganization(different, metadata: operatorToken)
            }
            #expect(reused?.code == .alreadyExists)
            #expect(reused?.reason == "IDEMPOTENCY_KEY_REUSED")

            let admin = await refusal {
                _ = try await harness.client.createOrganization(
                    request, metadata: try await PolicyHarness.metadata(.admin, "org-x"))
            }
            #expect(admin?.code == .permissionDenied)
        }
    }

    @Test func listingPagesThroughEveryOrganisationOnce() async throws {
        try await PolicyHarness.with { harness in
            var created: Set<String> = []
            for index in 0..<7 { created.insert(try await harness.organization("Org \(index)").id) }
            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await harness.client.listOrganizations(
                    .with {
                        $0.pageSize = 3
                        $0.pageToken = token
                    }, metadata: try await PolicyHarness.metadata(.operator))
                #expect(page.organizations.count <= 3)
                seen += page.organizations.map(\.id)
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(seen.count == 7)
            #expect(Set(seen) == created)
        }
    }

    @Test func updatesApplyTheMaskAndPlanChangesTakeEffectAtOnce() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization()
            let query = Inbox_V1_IngestQuery.with {
                $0.organizationID = organization.id
                $0.platform = .wechat
            }
            let service = try await PolicyHarness.metadata(.service)
            let before = try await harness.client.checkIngest(.with { $0.queries = [query] }, metadata: service)
            #expect(before.verdicts.first?.decision == .reject)
            #expect(before.verdicts.first?.reasonCode == .planDoesNotAllowPlatform)

            let updated = try await harness.client.updateOrganization(
                .with {
                    $0.organization = .with {
                        $0.id = organization.id
                        $0.plan = .enterprise
                        $0.name = "ignored, not in the mask"
                    }
                    $0.updateMask = .with { $0.paths = ["plan"] }
                }, metadata: try await PolicyHarness.metadata(.operator))
            #expect(updated.plan == .enterprise)
            #expect(updated.name == "Acme")
            let after = try await harness.client.checkIngest(.with { $0.queries = [query] }, metadata: service)
            #expect(after.verdicts.first?.decision == .deliver)

            // An admin may rename their organisation but not change its plan.
            let admin = try await PolicyHarness.metadata(.admin, organization.id)
            let renamed = try await harness.client.updateOrganization(
                .with {
                    $0.organization = .with { $0.name = "Acme SA" }
                    $0.updateMask = .with { $0.paths = ["name"] }
                }, metadata: admin)
            #expect(renamed.name == "Acme SA")
            let plan = await refusal {
                _ = try await harness.client.updateOrganization(
                    .with {
                        $0.organization = .with { $0.plan = .standard }
                        $0.updateMask = .with { $0.paths = ["plan"] }
                    }, metadata: admin)
            }
            #expect(plan?.code == .permissionDenied)
        }
    }

    @Test func badInputNamesTheField() async throws {
        try await PolicyHarness.with { harness in
            let operatorToken = try await PolicyHarness.metadata(.operator)
            let cases: [(Inbox_V1_CreateOrganizationRequest, String)] = [
                (
                    .with {
                        $0.name = ""
                        $0.plan = .standard
                    }, "name"
                ),
                (
                    .with {
                        $0.name = "A"
                        $0.plan = .unspecified
                    }, "plan"
                ),
                (
                    .with {
                        $0.name = "A"
                        $0.plan = Inbox_V1_Plan(rawValue: 42)!
                    }, "plan"
                ),
                (
                    .with {
                        $0.name = "A"
                        $0.plan = .standard
                        $0.timeZone = "Mars/Olympus_Mons"
                    }, "time_zone"
                ),
                (
                    .with {
                        $0.name = "A"
                        $0.plan = .standard
                        $0.idempotencyKey = String(repeating: "k", count: 129)
                    },
                    "idempotency_key"
                ),
            ]
            for (request, field) in cases {
                let error = await refusal {
                    _ = try await harness.client.createOrganization(request, metadata: operatorToken)
                }
                #expect(error?.code == .invalidArgument, "\(field)")
                #expect(error?.field == field)
            }
            for size: Int32 in [-1, 101] {
                let error = await refusal {
                    _ = try await harness.client.listOrganizations(
                        .with { $0.pageSize = size }, metadata: operatorToken)
                }
                #expect(error?.field == "page_size")
            }
            let token = await refusal {
                _ = try await harness.client.listOrganizations(
                    .with { $0.pageToken = "garbage!" }, metadata: operatorToken)
            }
            #expect(token?.reason == "PAGE_TOKEN_INVALID")
        }
    }

    /// Organisation B's token can neither read nor change A's organisation, rules or inbox state.
    @Test func anotherOrganisationsTokenGetsNothing() async throws {
        try await PolicyHarness.with { harness in
            let a = try await harness.organization("A")
            let b = try await harness.organization("B")
            let adminA = try await PolicyHarness.metadata(.admin, a.id)
            let adminB = try await PolicyHarness.metadata(.admin, b.id)
            let rule = try await harness.client.createAutoReplyRule(
                .with {
                    $0.rule = .with {
                        $0.name = "away"
                        $0.replyText = "We are away"
                        $0.noAgentOnline = .init()
                    }
                }, metadata: adminA)

            for call in [
                { _ = try await harness.client.getOrganization(.with { $0.organizationID = a.id }, metadata: adminB) },
                { _ = try await harness.client.getInboxState(.with { $0.organizationID = a.id }, metadata: adminB) },
                { _ = try await harness.client.activateInbox(.with { $0.organizationID = a.id }, metadata: adminB) },
                {
                    _ = try await harness.client.updateOrganization(
                        .with {
                            $0.organization = .with {
                                $0.id = a.id
                                $0.name = "pwned"
                            }
                            $0.updateMask = .with { $0.paths = ["name"] }
                        }, metadata: adminB)
                },
            ] as [() async throws -> Void] {
                #expect(await refusal(call)?.code == .permissionDenied)
            }
            // Rules of A are not found with B's token, and B's list holds none of them.
            let deleted = await refusal {
                _ = try await harness.client.deleteAutoReplyRule(.with { $0.ruleID = rule.id }, metadata: adminB)
            }
            #expect(deleted?.code == .notFound)
            let updated = await refusal {
                _ = try await harness.client.updateAutoReplyRule(
                    .with {
                        $0.rule = .with {
                            $0.id = rule.id
                            $0.replyText = "pwned"
                        }
                        $0.updateMask = .with { $0.paths = ["reply_text"] }
                    }, metadata: adminB)
            }
            #expect(updated?.code == .notFound)
            #expect(try await harness.client.listAutoReplyRules(.init(), metadata: adminB).rules.isEmpty)
            #expect(try await harness.client.listAutoReplyRules(.init(), metadata: adminA).rules.map(\.id) == [rule.id])
        }
    }
}
