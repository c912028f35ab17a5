package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/arkmember/arkmember/internal/catalog"
)

var allVariants = []string{variantDev, variantProd, variantSynthetic}

func TestStack_ServesEveryCatalogRouteWithAnAuthorizerOnlyWhereRolesAreRequired(t *testing.T) {
	for _, variant := range []string{variantDev, variantSynthetic} {
		f := synth(t, variant)
		authorizers := f.ofType("AWS::ApiGatewayV2::Authorizer")
		if len(authorizers) != 1 {
			t.Fatalf("%s: %d authorizers, want 1", variant, len(authorizers))
		}
		var authorizerID string
		for id := range authorizers {
			authorizerID = id
		}
		routes := map[string]resource{}
		for _, r := range f.ofType("AWS::ApiGatewayV2::Route") {
			routes[r.Properties["RouteKey"].(string)] = r
		}
		if len(routes) != len(f.props.Routes) {
			t.Errorf("%s: %d routes, catalog has %d", variant, len(routes), len(f.props.Routes))
		}
		for _, r := range f.props.Routes {
			t.Run(variant+"/"+r.Key(), func(t *testing.T) {
				got, ok := routes[r.Key()]
				if !ok {
					t.Fatalf("no route %s", r.Key())
				}
				authType, _ := got.Properties["AuthorizationType"].(string)
				if r.Public() {
					if authType != "NONE" || got.Properties["AuthorizerId"] != nil {
						t.Fatalf("public route has authorization %q / %v", authType, got.Properties["AuthorizerId"])
					}
				} else if authType != "CUSTOM" || ref(got.Properties["AuthorizerId"]) != authorizerID {
					t.Fatalf("protected route has authorization %q / %v, want CUSTOM / %s",
						authType, got.Properties["AuthorizerId"], authorizerID)
				}
				must(t, "route with RouteKey", func() {
					f.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), obj("RouteKey", r.Key()))
				})
			})
		}
	}
}

func TestStack_RoutesIntegrateWithTheLiveAliasOfTheirFunction(t *testing.T) {
	f := synth(t, variantSynthetic)
	integrations := f.ofType("AWS::ApiGatewayV2::Integration")
	for _, r := range f.props.Routes {
		t.Run(r.Key(), func(t *testing.T) {
			var route resource
			for _, x := range f.ofType("AWS::ApiGatewayV2::Route") {
				if x.Properties["RouteKey"] == r.Key() {
					route = x
				}
			}
			target, _ := route.Properties["Target"].(map[string]interface{})
			var integration resource
			for id, x := range integrations {
				if mentions(target, id) {
					integration = x
				}
			}
			if integration.Type == "" {
				t.Fatalf("route target %v is no integration of the stack", target)
			}
			alias := f.aliasID(t, r.Function)
			if !mentions(integration.Properties["IntegrationUri"], alias) {
				t.Fatalf("integration %v does not target alias %s", integration.Properties["IntegrationUri"], alias)
			}
		})
	}
}

// aliasID is the logical id of a function's live alias.
func (f *fixture) aliasID(t *testing.T, name string) string {
	t.Helper()
	fnID, _ := f.function(t, name)
	for id, a := range f.ofType("AWS::Lambda::Alias") {
		if ref(a.Properties["FunctionName"]) == fnID && a.Properties["Name"] == liveAlias {
			return id
		}
	}
	t.Fatalf("function %s has no %s alias", name, liveAlias)
	return ""
}

func TestStack_AuthorizerRunsOnEveryRequestWithSimpleResponses(t *testing.T) {
	f := synth(t, variantDev)
	must(t, "authorizer", func() {
		f.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), obj(
			"AuthorizerType", "REQUEST",
			"EnableSimpleResponses", true,
			"AuthorizerResultTtlInSeconds", 0,
			"IdentitySource", assertions.Match_ArrayEquals(&[]interface{}{}),
		))
	})
	for _, a := range f.ofType("AWS::ApiGatewayV2::Authorizer") {
		if !mentions(a.Properties["AuthorizerUri"], f.aliasID(t, catalog.FnAuthorizer)) {
			t.Fatalf("authorizer does not invoke the live alias: %v", a.Properties["AuthorizerUri"])
		}
	}
}

