package main

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/arkmember/arkmember/internal/catalog"
)

// ArkStackProps configures NewArkStack. The catalog lists are props, not
// read inside, so tests can add functions of kinds the catalog has no
// instance of yet.
type ArkStackProps struct {
	awscdk.StackProps
	Stage       Stage
	Functions   []catalog.Function
	Routes      []catalog.Route
	Table       catalog.Table
	EventSource string // the EventBridge source of domain events
	// AssetsDir holds <function name>/bootstrap for every function.
	AssetsDir     string
	ThrottleRate  float64 // HTTP API steady-state requests per second
	ThrottleBurst float64
	CORSOrigins   []string // none: no CORS configuration at all
	AlarmEmail    string   // optional subscriber of the alarm topic
}

// ArkStack is the whole deployment of one stage.
type ArkStack struct {
	awscdk.Stack
	// Functions are the stack's Lambda functions by catalog name.
	Functions map[string]awslambda.Function
}

// NewArkStack builds the stack for one stage from the catalog lists in props.
func NewArkStack(scope constructs.Construct, id string, props ArkStackProps) (*ArkStack, error) {
	if err := validateCatalog(props); err != nil {
		return nil, err
	}
	stage := props.Stage
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	awscdk.Tags_Of(stack).Add(jsii.String("project"), jsii.String("arkmember"), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("stage"), jsii.String(stage.Name), nil)

	cloudWatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)

	// One customer-managed key for the data at rest that matters: the
	// table, the application secret and alarm notifications.
	key := awskms.NewKey(stack, jsii.String("DataKey"), &awskms.KeyProps{
		Description:       jsii.String("ARK Member Center " + stage.Name + ": table, app secret and alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     stage.RemovalPolicy(),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	})
	// CloudWatch must be able to use the key to publish alarms to the
	// encrypted topic (the statement AWS documents for that case).
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToUseTheKey"),
		Principals: &[]awsiam.IPrincipal{cloudWatch},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
	}), jsii.Bool(false))

	table := newTable(stack, props.Table, key, stage)

	secret := awssecretsmanager.NewSecret(stack, jsii.String("AppSecret"), &awssecretsmanager.SecretProps{
		Description:   jsii.String("ARK Member Center " + stage.Name + " application secret: the master key for token signing and PII encryption"),
		EncryptionKey: key,
		RemovalPolicy: stage.RemovalPolicy(),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String("{}"),
			GenerateStringKey:    jsii.String("masterKey"),
			PasswordLength:       jsii.Number(64),
			ExcludePunctuation:   jsii.Bool(true),
			IncludeSpace:         jsii.Bool(false),
		},
	})
	suppress(secret.Node().DefaultChild(), "AwsSolutions-SMG4", reasonNoSecretRotation)

	bus := awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String("ark-" + stage.Name + "-events"),
	})

	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("ARK Member Center " + stage.Name + " alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	// The topic's TLS-only policy replaces SNS's default one, so alarms of
	// this account need their own allow.
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{cloudWatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
			"ArnLike": map[string]interface{}{
				"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
					Service:      jsii.String("cloudwatch"),
					Resource:     jsii.String("alarm"),
					ResourceName: jsii.String("*"),
					ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
				}),
			},
		},
	}))
	if props.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.AlarmEmail), nil))
	}
	mon := newMonitoring(stack, stage, topic)

	deploy := awscodedeploy.NewLambdaApplication(stack, jsii.String("Deployments"), &awscodedeploy.LambdaApplicationProps{
		ApplicationName: jsii.String("ark-" + stage.Name),
	})

	deps := functionDeps{stage: stage, assetsDir: props.AssetsDir, table: table, secret: secret, bus: bus}
	out := &ArkStack{Stack: stack, Functions: map[string]awslambda.Function{}}
	deployed := map[string]*deployedFunction{}
	var authorizer *deployedFunction
	for _, spec := range props.Functions {
		d, err := newFunction(stack, spec, deps)
		if err != nil {
			return nil, err
		}
		deployed[spec.Name] = d
		out.Functions[spec.Name] = d.fn
		errorsAlarm := mon.addFunction(d)

		switch spec.Kind {
		case catalog.KindHTTP, catalog.KindAuthorizer:
			// Request-serving functions shift traffic gradually and roll
			// back on their own error alarm.
			group := awscodedeploy.NewLambdaDeploymentGroup(stack, jsii.String(d.id+"Deployment"), &awscodedeploy.LambdaDeploymentGroupProps{
				Application:         deploy,
				DeploymentGroupName: jsii.String(spec.Name),
				Alias:               d.alias,
				DeploymentConfig:    awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES(),
				Alarms:              &[]interfacesawscloudwatch.IAlarmRef{errorsAlarm},
				AutoRollback: &awscodedeploy.AutoRollbackConfig{
					FailedDeployment:  jsii.Bool(true),
					StoppedDeployment: jsii.Bool(true),
					DeploymentInAlarm: jsii.Bool(true),
				},
			})
			suppress(group, "AwsSolutions-IAM4", reasonCodeDeployRole,
				"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited")
			if spec.Kind == catalog.KindAuthorizer {
				authorizer = d
			}
		case catalog.KindStream:
			mon.addDLQ(d.id+"StreamDlq", spec.Name+"-stream-dlq", addStreamTrigger(stack, d, table, props.Table))
		case catalog.KindQueue:
			mon.addDLQ(d.id+"Dlq", spec.Name+"-dlq", addQueueTrigger(stack, d, bus, props.EventSource))
		case catalog.KindSchedule:
			addScheduleTrigger(stack, d)
		default:
			return nil, fmt.Errorf("function %s: no infrastructure for kind %q", spec.Name, spec.Kind)
		}
	}
	// Invoke targets may come later in the catalog, so they are wired once
	// every function exists.
	for _, spec := range props.Functions {
		if err := grantInvokes(deployed[spec.Name], deployed); err != nil {
			return nil, err
		}
	}

	api := newHTTPAPI(stack, apiSettings{
		stage:         stage,
		routes:        props.Routes,
		functions:     deployed,
		authorizer:    authorizer,
		throttleRate:  props.ThrottleRate,
		throttleBurst: props.ThrottleBurst,
		corsOrigins:   props.CORSOrigins,
	})
	mon.addAPI(api)
	mon.addLedgerDrift()

	output(stack, "ApiUrl", api.ApiEndpoint(), "HTTP API base URL")
	output(stack, "TableName", table.TableName(), "main DynamoDB table")
	output(stack, "TableArn", table.TableArn(), "main DynamoDB table ARN (PITR restores)")
	output(stack, "EventBusName", bus.EventBusName(), "domain event bus")
	output(stack, "AppSecretArn", secret.SecretArn(), "application secret (master key)")
	output(stack, "AlarmTopicArn", topic.TopicArn(), "alarm notifications")
	output(stack, "DeploymentApplication", deploy.ApplicationName(), "CodeDeploy application of the canary releases")
	for _, q := range mon.dlqs {
		output(stack, q.id+"Url", q.queue.QueueUrl(), "dead-letter queue")
		output(stack, q.id+"Arn", q.queue.QueueArn(), "dead-letter queue ARN (redrive source)")
	}

	return out, nil
}

