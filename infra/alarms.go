package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The custom metric of the jobs function's reconcile job: the largest
// difference it found between a balance and its ledger. The job writes it
// as a CloudWatch Embedded Metric Format log line (so its role needs no
// cloudwatch:PutMetricData), in this namespace and with no dimensions; the
// alarm must name it exactly so, or it watches a metric nobody emits.
const (
	LedgerDriftNamespace = "ArkMember"
	LedgerDriftMetric    = "ledger_drift"
)

// durationAlarmShare is the share of a function's timeout its p99 duration
// may reach before the alarm fires.
const durationAlarmShare = 0.8

// monitoring owns the alarms, the alarm action and the dashboard.
type monitoring struct {
	scope     constructs.Construct
	stage     Stage
	action    awscloudwatch.IAlarmAction
	dashboard awscloudwatch.Dashboard
	dlqs      []namedQueue
}

type namedQueue struct {
	id    string
	queue awssqs.Queue
}

func newMonitoring(scope constructs.Construct, stage Stage, topic awssns.ITopic) *monitoring {
	return &monitoring{
		scope:  scope,
		stage:  stage,
		action: awscloudwatchactions.NewSnsAction(topic),
		dashboard: awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
			DashboardName: jsii.String("ark-" + stage.Name),
		}),
	}
}

// alarm creates an alarm that notifies the alarm topic; missing data is
// normal (no traffic, no job run) and never alarms.
func (m *monitoring) alarm(id, name, description string, metric awscloudwatch.IMetric, threshold float64,
	op awscloudwatch.ComparisonOperator, periods float64) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(m.scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String("ark-" + m.stage.Name + "-" + name),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: op,
		EvaluationPeriods:  jsii.Number(periods),
		DatapointsToAlarm:  jsii.Number(periods),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(m.action)
	return a
}

// addFunction alarms on a function's errors, throttles and p99 duration,
// charts them, and returns the errors alarm, which also rolls back its
// canary deployments.
func (m *monitoring) addFunction(d *deployedFunction) awscloudwatch.Alarm {
	name := d.spec.Name
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	five := awscdk.Duration_Minutes(jsii.Number(5))
	errorsMetric := d.fn.MetricErrors(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")})
	throttles := d.fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
	invocations := d.fn.MetricInvocations(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
	p99 := d.fn.MetricDuration(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")})

	errorsAlarm := m.alarm(d.id+"ErrorsAlarm", name+"-errors",
		name+" failed invocations (crash, timeout, unhandled error); also rolls back a canary deployment",
		errorsMetric, 1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1)
	m.alarm(d.id+"ThrottlesAlarm", name+"-throttles",
		name+" invocations were throttled (account or reserved concurrency exhausted)",
		throttles, 1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1)
	m.alarm(d.id+"DurationAlarm", name+"-p99-duration",
		name+" p99 duration above 80% of its timeout for 15 minutes",
		p99, d.timeout*1000*durationAlarmShare, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 3)

	m.dashboard.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(name + ": invocations, errors, throttles"),
			Left:  &[]awscloudwatch.IMetric{invocations, errorsMetric, throttles},
			Width: jsii.Number(12),
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(name + ": p99 duration (ms)"),
			Left:  &[]awscloudwatch.IMetric{p99},
			Width: jsii.Number(12),
		}),
	)
	return errorsAlarm
}

// addDLQ alarms as soon as a dead-letter queue holds any message: each one
// is work that failed every retry and waits for a replay (docs/runbook.md).
func (m *monitoring) addDLQ(id, name string, q awssqs.Queue) {
	m.dlqs = append(m.dlqs, namedQueue{id: id, queue: q})
	visible := q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
		Statistic: jsii.String("Maximum"),
	})
	m.alarm(id+"Alarm", name+"-not-empty",
		"dead-letter queue "+name+" holds messages that failed every retry",
		visible, 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 1)
	m.dashboard.AddWidgets(awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(name + ": messages visible"),
		Left:  &[]awscloudwatch.IMetric{visible},
		Width: jsii.Number(12),
	}))
}

// addAPI charts the API's errors and latency.
func (m *monitoring) addAPI(api awsapigatewayv2.HttpApi) {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	m.dashboard.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("API: 5xx and 4xx"),
			Left: &[]awscloudwatch.IMetric{
				api.MetricServerError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
				api.MetricClientError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
			},
			Width: jsii.Number(12),
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("API: latency (ms)"),
			Left: &[]awscloudwatch.IMetric{
				api.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p50")}),
				api.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")}),
				api.MetricIntegrationLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")}),
			},
			Width: jsii.Number(12),
		}),
	)
}

// addLedgerDrift alarms when reconciliation finds any balance that differs
// from its ledger: money-like data is wrong and needs a human. The metric
// has no dimensions; no run (missing data) is not drift.
func (m *monitoring) addLedgerDrift() {
	drift := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String(LedgerDriftNamespace),
		MetricName: jsii.String(LedgerDriftMetric),
		Statistic:  jsii.String("Maximum"),
		Period:     awscdk.Duration_Hours(jsii.Number(1)),
	})
	m.alarm("LedgerDriftAlarm", "ledger-drift",
		"reconciliation found a balance that differs from its ledger",
		drift, 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 1)
	m.dashboard.AddWidgets(awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("ledger drift (reconciliation)"),
		Left:  &[]awscloudwatch.IMetric{drift},
		Width: jsii.Number(12),
	}))
}