func TestStack_APIStageThrottlesLogsAndAppliesCORSPerStage(t *testing.T) {
	tests := []struct {
		variant  string
		wantCORS bool
	}{
		{variantDev, true},
		{variantProd, false},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			f := synth(t, tt.variant)
			must(t, "stage", func() {
				f.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), obj(
					"StageName", "$default",
					"AutoDeploy", true,
					"DefaultRouteSettings", obj("ThrottlingRateLimit", DefaultThrottleRate, "ThrottlingBurstLimit", DefaultThrottleBurst),
					"AccessLogSettings", obj(
						"DestinationArn", assertions.Match_AnyValue(),
						"Format", assertions.Match_SerializedJson(assertions.Match_ObjectLike(obj("requestId", "$context.requestId", "status", "$context.status", "routeKey", "$context.routeKey"))),
					),
				))
			})
			for _, api := range f.ofType("AWS::ApiGatewayV2::Api") {
				cors, has := api.Properties["CorsConfiguration"].(map[string]interface{})
				if has != tt.wantCORS {
					t.Fatalf("CORS configured = %v, want %v", has, tt.wantCORS)
				}
				if !has {
					continue
				}
				if got := cors["AllowHeaders"]; !sameStrings(got, "Authorization", "Content-Type") {
					t.Errorf("AllowHeaders = %v", got)
				}
				if got := cors["AllowMethods"]; !sameStrings(got, "GET", "POST", "PUT", "PATCH", "DELETE") {
					t.Errorf("AllowMethods = %v", got)
				}
			}
		})
	}
}

func sameStrings(v interface{}, want ...string) bool {
	items, _ := v.([]interface{})
	var got []string
	for _, i := range items {
		s, _ := i.(string)
		got = append(got, s)
	}
	sort.Strings(got)
	sort.Strings(want)
	return reflect.DeepEqual(got, want)
}

