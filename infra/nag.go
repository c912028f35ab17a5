package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/arkmember/arkmember/internal/catalog"
)

// AddNagChecks runs cdk-nag's AwsSolutions pack over everything under
// scope at synthesis; findings become error annotations, which fail
// `cdk synth`, `cdk deploy` and (with cdk.json's validation flags) a plain
// `go run .`.
func AddNagChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Reports: jsii.Bool(false),
		Verbose: jsii.Bool(true),
	}), nil)
}

// Every accepted cdk-nag finding, with why it is accepted. Suppressions are
// applied where the resource is made, always through suppress, and always
// to the narrowest construct and finding (appliesTo) possible.
const (
	// Function roles (AwsSolutions-IAM5).
	reasonStarResource = "X-Ray's PutTraceSegments/PutTelemetryRecords (active tracing) and DynamoDB's " +
		"ListStreams (stream event source) support no resource-level permissions, so CDK grants them on '*'."
	reasonKMSActionWildcards = "CDK's grant for writing a table encrypted with the customer-managed key adds " +
		"kms:GenerateDataKey* and kms:ReEncrypt*; they apply to that one key ARN only."
	reasonTableIndexes = "Read grants cover the table's own global secondary indexes (<table>/index/*) so " +
		"functions can Query them; no other table is reachable."
	// CodeDeploy (AwsSolutions-IAM4).
	reasonCodeDeployRole = "AWSCodeDeployRoleForLambdaLimited is the AWS-maintained, Lambda-scoped policy " +
		"CodeDeploy needs to shift alias traffic and read the rollback alarms."
	// Public routes (AwsSolutions-APIG4).
	reasonPublicRoute = "Public by design in internal/catalog (empty Roles): registration, login, token " +
		"issue/refresh and health need no token; throttled at the stage and validated by the function."
	// App secret (AwsSolutions-SMG4).
	reasonNoSecretRotation = "The master key encrypts PII at rest: rotating it means re-encrypting every " +
		"protected field, so it is rotated only by the runbook procedure (docs/runbook.md), never automatically."
	// Stream failure destination (AwsSolutions-SQS3).
	reasonIsDLQ = "This queue is itself a dead-letter queue: the on-failure destination of the stream event " +
		"source mapping; it is alarmed on and replayed by hand (docs/runbook.md)."
)

// Wildcard findings on a function role that the reasons above cover.
var (
	appliesToStarResource = []interface{}{"Resource::*"}
	appliesToKMSWildcards = []interface{}{"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"}
	appliesToTableIndexes = []interface{}{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<[A-Za-z0-9]+\.Arn>\/index\/\*$/`)}}
)

// suppress accepts one rule's findings on c and the resources under it, for
// reason; appliesTo, when given, narrows it to those granular findings.
// Pass an L1 (Node().DefaultChild()) to cover that resource alone.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...interface{}) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		s.AppliesTo = &appliesTo
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// suppressFunctionRole accepts the wildcards CDK's own grants put in the
// role of a function with this catalog entry, and nothing else. Call it
// once the role has its default policy.
func suppressFunctionRole(role constructs.IConstruct, spec catalog.Function) {
	suppress(role, "AwsSolutions-IAM5", reasonStarResource, appliesToStarResource...)
	if spec.Table == catalog.AccessReadWrite {
		suppress(role, "AwsSolutions-IAM5", reasonKMSActionWildcards, appliesToKMSWildcards...)
	}
	if spec.Table != catalog.AccessNone {
		suppress(role, "AwsSolutions-IAM5", reasonTableIndexes, appliesToTableIndexes...)
	}
}
