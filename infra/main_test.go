package main

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/arkmember/arkmember/internal/catalog"
)

// testAssetsDir holds a stub <name>/bootstrap for every function any test
// stack deploys, standing in for `make build`.
var testAssetsDir string

// All infra tests share one jsii node process (~500 MB): keep them in this
// package, never parallel, and close the runtime once at the end.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ark-infra-test-assets-")
	if err == nil {
		err = WriteStubAssets(dir, append(catalog.Functions(), syntheticFunctions...))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stub assets:", err)
		os.Exit(1)
	}
	testAssetsDir = dir
	code := m.Run()
	jsii.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// Functions and a route of kinds and access levels the catalog has no
// instance of yet, to prove the stack is generic over the catalog.
var syntheticFunctions = []catalog.Function{
	{Name: "points-earned", Kind: catalog.KindQueue, Description: "synthetic queue consumer",
		Table: catalog.AccessReadWrite, EventTypes: []string{"PointsEarned", "MemberRegistered"}},
	{Name: "expire-points", Kind: catalog.KindSchedule, Description: "synthetic job",
		Table: catalog.AccessReadWrite, PublishBus: true, ReservedConcurrency: 1,
		Schedules: []catalog.Schedule{{Job: "expire", Expression: "cron(0 18 * * ? *)"}}},
	{Name: "churn-report", Kind: catalog.KindSchedule, Description: "synthetic read-only job",
		Table: catalog.AccessRead, ReservedConcurrency: 2, Schedules: []catalog.Schedule{
			{Job: "daily-churn", Expression: "rate(1 day)"},
			{Job: "weekly_churn", Expression: "cron(0 1 ? * MON *)"},
		}},
	{Name: "echo", Kind: catalog.KindHTTP, Description: "synthetic HTTP function without table access",
		Invokes: []string{"churn-report"}},
}

var syntheticRoutes = []catalog.Route{
	{Method: "GET", Path: "/v1/echo/{word}", Function: "echo", Roles: []catalog.Role{catalog.RoleMember}, OperationID: "echo"},
	{Method: "DELETE", Path: "/v1/echo", Function: "echo", OperationID: "echoPublic"},
}

// Test stacks: the real catalog per stage, and the real catalog plus the
// synthetic entries.
const (
	variantDev       = "dev"
	variantProd      = "prod"
	variantSynthetic = "synthetic"
)

// fixture is one synthesized stack.
type fixture struct {
	stack     *ArkStack
	props     ArkStackProps
	template  assertions.Template
	resources map[string]resource // by logical id
}

// resource is a template resource decoded for plain Go inspection.
type resource struct {
	Type           string                 `json:"Type"`
	Properties     map[string]interface{} `json:"Properties"`
	DeletionPolicy string                 `json:"DeletionPolicy"`
	UpdatePolicy   map[string]interface{} `json:"UpdatePolicy"`
}

var fixtures = map[string]*fixture{}