func TestStack_EveryFunctionRunsArm64ProvidedAL2023WithTheSharedDefaults(t *testing.T) {
	for _, variant := range allVariants {
		f := synth(t, variant)
		if got := len(f.ofType("AWS::Lambda::Function")); got != len(f.props.Functions) {
			t.Errorf("%s: %d functions, catalog has %d", variant, got, len(f.props.Functions))
		}
		logGroups := f.ofType("AWS::Logs::LogGroup")
		wantRetention := 30.0
		if f.props.Stage.Prod {
			wantRetention = 365
		}
		for _, spec := range f.props.Functions {
			t.Run(variant+"/"+spec.Name, func(t *testing.T) {
				_, fn := f.function(t, spec.Name)
				p := fn.Properties
				wantTimeout, wantMemory := 10.0, 256.0
				switch spec.Kind {
				case catalog.KindQueue:
					wantTimeout = 60
				case catalog.KindSchedule:
					wantTimeout, wantMemory = 300, 512
				}
				checks := []struct {
					field string
					got   interface{}
					want  interface{}
				}{
					{"Architectures", p["Architectures"], []interface{}{"arm64"}},
					{"Runtime", p["Runtime"], "provided.al2023"},
					{"Handler", p["Handler"], "bootstrap"},
					{"MemorySize", p["MemorySize"], wantMemory},
					{"Timeout", p["Timeout"], wantTimeout},
					{"TracingConfig", p["TracingConfig"], map[string]interface{}{"Mode": "Active"}},
				}
				for _, c := range checks {
					if !reflect.DeepEqual(c.got, c.want) {
						t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
					}
				}
				if spec.ReservedConcurrency > 0 && p["ReservedConcurrentExecutions"] != float64(spec.ReservedConcurrency) {
					t.Errorf("ReservedConcurrentExecutions = %v, want %d", p["ReservedConcurrentExecutions"], spec.ReservedConcurrency)
				}

				env := p["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
				wantEnv := map[string]bool{
					catalog.EnvStage: true, catalog.EnvTableName: true, catalog.EnvLogLevel: true,
					catalog.EnvAppSecretARN: spec.Secrets, catalog.EnvEventBusName: spec.PublishBus,
				}
				for _, target := range spec.Invokes {
					wantEnv[catalog.InvokeEnv(target)] = true
				}
				for name, want := range wantEnv {
					if _, got := env[name]; got != want {
						t.Errorf("env %s set = %v, want %v", name, got, want)
					}
				}
				for name := range env {
					if _, known := wantEnv[name]; !known {
						t.Errorf("unexpected env %s", name)
					}
				}
				if env[catalog.EnvStage] != f.props.Stage.Name {
					t.Errorf("%s = %v", catalog.EnvStage, env[catalog.EnvStage])
				}

				logConfig, _ := p["LoggingConfig"].(map[string]interface{})
				lg, ok := logGroups[ref(logConfig["LogGroup"])]
				if !ok {
					t.Fatalf("LoggingConfig %v names no log group of the stack", logConfig)
				}
				if lg.Properties["RetentionInDays"] != wantRetention {
					t.Errorf("log retention %v, want %v", lg.Properties["RetentionInDays"], wantRetention)
				}
			})
		}
	}
}

// Table actions that change data; a read-only function must have none.
var dynamoWriteActions = []string{
	"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
	"dynamodb:TransactWriteItems", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
}

func TestStack_GrantsEachFunctionOnlyWhatItsCatalogEntryNames(t *testing.T) {
	f := synth(t, variantSynthetic)
	for _, spec := range f.props.Functions {
		t.Run(spec.Name, func(t *testing.T) {
			actions := f.roleActions(t, spec.Name)
			has := func(prefix string) bool {
				for _, a := range actions {
					if strings.HasPrefix(a, prefix) {
						return true
					}
				}
				return false
			}
			for _, a := range actions {
				if strings.HasSuffix(a, ":*") || a == "*" {
					t.Errorf("wildcard action %s", a)
				}
			}
			switch spec.Table {
			case catalog.AccessNone:
				if spec.Kind != catalog.KindStream && has("dynamodb:") {
					t.Errorf("AccessNone function has table actions: %v", actions)
				}
			case catalog.AccessRead:
				for _, w := range dynamoWriteActions {
					if has(w) {
						t.Errorf("AccessRead function may %s", w)
					}
				}
				if !has("dynamodb:Query") || !has("dynamodb:GetItem") {
					t.Errorf("AccessRead function cannot read: %v", actions)
				}
			case catalog.AccessReadWrite:
				if !has("dynamodb:PutItem") || !has("dynamodb:UpdateItem") || !has("dynamodb:Query") {
					t.Errorf("AccessReadWrite function cannot read and write: %v", actions)
				}
			}
			if got := has("events:PutEvents"); got != spec.PublishBus {
				t.Errorf("events:PutEvents granted = %v, PublishBus = %v", got, spec.PublishBus)
			}
			if got := has("secretsmanager:GetSecretValue"); got != spec.Secrets {
				t.Errorf("secret read granted = %v, Secrets = %v", got, spec.Secrets)
			}
			if got := has("lambda:"); got != (len(spec.Invokes) > 0) {
				t.Errorf("lambda actions granted = %v, Invokes = %v: %v", got, spec.Invokes, actions)
			}
			if has("logs:CreateLogGroup") {
				t.Errorf("function may create log groups: %v", actions)
			}
		})
	}
}

func TestStack_InvokersMayInvokeOnlyTheLiveAliasOfTheirTargets(t *testing.T) {
	f := synth(t, variantSynthetic)
	invokers := 0
	for _, spec := range f.props.Functions {
		t.Run(spec.Name, func(t *testing.T) {
			// Every resource of every statement that allows a Lambda action.
			var got []string
			for _, st := range f.roleStatements(t, spec.Name) {
				actions := statementActions(st)
				lambda := false
				for _, a := range actions {
					lambda = lambda || strings.HasPrefix(a, "lambda:")
				}
				if !lambda {
					continue
				}
				if !reflect.DeepEqual(actions, []string{"lambda:InvokeFunction"}) || st["Effect"] != "Allow" || st["Condition"] != nil {
					t.Errorf("statement %v, want only Allow lambda:InvokeFunction", st)
				}
				resources, ok := st["Resource"].([]interface{})
				if !ok {
					resources = []interface{}{st["Resource"]}
				}
				for _, r := range resources {
					id := ref(r)
					if f.resources[id].Type != "AWS::Lambda::Alias" {
						t.Errorf("InvokeFunction on %v, which is not an alias of the stack", r)
					}
					got = append(got, id)
				}
			}
			var want []string
			env := f.env(t, spec.Name)
			for _, target := range spec.Invokes {
				alias := f.aliasID(t, target)
				want = append(want, alias)
				if v := env[catalog.InvokeEnv(target)]; ref(v) != alias {
					t.Errorf("%s = %v, want the ARN (Ref) of %s's live alias %s", catalog.InvokeEnv(target), v, target, alias)
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("may invoke %v, want exactly %v (the live aliases of %v)", got, want, spec.Invokes)
			}
		})
		if len(spec.Invokes) > 0 {
			invokers++
		}
	}
	if invokers < 2 {
		t.Errorf("%d invoking functions; the real ops and the synthetic echo should be covered", invokers)
	}
	// The catalog's own case, spelled out: ops starts job runs.
	ops, _ := catalog.FunctionByName(catalog.FnOps)
	if !reflect.DeepEqual(ops.Invokes, []string{catalog.FnJobs}) {
		t.Errorf("ops invokes %v, this test expects [%s]", ops.Invokes, catalog.FnJobs)
	}
}

func TestStack_NoFunctionRoleUsesAManagedPolicy(t *testing.T) {
	f := synth(t, variantSynthetic)
	for _, spec := range f.props.Functions {
		_, fn := f.function(t, spec.Name)
		role := f.resources[getAttID(fn.Properties["Role"])]
		if role.Properties["ManagedPolicyArns"] != nil {
			t.Errorf("%s role has managed policies %v", spec.Name, role.Properties["ManagedPolicyArns"])
		}
	}
}

func TestStack_TableMatchesTheCatalog(t *testing.T) {
	f := synth(t, variantDev)
	def := f.props.Table
	gsis := []interface{}{}
	for _, g := range def.GSIs {
		gsis = append(gsis, obj(
			"IndexName", g.Name,
			"KeySchema", []interface{}{
				obj("AttributeName", g.PartitionKey, "KeyType", "HASH"),
				obj("AttributeName", g.SortKey, "KeyType", "RANGE"),
			},
			"Projection", obj("ProjectionType", g.Projection),
		))
	}
	must(t, "table", func() {
		f.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), obj(
			"BillingMode", "PAY_PER_REQUEST",
			"KeySchema", []interface{}{
				obj("AttributeName", def.PartitionKey, "KeyType", "HASH"),
				obj("AttributeName", def.SortKey, "KeyType", "RANGE"),
			},
			"GlobalSecondaryIndexes", gsis,
			"PointInTimeRecoverySpecification", obj("PointInTimeRecoveryEnabled", true),
			"TimeToLiveSpecification", obj("AttributeName", def.TTLAttribute, "Enabled", true),
			"StreamSpecification", obj("StreamViewType", "NEW_IMAGE"),
			"SSESpecification", obj("SSEEnabled", true, "SSEType", "KMS", "KMSMasterKeyId", assertions.Match_AnyValue()),
		))
	})
	projections := map[string]string{}
	for _, g := range def.GSIs {
		projections[g.Name] = g.Projection
	}
	if projections[catalog.IndexGSI1] != catalog.ProjectionAll || projections[catalog.IndexGSI2] != catalog.ProjectionKeysOnly {
		t.Errorf("projections %v, want gsi1 ALL and gsi2 KEYS_ONLY", projections)
	}
	for _, table := range f.ofType("AWS::DynamoDB::Table") {
		for _, a := range table.Properties["AttributeDefinitions"].([]interface{}) {
			if a.(map[string]interface{})["AttributeType"] != "S" {
				t.Errorf("non-string key attribute %v", a)
			}
		}
	}
	must(t, "key rotation", func() {
		f.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), obj("EnableKeyRotation", true))
	})
}