// newTable creates a table exactly as its catalog definition says.
func newTable(scope constructs.Construct, def catalog.Table, key awskms.IKey, stage Stage) awsdynamodb.Table {
	props := &awsdynamodb.TableProps{
		PartitionKey: stringAttr(def.PartitionKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:      key,
		DeletionProtection: jsii.Bool(stage.Prod),
		RemovalPolicy:      stage.RemovalPolicy(),
	}
	if def.SortKey != "" {
		props.SortKey = stringAttr(def.SortKey)
	}
	if def.TTLAttribute != "" {
		props.TimeToLiveAttribute = jsii.String(def.TTLAttribute)
	}
	if def.StreamKind != "" {
		props.Stream = awsdynamodb.StreamViewType_NEW_IMAGE
	}
	table := awsdynamodb.NewTable(scope, jsii.String(constructID(def.LogicalName)+"Table"), props)
	for _, gsi := range def.GSIs {
		idx := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(gsi.Name),
			PartitionKey:   stringAttr(gsi.PartitionKey),
			ProjectionType: projectionTypes[gsi.Projection],
		}
		if gsi.SortKey != "" {
			idx.SortKey = stringAttr(gsi.SortKey)
		}
		table.AddGlobalSecondaryIndex(idx)
	}
	return table
}

// projectionTypes maps the catalog's index projections to CDK's; validateCatalog
// rejects any other.
var projectionTypes = map[string]awsdynamodb.ProjectionType{
	catalog.ProjectionAll:      awsdynamodb.ProjectionType_ALL,
	catalog.ProjectionKeysOnly: awsdynamodb.ProjectionType_KEYS_ONLY,
}

func stringAttr(name string) *awsdynamodb.Attribute {
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}

func output(stack awscdk.Stack, id string, value *string, description string) {
	awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{
		Value:       value,
		Description: jsii.String(description),
	})
}