// must turns a failed CDK assertion (a panic from jsii) into a test failure.
func must(t *testing.T, what string, f func()) {
	t.Helper()
	if err := catch(f); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

// testApp is an app with cdk.json's context plus overrides. Error
// annotations stay out of the validation report so that a cdk-nag finding
// fails its own test with its message instead of failing every synth.
func testApp(t *testing.T, overrides map[string]interface{}) awscdk.App {
	t.Helper()
	ctx, err := LoadCDKContext(cdkJSONPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx["@aws-cdk/core:annotationsInValidationReport"] = false
	for k, v := range overrides {
		ctx[k] = v
	}
	var app awscdk.App
	must(t, "new app", func() { app = awscdk.NewApp(&awscdk.AppProps{Context: &ctx}) })
	return app
}

// synth builds (once per test binary) and returns a variant's stack.
func synth(t *testing.T, variant string) *fixture {
	t.Helper()
	if f, ok := fixtures[variant]; ok {
		return f
	}
	stage := variant
	if variant == variantSynthetic {
		stage = variantDev
	}
	app := testApp(t, map[string]interface{}{CtxStage: stage, CtxAssetsDir: testAssetsDir})
	props, cleanup, err := PropsFromContext(app, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if variant == variantSynthetic {
		props.Functions = append(props.Functions, syntheticFunctions...)
		props.Routes = append(props.Routes, syntheticRoutes...)
	}
	f := &fixture{props: props}
	must(t, "synthesize "+variant, func() {
		stack, err := NewArkStack(app, StackName(variant), props)
		if err != nil {
			panic(err)
		}
		AddNagChecks(app)
		f.stack = stack
		f.template = assertions.Template_FromStack(stack.Stack, nil)
	})
	raw, err := json.Marshal(f.template.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]resource `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	f.resources = doc.Resources
	fixtures[variant] = f
	return f
}

// ofType returns the logical ids and resources of one type.
func (f *fixture) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range f.resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// function returns the logical id and resource of a catalog function.
func (f *fixture) function(t *testing.T, name string) (string, resource) {
	t.Helper()
	want := functionName(f.props.Stage.Name, name)
	for id, r := range f.ofType("AWS::Lambda::Function") {
		if r.Properties["FunctionName"] == want {
			return id, r
		}
	}
	t.Fatalf("no function named %s", want)
	return "", resource{}
}

// roleStatements lists every statement of the policies attached to a
// function's role.
func (f *fixture) roleStatements(t *testing.T, name string) []map[string]interface{} {
	t.Helper()
	_, fn := f.function(t, name)
	roleID := getAttID(fn.Properties["Role"])
	if roleID == "" {
		t.Fatalf("function %s has no role of this stack: %v", name, fn.Properties["Role"])
	}
	var out []map[string]interface{}
	for _, p := range f.ofType("AWS::IAM::Policy") {
		if !containsRef(p.Properties["Roles"], roleID) {
			continue
		}
		doc, _ := p.Properties["PolicyDocument"].(map[string]interface{})
		stmts, _ := doc["Statement"].([]interface{})
		for _, s := range stmts {
			out = append(out, s.(map[string]interface{}))
		}
	}
	return out
}

// roleActions lists every action in the policies attached to a function's role.
func (f *fixture) roleActions(t *testing.T, name string) []string {
	t.Helper()
	var actions []string
	for _, s := range f.roleStatements(t, name) {
		actions = append(actions, statementActions(s)...)
	}
	return actions
}

// statementActions lists a policy statement's actions.
func statementActions(s map[string]interface{}) []string {
	switch a := s["Action"].(type) {
	case string:
		return []string{a}
	case []interface{}:
		out := make([]string, 0, len(a))
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// env returns a function's environment variables.
func (f *fixture) env(t *testing.T, name string) map[string]interface{} {
	t.Helper()
	_, fn := f.function(t, name)
	env, _ := fn.Properties["Environment"].(map[string]interface{})
	vars, _ := env["Variables"].(map[string]interface{})
	return vars
}

// ref returns the logical id of {"Ref": id}, or "".
func ref(v interface{}) string {
	m, _ := v.(map[string]interface{})
	s, _ := m["Ref"].(string)
	return s
}

// getAttID returns the logical id of {"Fn::GetAtt": [id, attr]}, or "".
func getAttID(v interface{}) string {
	m, _ := v.(map[string]interface{})
	parts, _ := m["Fn::GetAtt"].([]interface{})
	if len(parts) != 2 {
		return ""
	}
	s, _ := parts[0].(string)
	return s
}

func containsRef(list interface{}, id string) bool {
	items, _ := list.([]interface{})
	for _, item := range items {
		if ref(item) == id {
			return true
		}
	}
	return false
}

// mentions reports whether a CloudFormation value refers to logical id
// anywhere inside it (Ref, GetAtt, or within Fn::Join and friends).
func mentions(v interface{}, id string) bool {
	switch x := v.(type) {
	case map[string]interface{}:
		if ref(x) == id || getAttID(x) == id {
			return true
		}
		for _, e := range x {
			if mentions(e, id) {
				return true
			}
		}
	case []interface{}:
		for _, e := range x {
			if mentions(e, id) {
				return true
			}
		}
	}
	return false
}

func obj(kv ...interface{}) *map[string]interface{} {
	m := map[string]interface{}{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return &m
}