func TestStack_ProdRetainsAndProtectsStateDevDoesNot(t *testing.T) {
	tests := []struct {
		variant    string
		protection bool
		policy     string
	}{
		{variantDev, false, "Delete"},
		{variantProd, true, "Retain"},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			f := synth(t, tt.variant)
			for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"} {
				for id, r := range f.ofType(typ) {
					if r.DeletionPolicy != tt.policy {
						t.Errorf("%s DeletionPolicy %q, want %q", id, r.DeletionPolicy, tt.policy)
					}
				}
			}
			for id, r := range f.ofType("AWS::DynamoDB::Table") {
				if r.Properties["DeletionProtectionEnabled"] != tt.protection {
					t.Errorf("%s DeletionProtectionEnabled %v, want %v", id, r.Properties["DeletionProtectionEnabled"], tt.protection)
				}
			}
		})
	}
}

func TestStack_AppSecretIsAGeneratedMasterKeyUnderTheCMK(t *testing.T) {
	f := synth(t, variantDev)
	must(t, "secret", func() {
		f.template.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), obj(
			"KmsKeyId", assertions.Match_AnyValue(),
			"GenerateSecretString", obj(
				"SecretStringTemplate", "{}",
				"GenerateStringKey", "masterKey",
				"PasswordLength", 64,
				"ExcludePunctuation", true,
			),
		))
	})
	for id, s := range f.ofType("AWS::SecretsManager::Secret") {
		key := getAttID(s.Properties["KmsKeyId"])
		if f.resources[key].Type != "AWS::KMS::Key" {
			t.Errorf("%s is not encrypted with the stack's CMK: %v", id, s.Properties["KmsKeyId"])
		}
	}
}

