package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/arkmember/arkmember/internal/catalog"
)

// Shared function defaults.
const (
	memoryDefault   = 256 // MB
	memorySchedule  = 512 // MB: jobs walk many items per run
	timeoutDefault  = 10  // seconds: API, authorizer and stream functions
	timeoutQueue    = 60  // seconds: queue consumers
	timeoutSchedule = 300 // seconds: scheduled and on-demand jobs
	liveAlias       = "live"
	bootstrapBinary = "bootstrap"
)

// functionDeps are the shared resources a function may be granted.
type functionDeps struct {
	stage     Stage
	assetsDir string
	table     awsdynamodb.Table
	secret    awssecretsmanager.Secret
	bus       awsevents.EventBus
}

// deployedFunction is one catalog function in the stack. Triggers, routes
// and deployments use alias, never fn, so CodeDeploy can shift traffic.
type deployedFunction struct {
	spec    catalog.Function
	id      string // construct id prefix, e.g. "Accounts"
	fn      awslambda.Function
	alias   awslambda.Alias
	timeout float64 // seconds
}

// functionName is the physical Lambda name, e.g. ark-prod-accounts.
func functionName(stage, name string) string { return fmt.Sprintf("ark-%s-%s", stage, name) }

// functionTimeout is the timeout of a function kind, in seconds.
func functionTimeout(kind catalog.FunctionKind) float64 {
	switch kind {
	case catalog.KindQueue:
		return timeoutQueue
	case catalog.KindSchedule:
		return timeoutSchedule
	}
	return timeoutDefault
}

// functionMemory is the memory size of a function kind, in MB.
func functionMemory(kind catalog.FunctionKind) float64 {
	if kind == catalog.KindSchedule {
		return memorySchedule
	}
	return memoryDefault
}

// newFunction is the one place function defaults live: arm64 on
// provided.al2023, X-Ray, a log group with the stage's retention, the
// environment the function's catalog entry calls for, exactly the grants
// it calls for, and a live alias on the current version. What it invokes
// is wired by grantInvokes once every function exists.
func newFunction(scope constructs.Construct, spec catalog.Function, d functionDeps) (*deployedFunction, error) {
	dir, err := filepath.Abs(filepath.Join(d.assetsDir, spec.Name))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, bootstrapBinary)); err != nil {
		return nil, fmt.Errorf("function %s: %s missing: run `make build` first (or synthesize with -c %s=true)",
			spec.Name, filepath.Join(dir, bootstrapBinary), CtxStubAssets)
	}
	id := constructID(spec.Name)
	timeout := functionTimeout(spec.Kind)

	logGroup := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     d.stage.LogRetention,
		RemovalPolicy: d.stage.RemovalPolicy(),
	})

	env := map[string]*string{
		catalog.EnvStage:     jsii.String(d.stage.Name),
		catalog.EnvTableName: d.table.TableName(),
		catalog.EnvLogLevel:  jsii.String(d.stage.LogLevel),
	}
	if spec.Secrets {
		env[catalog.EnvAppSecretARN] = d.secret.SecretArn()
	}
	if spec.PublishBus {
		env[catalog.EnvEventBusName] = d.bus.EventBusName()
	}

	// An own role instead of AWSLambdaBasicExecutionRole: logs go to this
	// function's log group only.
	role := awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Execution role of " + functionName(d.stage.Name, spec.Name)),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logGroup.LogGroupArn()),
	}))

	props := &awslambda.FunctionProps{
		FunctionName: jsii.String(functionName(d.stage.Name, spec.Name)),
		Description:  jsii.String(spec.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String(bootstrapBinary),
		Role:         role,
		Code:         awslambda.Code_FromAsset(jsii.String(dir), nil),
		MemorySize:   jsii.Number(functionMemory(spec.Kind)),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(timeout)),
		Tracing:      awslambda.Tracing_ACTIVE,
		LogGroup:     logGroup,
		Environment:  &env,
	}
	if spec.ReservedConcurrency > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(float64(spec.ReservedConcurrency))
	}
	fn := awslambda.NewFunction(scope, jsii.String(id), props)

	if err := grantCatalogAccess(fn, spec, d); err != nil {
		return nil, err
	}
	suppressFunctionRole(role, spec)

	alias := awslambda.NewAlias(scope, jsii.String(id+"Live"), &awslambda.AliasProps{
		AliasName: jsii.String(liveAlias),
		Version:   fn.CurrentVersion(),
	})
	return &deployedFunction{spec: spec, id: id, fn: fn, alias: alias, timeout: timeout}, nil
}

// grantCatalogAccess grants exactly what the catalog entry names: the
// table's read or read-write data actions (which bring the CMK's), the
// bus's PutEvents, the secret's read.
func grantCatalogAccess(fn awslambda.Function, spec catalog.Function, d functionDeps) error {
	switch spec.Table {
	case catalog.AccessNone:
	case catalog.AccessRead:
		d.table.GrantReadData(fn)
	case catalog.AccessReadWrite:
		d.table.GrantReadWriteData(fn)
	default:
		return fmt.Errorf("function %s: unknown table access %d", spec.Name, spec.Table)
	}
	if spec.PublishBus {
		d.bus.GrantPutEventsTo(fn, nil)
	}
	if spec.Secrets {
		d.secret.GrantRead(fn, nil)
	}
	return nil
}

// grantInvokes lets a function invoke (asynchronously, or any other way)
// each function its catalog entry names in Invokes: lambda:InvokeFunction
// on exactly the target's live alias, never the function or its other
// versions, and the alias ARN in catalog.InvokeEnv(target). Call it once
// every function of the stack exists.
func grantInvokes(d *deployedFunction, deployed map[string]*deployedFunction) error {
	for _, name := range d.spec.Invokes {
		target, ok := deployed[name]
		if !ok {
			return fmt.Errorf("function %s invokes %q, which the stack does not deploy", d.spec.Name, name)
		}
		d.fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: &[]*string{target.alias.FunctionArn()},
		}))
		d.fn.AddEnvironment(jsii.String(catalog.InvokeEnv(name)), target.alias.FunctionArn(), nil)
	}
	return nil
}
