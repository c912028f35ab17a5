package catalog

import "strings"

// FunctionKind says how a function is triggered.
type FunctionKind string

// Function kinds.
const (
	KindHTTP       FunctionKind = "http"       // API Gateway HTTP API integration
	KindAuthorizer FunctionKind = "authorizer" // API Gateway Lambda authorizer
	KindStream     FunctionKind = "stream"     // DynamoDB stream consumer
	KindQueue      FunctionKind = "queue"      // SQS consumer
	KindSchedule   FunctionKind = "schedule"   // EventBridge schedule target
)

// Access is how much of a resource a function may use.
type Access int

// Access levels, least first.
const (
	AccessNone Access = iota
	AccessRead
	AccessReadWrite
)

// Function describes one Lambda function and exactly what it needs, so the
// CDK stack can grant it no more.
type Function struct {
	Name        string
	Kind        FunctionKind
	Description string
	Table       Access // the main table
	Secrets     bool   // reads the application secret (signing and PII keys)
	PublishBus  bool   // puts events on the event bus
	// Schedules run the jobs of a KindSchedule function: each is an
	// EventBridge rule whose target input is {"job": "<Job>"}.
	Schedules []Schedule
	// Invokes names the functions this one invokes asynchronously (the ops
	// function starts job runs); each gets its ARN in InvokeEnv(name).
	// EventTypes are the outbox event types routed to a KindQueue function's
	// queue by an EventBridge rule.
	EventTypes []string
	// ReservedConcurrency caps concurrent executions (jobs); 0 means unreserved.
	ReservedConcurrency int
	Invokes             []string
}

// Schedule is one scheduled job of a KindSchedule function.
type Schedule struct {
	Job        string
	Expression string // e.g. "cron(0 16 * * ? *)", UTC
}

// InvokeEnv is the environment variable holding the ARN (of the live alias)
// of a function another function invokes.
func InvokeEnv(function string) string {
	return "INVOKE_" + strings.ToUpper(strings.ReplaceAll(function, "-", "_")) + "_ARN"
}

var functions = []Function{
	{Name: FnAuthorizer, Kind: KindAuthorizer, Description: "Verifies access tokens and route roles for the HTTP API", Secrets: true},
	{Name: FnAccounts, Kind: KindHTTP, Description: "Registration, login, tokens, profiles and member administration", Table: AccessReadWrite, Secrets: true},
	{Name: FnOps, Kind: KindHTTP, Description: "Health, the audit log and on-demand job runs", Table: AccessReadWrite, Invokes: []string{FnJobs}},
	{Name: FnPoints, Kind: KindHTTP, Description: "Points: earn, spend, reverse, adjust, balances and ledgers", Table: AccessReadWrite},
	{Name: FnLevels, Kind: KindHTTP, Description: "Level ladder, member levels and history, growth value", Table: AccessReadWrite},
	{Name: FnOrders, Kind: KindHTTP, Description: "Order events: points and growth by the earning rules", Table: AccessReadWrite},
	{Name: FnPrivileges, Kind: KindHTTP, Description: "Privilege definitions, packages, grants, consumption and usage", Table: AccessReadWrite},
	{Name: FnPrivilegesWorker, Kind: KindQueue, Description: "Grants level packages on registration and level changes; expires grants in batches", Table: AccessReadWrite,
		EventTypes: []string{"MEMBER_REGISTERED", "LEVEL_CHANGED", "PRIVILEGE_EXPIRY_BATCH"}},
	{Name: FnJobs, Kind: KindSchedule, Description: "Scheduled and on-demand jobs (expiry, reconciliation, ...)", Table: AccessReadWrite,
		ReservedConcurrency: 2, Schedules: []Schedule{
			{Job: JobPointsExpiry, Expression: "cron(5 16 * * ? *)"}, // 00:05 Asia/Shanghai
			{Job: JobReconcile, Expression: "cron(30 19 * * ? *)"},   // 03:30 Asia/Shanghai
			{Job: JobLevelReview, Expression: "cron(20 16 * * ? *)"}, // 00:20 Asia/Shanghai
			{Job: JobPrivExpiry, Expression: "cron(10 16 * * ? *)"},  // 00:10 Asia/Shanghai
			{Job: JobPrivRenewal, Expression: "cron(1 16 * * ? *)"},  // 00:01 Asia/Shanghai
		}},
	{Name: FnRelay, Kind: KindStream, Description: "Publishes outbox items from the table stream to the event bus", Table: AccessReadWrite, PublishBus: true},
}

// Functions returns every function of the system.
func Functions() []Function {
	out := make([]Function, len(functions))
	copy(out, functions)
	return out
}

// FunctionByName finds a function by name.
func FunctionByName(name string) (Function, bool) {
	for _, f := range functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}