func TestStack_StreamConsumerIsFilteredToOutboxInsertsAndFailsToADLQ(t *testing.T) {
	f := synth(t, variantDev)
	for _, spec := range f.props.Functions {
		if spec.Kind != catalog.KindStream {
			continue
		}
		t.Run(spec.Name, func(t *testing.T) {
			alias := f.aliasID(t, spec.Name)
			var mapping resource
			for _, m := range f.ofType("AWS::Lambda::EventSourceMapping") {
				if mentions(m.Properties["FunctionName"], alias) {
					mapping = m
				}
			}
			if mapping.Type == "" {
				t.Fatalf("no event source mapping targets %s's live alias", spec.Name)
			}
			p := mapping.Properties
			if getAttID(p["EventSourceArn"]) == "" || getAttID(p["EventSourceArn"]) != tableID(f) {
				t.Errorf("EventSourceArn %v is not the table's stream", p["EventSourceArn"])
			}
			filters := p["FilterCriteria"].(map[string]interface{})["Filters"].([]interface{})
			var pattern map[string]interface{}
			if err := json.Unmarshal([]byte(filters[0].(map[string]interface{})["Pattern"].(string)), &pattern); err != nil {
				t.Fatal(err)
			}
			want := map[string]interface{}{
				"eventName": []interface{}{"INSERT"},
				"dynamodb": map[string]interface{}{"NewImage": map[string]interface{}{
					catalog.AttrKind: map[string]interface{}{"S": []interface{}{catalog.KindOutbox}},
				}},
			}
			if len(filters) != 1 || !reflect.DeepEqual(pattern, want) {
				t.Errorf("filter %v, want %v", pattern, want)
			}
			if p["BisectBatchOnFunctionError"] != true || p["MaximumRetryAttempts"] == nil {
				t.Errorf("no bisect/retry: %v", p)
			}
			if !sameStrings(p["FunctionResponseTypes"], "ReportBatchItemFailures") {
				t.Errorf("FunctionResponseTypes %v", p["FunctionResponseTypes"])
			}
			dest := p["DestinationConfig"].(map[string]interface{})["OnFailure"].(map[string]interface{})["Destination"]
			if f.resources[getAttID(dest)].Type != "AWS::SQS::Queue" {
				t.Errorf("on-failure destination %v is not a queue of the stack", dest)
			}
		})
	}
}

func tableID(f *fixture) string {
	for id := range f.ofType("AWS::DynamoDB::Table") {
		return id
	}
	return ""
}

