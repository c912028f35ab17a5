package devserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/devserver"
	"github.com/arkmember/arkmember/internal/jobs"
	"github.com/arkmember/arkmember/internal/testenv"
)

// TestSampleEvents parses every sample event in events/ as the event type of
// its function and runs it through that function on the local stack.
func TestSampleEvents_ParseAndRunThroughTheirFunction(t *testing.T) {
	root := filepath.Join("..", "..", "events")
	db := testenv.New(t)
	st, err := devserver.NewStack(context.Background(), devserver.StackOptions{
		DB: db.Engine.Client, Table: db.Table, Master: testenv.MasterKey, HashParams: &testenv.FastHash,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Bootstrap(context.Background(), "admin-password-1", "service-secret-1", io.Discard); err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if len(files) == 0 {
		t.Fatal("no sample events found")
	}
	for _, path := range files {
		function := filepath.Base(filepath.Dir(path))
		covered[function] = true
		t.Run(function+"/"+filepath.Base(path), func(t *testing.T) {
			fn, ok := catalog.FunctionByName(function)
			if !ok {
				t.Fatalf("events/%s is not a function of the catalog", function)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			switch fn.Kind {
			case catalog.KindHTTP:
				var ev events.APIGatewayV2HTTPRequest
				strict(t, raw, &ev)
				if _, ok := catalog.RouteByKey(ev.RouteKey); !ok || ev.RequestContext.RouteKey != ev.RouteKey {
					t.Fatalf("route %q is not in the route table", ev.RouteKey)
				}
			case catalog.KindAuthorizer:
				var ev events.APIGatewayV2CustomAuthorizerV2Request
				strict(t, raw, &ev)
			case catalog.KindStream:
				var ev events.DynamoDBEvent
				strict(t, raw, &ev)
				if len(ev.Records) == 0 {
					t.Fatal("no records")
				}
			case catalog.KindQueue:
				var ev events.SQSEvent
				strict(t, raw, &ev)
				if len(ev.Records) == 0 {
					t.Fatal("no records")
				}
			case catalog.KindSchedule:
				var ev jobs.Event
				strict(t, raw, &ev)
				known := false
				for _, s := range fn.Schedules {
					known = known || s.Job == ev.Job
				}
				if !known {
					t.Fatalf("job %q is not scheduled for %s", ev.Job, function)
				}
			default:
				t.Fatalf("no sample parser for kind %s", fn.Kind)
			}
			out, err := st.Invoke(context.Background(), function, raw)
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			checkOutput(t, fn.Kind, out)
		})
	}
	for _, fn := range catalog.Functions() {
		if !covered[fn.Name] {
			t.Errorf("function %s has no sample event in events/%s/", fn.Name, fn.Name)
		}
	}
}

func strict(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("not a valid event: %v", err)
	}
}

func checkOutput(t *testing.T, kind catalog.FunctionKind, out []byte) {
	t.Helper()
	switch kind {
	case catalog.KindHTTP:
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 || resp.StatusCode >= 500 {
			t.Fatalf("response %s (%v)", out, err)
		}
	case catalog.KindAuthorizer:
		var resp events.APIGatewayV2CustomAuthorizerSimpleResponse
		if err := json.Unmarshal(out, &resp); err != nil || !resp.IsAuthorized || resp.Context["verdict"] != "invalid" {
			t.Fatalf("the sample's alg-none token must get the verdict invalid: %s (%v)", out, err)
		}
	case catalog.KindStream:
		var resp events.DynamoDBEventResponse
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("stream response %s (%v)", out, err)
		}
	case catalog.KindQueue:
		var resp events.SQSEventResponse
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("queue response %s (%v)", out, err)
		}
	case catalog.KindSchedule:
		var run jobs.Run
		if err := json.Unmarshal(out, &run); err != nil || run.Status != jobs.StatusSucceeded {
			t.Fatalf("job run %s (%v)", out, err)
		}
	}
}