// constructID turns a catalog name such as "points-expiry" into a construct
// id such as "PointsExpiry", stable across synths.
func constructID(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// validateCatalog rejects catalog lists the stack cannot deploy faithfully,
// so a bad catalog change fails synth instead of deploying something else.
func validateCatalog(p ArkStackProps) error {
	var errs []error
	if p.AssetsDir == "" {
		errs = append(errs, errors.New("AssetsDir is required"))
	}
	if p.EventSource == "" {
		errs = append(errs, errors.New("EventSource is required"))
	}
	if p.Table.LogicalName == "" || p.Table.PartitionKey == "" {
		errs = append(errs, errors.New("table needs a logical name and a partition key"))
	}
	for _, gsi := range p.Table.GSIs {
		if _, ok := projectionTypes[gsi.Projection]; !ok {
			errs = append(errs, fmt.Errorf("index %s: projection %q is neither %s nor %s",
				gsi.Name, gsi.Projection, catalog.ProjectionAll, catalog.ProjectionKeysOnly))
		}
	}
	byName := map[string]catalog.Function{}
	ids := map[string]string{}
	authorizers := 0
	for _, fn := range p.Functions {
		if fn.Name == "" {
			errs = append(errs, errors.New("function without a name"))
			continue
		}
		if _, dup := byName[fn.Name]; dup {
			errs = append(errs, fmt.Errorf("function %s listed twice", fn.Name))
		}
		byName[fn.Name] = fn
		if other, clash := ids[constructID(fn.Name)]; clash {
			errs = append(errs, fmt.Errorf("functions %s and %s map to the same construct id", other, fn.Name))
		}
		ids[constructID(fn.Name)] = fn.Name
		switch fn.Kind {
		case catalog.KindAuthorizer:
			authorizers++
		case catalog.KindStream:
			if p.Table.StreamKind == "" {
				errs = append(errs, fmt.Errorf("stream function %s, but table %s has no stream", fn.Name, p.Table.LogicalName))
			}
		case catalog.KindQueue:
			if len(fn.EventTypes) == 0 {
				errs = append(errs, fmt.Errorf("queue function %s has no EventTypes", fn.Name))
			}
		case catalog.KindSchedule:
			errs = append(errs, validateSchedules(fn)...)
		case catalog.KindHTTP:
		default:
			errs = append(errs, fmt.Errorf("function %s: no infrastructure for kind %q", fn.Name, fn.Kind))
		}
	}
	for _, fn := range p.Functions {
		if fn.Kind != catalog.KindSchedule && len(fn.Schedules) > 0 {
			errs = append(errs, fmt.Errorf("function %s has Schedules but is a %s function", fn.Name, fn.Kind))
		}
		invoked := map[string]bool{}
		for _, target := range fn.Invokes {
			switch _, ok := byName[target]; {
			case !ok:
				errs = append(errs, fmt.Errorf("function %s invokes unknown function %q", fn.Name, target))
			case target == fn.Name:
				// Its environment would name its own alias: a circular reference.
				errs = append(errs, fmt.Errorf("function %s invokes itself", fn.Name))
			case invoked[target]:
				errs = append(errs, fmt.Errorf("function %s invokes %s twice", fn.Name, target))
			}
			invoked[target] = true
		}
	}
	if authorizers > 1 {
		errs = append(errs, fmt.Errorf("%d authorizer functions; the API has one", authorizers))
	}
	seen := map[string]bool{}
	for _, r := range p.Routes {
		if seen[r.Key()] {
			errs = append(errs, fmt.Errorf("route %s listed twice", r.Key()))
		}
		seen[r.Key()] = true
		fn, ok := byName[r.Function]
		if !ok || fn.Kind != catalog.KindHTTP {
			errs = append(errs, fmt.Errorf("route %s: %q is not an HTTP function", r.Key(), r.Function))
		}
		if !r.Public() && authorizers == 0 {
			errs = append(errs, fmt.Errorf("route %s needs a token but there is no authorizer function", r.Key()))
		}
	}
	return errors.Join(errs...)
}

// validateSchedules checks a schedule function's jobs: at least one, each
// with a job name (unique, also as a construct id) and an expression.
func validateSchedules(fn catalog.Function) []error {
	if len(fn.Schedules) == 0 {
		return []error{fmt.Errorf("schedule function %s has no Schedules", fn.Name)}
	}
	var errs []error
	jobs := map[string]string{}
	for i, s := range fn.Schedules {
		if s.Job == "" {
			errs = append(errs, fmt.Errorf("schedule function %s: schedule %d has no Job", fn.Name, i))
			continue
		}
		if strings.TrimSpace(s.Expression) == "" {
			errs = append(errs, fmt.Errorf("schedule function %s: job %s has no Expression", fn.Name, s.Job))
		}
		switch other, clash := jobs[constructID(s.Job)]; {
		case clash && other == s.Job:
			errs = append(errs, fmt.Errorf("schedule function %s: job %s listed twice", fn.Name, s.Job))
		case clash:
			errs = append(errs, fmt.Errorf("schedule function %s: jobs %s and %s map to the same construct id", fn.Name, other, s.Job))
		}
		jobs[constructID(s.Job)] = s.Job
	}
	return errs
}