// dlqIDs are the queues other resources send failures to.
func dlqIDs(f *fixture) map[string]bool {
	out := map[string]bool{}
	for _, q := range f.ofType("AWS::SQS::Queue") {
		if rp, ok := q.Properties["RedrivePolicy"].(map[string]interface{}); ok {
			out[getAttID(rp["deadLetterTargetArn"])] = true
		}
	}
	for _, m := range f.ofType("AWS::Lambda::EventSourceMapping") {
		if dc, ok := m.Properties["DestinationConfig"].(map[string]interface{}); ok {
			out[getAttID(dc["OnFailure"].(map[string]interface{})["Destination"])] = true
		}
	}
	return out
}

func TestStack_EveryQueueButADLQRedrivesToOne(t *testing.T) {
	for _, variant := range []string{variantDev, variantSynthetic} {
		f := synth(t, variant)
		dlqs := dlqIDs(f)
		for id, q := range f.ofType("AWS::SQS::Queue") {
			t.Run(variant+"/"+id, func(t *testing.T) {
				if dlqs[id] {
					if q.Properties["RedrivePolicy"] != nil {
						t.Errorf("DLQ redrives further: %v", q.Properties["RedrivePolicy"])
					}
					if q.Properties["MessageRetentionPeriod"] != 14*24*3600.0 {
						t.Errorf("DLQ keeps messages %v s, want 14 days", q.Properties["MessageRetentionPeriod"])
					}
					return
				}
				rp, ok := q.Properties["RedrivePolicy"].(map[string]interface{})
				if !ok {
					t.Fatal("queue has no RedrivePolicy")
				}
				if rp["maxReceiveCount"] != float64(queueMaxReceives) {
					t.Errorf("maxReceiveCount %v, want %d", rp["maxReceiveCount"], queueMaxReceives)
				}
			})
		}
	}
}

func TestStack_QueueFunctionsConsumeTheirEventTypesFromTheBus(t *testing.T) {
	f := synth(t, variantSynthetic)
	busID := ""
	for id := range f.ofType("AWS::Events::EventBus") {
		busID = id
	}
	for _, spec := range f.props.Functions {
		if spec.Kind != catalog.KindQueue {
			continue
		}
		t.Run(spec.Name, func(t *testing.T) {
			alias := f.aliasID(t, spec.Name)
			var mapping resource
			for _, m := range f.ofType("AWS::Lambda::EventSourceMapping") {
				if mentions(m.Properties["FunctionName"], alias) {
					mapping = m
				}
			}
			queueID := getAttID(mapping.Properties["EventSourceArn"])
			if f.resources[queueID].Type != "AWS::SQS::Queue" {
				t.Fatalf("%s's live alias consumes no queue: %v", spec.Name, mapping.Properties)
			}
			if !sameStrings(mapping.Properties["FunctionResponseTypes"], "ReportBatchItemFailures") {
				t.Errorf("FunctionResponseTypes %v", mapping.Properties["FunctionResponseTypes"])
			}
			found := false
			for _, rule := range f.ofType("AWS::Events::Rule") {
				targets, _ := rule.Properties["Targets"].([]interface{})
				if len(targets) != 1 || getAttID(targets[0].(map[string]interface{})["Arn"]) != queueID {
					continue
				}
				found = true
				if ref(rule.Properties["EventBusName"]) != busID {
					t.Errorf("rule is not on the stack's bus: %v", rule.Properties["EventBusName"])
				}
				want := map[string]interface{}{
					"source":      []interface{}{catalog.EventSource},
					"detail-type": toIface(spec.EventTypes),
				}
				if !reflect.DeepEqual(rule.Properties["EventPattern"], want) {
					t.Errorf("EventPattern %v, want %v", rule.Properties["EventPattern"], want)
				}
			}
			if !found {
				t.Errorf("no rule delivers to %s's queue", spec.Name)
			}
		})
	}
}

