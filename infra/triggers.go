package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/arkmember/arkmember/internal/catalog"
)

// Trigger settings.
const (
	streamBatchSize     = 100
	streamRetryAttempts = 10 // then the batch's records go to the DLQ
	queueBatchSize      = 10
	queueMaxReceives    = 5 // receives before a message moves to the DLQ
	scheduleRetries     = 2 // async invoke retries of a scheduled job
	dlqRetentionDays    = 14
)

// newQueue is every queue's baseline: SQS-managed encryption (EventBridge
// can deliver to it without a key policy) and TLS-only access.
func newQueue(scope constructs.Construct, id string, props *awssqs.QueueProps) awssqs.Queue {
	if props == nil {
		props = &awssqs.QueueProps{}
	}
	props.Encryption = awssqs.QueueEncryption_SQS_MANAGED
	props.EnforceSSL = jsii.Bool(true)
	return awssqs.NewQueue(scope, jsii.String(id), props)
}

// newDLQ is a dead-letter queue, kept as long as SQS allows for replay.
func newDLQ(scope constructs.Construct, id string) awssqs.Queue {
	return newQueue(scope, id, &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(dlqRetentionDays)),
	})
}

// addStreamTrigger feeds the table's stream to a stream function, filtered
// to inserts of the table's stream kind (the outbox), so only new domain
// events wake it. Failing records are bisected and retried, then sent to
// the returned DLQ; the function reports partial batch failures.
func addStreamTrigger(scope constructs.Construct, d *deployedFunction, table awsdynamodb.Table, def catalog.Table) awssqs.Queue {
	dlq := newDLQ(scope, d.id+"StreamDlq")
	suppress(dlq.Node().DefaultChild(), "AwsSolutions-SQS3", reasonIsDLQ)
	d.alias.AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(streamBatchSize),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(streamRetryAttempts),
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewSqsDlq(dlq),
		Filters:                 &[]*map[string]interface{}{streamFilter(def.StreamKind)},
	}))
	return dlq
}

// streamFilter matches INSERT records whose new image has kind.S == kind.
func streamFilter(kind string) *map[string]interface{} {
	return awslambda.FilterCriteria_Filter(&map[string]interface{}{
		"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
		"dynamodb": map[string]interface{}{
			"NewImage": map[string]interface{}{
				catalog.AttrKind: map[string]interface{}{
					"S": awslambda.FilterRule_IsEqual(jsii.String(kind)),
				},
			},
		},
	})
}

// addQueueTrigger routes the function's event types from the bus to its own
// queue (with a DLQ after queueMaxReceives receives) and consumes the queue
// with partial batch failure reporting. It returns the DLQ.
func addQueueTrigger(scope constructs.Construct, d *deployedFunction, bus awsevents.IEventBus, source string) awssqs.Queue {
	dlq := newDLQ(scope, d.id+"Dlq")
	queue := newQueue(scope, d.id+"Queue", &awssqs.QueueProps{
		// AWS advises six times the function timeout so retries by the
		// event source mapping do not make messages visible too early.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * d.timeout)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(queueMaxReceives),
		},
	})
	awsevents.NewRule(scope, jsii.String(d.id+"Rule"), &awsevents.RuleProps{
		Description: jsii.String("Routes " + d.spec.Name + "'s domain events to its queue"),
		EventBus:    bus,
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(source),
			DetailType: jsii.Strings(d.spec.EventTypes...),
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSqsQueue(queue, nil)},
	})
	d.alias.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(queueBatchSize),
		ReportBatchItemFailures: jsii.Bool(true),
	}))
	return dlq
}

// addScheduleTrigger runs each of the function's jobs on its schedule (on
// the default bus, the only one schedules run on): one rule per schedule,
// invoking the live alias with the fixed input {"job": "<Job>"}. Overlapping
// runs are harmless by design; the function's reserved concurrency bounds
// them.
func addScheduleTrigger(scope constructs.Construct, d *deployedFunction) {
	for _, s := range d.spec.Schedules {
		awsevents.NewRule(scope, jsii.String(d.id+"Schedule"+constructID(s.Job)), &awsevents.RuleProps{
			Description: jsii.String("Runs " + d.spec.Name + "'s " + s.Job + " job on " + s.Expression),
			Schedule:    awsevents.Schedule_Expression(jsii.String(s.Expression)),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(d.alias, &awseventstargets.LambdaFunctionProps{
				Event:         awsevents.RuleTargetInput_FromObject(scheduleInput(s)),
				RetryAttempts: jsii.Number(scheduleRetries),
			})},
		})
	}
}

// scheduleInput is the event a scheduled run of a job receives.
func scheduleInput(s catalog.Schedule) map[string]interface{} {
	return map[string]interface{}{"job": s.Job}
}
