package catalog

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
	// Schedule is the EventBridge schedule expression of a KindSchedule
	// function, e.g. "cron(0 18 * * ? *)".
	Schedule string
	// EventTypes are the outbox event types routed to a KindQueue function's
	// queue by an EventBridge rule.
	EventTypes []string
	// ReservedConcurrency caps concurrent executions (jobs); 0 means unreserved.
	ReservedConcurrency int
}

var functions = []Function{
	{Name: FnAuthorizer, Kind: KindAuthorizer, Description: "Verifies access tokens and route roles for the HTTP API", Secrets: true},
	{Name: FnAccounts, Kind: KindHTTP, Description: "Registration, login, tokens, profiles and member administration", Table: AccessReadWrite, Secrets: true},
	{Name: FnOps, Kind: KindHTTP, Description: "Health and the audit log", Table: AccessRead},
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