func toIface(ss []string) []interface{} {
	out := make([]interface{}, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestStack_ScheduleFunctionsRunEachJobOnItsScheduleThroughTheLiveAlias(t *testing.T) {
	f := synth(t, variantSynthetic)
	for _, spec := range f.props.Functions {
		alias := f.aliasID(t, spec.Name)
		// The input of every rule that invokes this function, by schedule.
		got := map[string]interface{}{}
		for id, rule := range f.ofType("AWS::Events::Rule") {
			targets, _ := rule.Properties["Targets"].([]interface{})
			for _, target := range targets {
				tg := target.(map[string]interface{})
				if !mentions(tg["Arn"], alias) {
					continue
				}
				if len(targets) != 1 {
					t.Errorf("%s: rule %s has %d targets", spec.Name, id, len(targets))
				}
				if ref(tg["Arn"]) != alias {
					t.Errorf("%s: rule %s targets %v, not the live alias", spec.Name, id, tg["Arn"])
				}
				var input interface{}
				if err := json.Unmarshal([]byte(fmt.Sprint(tg["Input"])), &input); err != nil {
					t.Errorf("%s: rule %s input %v is not JSON: %v", spec.Name, id, tg["Input"], err)
				}
				got[fmt.Sprint(rule.Properties["ScheduleExpression"])+" "+fmt.Sprint(input)] = input
			}
		}
		if spec.Kind != catalog.KindSchedule {
			if len(got) != 0 {
				t.Errorf("%s is no schedule function but rules invoke it: %v", spec.Name, got)
			}
			continue
		}
		t.Run(spec.Name, func(t *testing.T) {
			want := map[string]interface{}{}
			for _, s := range spec.Schedules {
				input := map[string]interface{}{"job": s.Job}
				want[s.Expression+" "+fmt.Sprint(input)] = input
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rules (expression, input) %v, want one per schedule: %v", got, want)
			}
		})
	}
	// The real jobs function runs every one of its jobs.
	dev := synth(t, variantDev)
	jobs, _ := catalog.FunctionByName(catalog.FnJobs)
	if len(jobs.Schedules) == 0 {
		t.Error("the jobs function has no schedules")
	}
	for _, s := range jobs.Schedules {
		must(t, "rule for "+s.Job, func() {
			dev.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj(
				"ScheduleExpression", s.Expression,
				"State", "ENABLED",
				"Targets", []interface{}{obj(
					"Arn", obj("Ref", dev.aliasID(t, catalog.FnJobs)),
					"Input", `{"job":"`+s.Job+`"}`,
					"RetryPolicy", obj("MaximumRetryAttempts", scheduleRetries),
				)},
			))
		})
	}
}

func TestStack_AlarmsCoverEveryFunctionDLQAndLedgerDrift(t *testing.T) {
	f := synth(t, variantSynthetic)
	byName := map[string]resource{}
	for _, a := range f.ofType("AWS::CloudWatch::Alarm") {
		byName[a.Properties["AlarmName"].(string)] = a
	}
	prefix := "ark-" + f.props.Stage.Name + "-"
	var want []string
	wantDLQs := 0
	for _, spec := range f.props.Functions {
		for _, suffix := range []string{"-errors", "-throttles", "-p99-duration"} {
			want = append(want, prefix+spec.Name+suffix)
		}
		switch spec.Kind {
		case catalog.KindStream:
			want = append(want, prefix+spec.Name+"-stream-dlq-not-empty")
			wantDLQs++
		case catalog.KindQueue:
			want = append(want, prefix+spec.Name+"-dlq-not-empty")
			wantDLQs++
		}
	}
	want = append(want, prefix+"ledger-drift")
	topic := ""
	for id := range f.ofType("AWS::SNS::Topic") {
		topic = id
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			a, ok := byName[name]
			if !ok {
				t.Fatal("alarm missing")
			}
			if !containsRef(a.Properties["AlarmActions"], topic) {
				t.Errorf("alarm does not notify the alarm topic: %v", a.Properties["AlarmActions"])
			}
		})
	}
	if got := len(dlqIDs(f)); got != wantDLQs {
		t.Errorf("%d DLQs, want %d (one per stream or queue function)", got, wantDLQs)
	}
	if LedgerDriftNamespace != "ArkMember" || LedgerDriftMetric != "ledger_drift" {
		t.Errorf("ledger drift metric %s/%s, the jobs function emits ArkMember/ledger_drift", LedgerDriftNamespace, LedgerDriftMetric)
	}
	must(t, "ledger drift alarm", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj(
			"Namespace", LedgerDriftNamespace,
			"MetricName", LedgerDriftMetric,
			"Dimensions", assertions.Match_Absent(),
			"Statistic", "Maximum",
			"Threshold", 0,
			"ComparisonOperator", "GreaterThanThreshold",
			"TreatMissingData", "notBreaching",
		))
	})
	must(t, "DLQ alarm", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj(
			"MetricName", "ApproximateNumberOfMessagesVisible",
			"Threshold", 0,
			"ComparisonOperator", "GreaterThanThreshold",
		))
	})
	must(t, "p99 duration alarm", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj(
			"MetricName", "Duration", "ExtendedStatistic", "p99",
		))
	})
	must(t, "encrypted topic", func() {
		f.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), obj("KmsMasterKeyId", assertions.Match_AnyValue()))
	})
	must(t, "dashboard", func() {
		f.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
	})
}

func TestStack_RequestServingFunctionsDeployAsCanariesThatRollBackOnErrors(t *testing.T) {
	f := synth(t, variantSynthetic)
	groups := f.ofType("AWS::CodeDeploy::DeploymentGroup")
	wantGroups := 0
	for _, spec := range f.props.Functions {
		t.Run(spec.Name, func(t *testing.T) {
			alias := f.resources[f.aliasID(t, spec.Name)]
			update, _ := alias.UpdatePolicy["CodeDeployLambdaAliasUpdate"].(map[string]interface{})
			canary := spec.Kind == catalog.KindHTTP || spec.Kind == catalog.KindAuthorizer
			if canary != (update != nil) {
				t.Fatalf("alias CodeDeploy update policy %v, want one: %v", update, canary)
			}
			if !canary {
				return
			}
			group, ok := groups[ref(update["DeploymentGroupName"])]
			if !ok {
				t.Fatalf("update policy names no deployment group: %v", update)
			}
			p := group.Properties
			if p["DeploymentConfigName"] != "CodeDeployDefault.LambdaCanary10Percent5Minutes" {
				t.Errorf("DeploymentConfigName %v", p["DeploymentConfigName"])
			}
			rollback := p["AutoRollbackConfiguration"].(map[string]interface{})
			if rollback["Enabled"] != true || !sameStrings(rollback["Events"], "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST") {
				t.Errorf("AutoRollbackConfiguration %v", rollback)
			}
			alarms := p["AlarmConfiguration"].(map[string]interface{})["Alarms"].([]interface{})
			errorsAlarm := "ark-" + f.props.Stage.Name + "-" + spec.Name + "-errors"
			found := false
			for _, a := range alarms {
				id := ref(a.(map[string]interface{})["Name"])
				if f.resources[id].Properties["AlarmName"] == errorsAlarm {
					found = true
				}
			}
			if !found {
				t.Errorf("deployment does not roll back on %s: %v", errorsAlarm, alarms)
			}
		})
		if spec.Kind == catalog.KindHTTP || spec.Kind == catalog.KindAuthorizer {
			wantGroups++
		}
	}
	if len(groups) != wantGroups {
		t.Errorf("%d deployment groups, want %d", len(groups), wantGroups)
	}
	for _, spec := range f.props.Functions {
		f.aliasID(t, spec.Name) // every function has a live alias
	}
}

func TestStack_CDKNagAwsSolutionsFindsNothingUnexplained(t *testing.T) {
	for _, variant := range allVariants {
		t.Run(variant, func(t *testing.T) {
			f := synth(t, variant)
			var errs, warnings []string
			must(t, "annotations", func() {
				a := assertions.Annotations_FromStack(f.stack.Stack)
				rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
				for _, m := range *a.FindError(jsii.String("*"), rule) {
					errs = append(errs, describe(m))
				}
				for _, m := range *a.FindWarning(jsii.String("*"), rule) {
					warnings = append(warnings, describe(m))
				}
			})
			if len(errs) > 0 || len(warnings) > 0 {
				t.Fatalf("cdk-nag: %d errors, %d warnings:\n%s", len(errs), len(warnings), strings.Join(append(errs, warnings...), "\n"))
			}
		})
	}
}

// describe renders a synthesis message as "construct path: text" without
// naming its deprecated Go fields.
func describe(m interface{}) string {
	var msg struct {
		ID    string `json:"id"`
		Entry struct {
			Data interface{} `json:"data"`
		} `json:"entry"`
	}
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, &msg)
	}
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%s: %v", msg.ID, msg.Entry.Data)
}
