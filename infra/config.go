package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/arkmember/arkmember/internal/catalog"
)

// Context keys the app reads (cdk.json or `cdk -c key=value`).
const (
	CtxStage         = "stage"         // dev (default) or prod
	CtxCORSOrigins   = "corsOrigins"   // list or comma-separated; "" for none
	CtxThrottleRate  = "throttleRate"  // HTTP API steady-state requests per second
	CtxThrottleBurst = "throttleBurst" // HTTP API burst
	CtxAlarmEmail    = "alarmEmail"    // optional address subscribed to the alarm topic
	CtxAssetsDir     = "assetsDir"     // where `make build` left <name>/bootstrap
	CtxStubAssets    = "stubAssets"    // true: synthesize with stub binaries (never deploy)
)

// Defaults for values not given in context.
const (
	DefaultThrottleRate  = 500
	DefaultThrottleBurst = 1000
	DefaultAssetsDir     = "../build"
)

// cdkJSONPath is cdk.json seen from infra/, where both the app and the tests run.
const cdkJSONPath = "../cdk.json"

// Stage holds what differs between the dev and prod deployments.
type Stage struct {
	Name         string
	Prod         bool
	LogRetention awslogs.RetentionDays
	LogLevel     string
}

// StageNamed returns the settings of the dev or prod stage.
func StageNamed(name string) (Stage, error) {
	switch name {
	case "dev":
		return Stage{Name: name, LogRetention: awslogs.RetentionDays_ONE_MONTH, LogLevel: "debug"}, nil
	case "prod":
		return Stage{Name: name, Prod: true, LogRetention: awslogs.RetentionDays_ONE_YEAR, LogLevel: "info"}, nil
	}
	return Stage{}, fmt.Errorf("stage must be dev or prod, not %q", name)
}

// RemovalPolicy keeps prod's stateful resources when the stack lets go of
// them; dev's are disposable.
func (s Stage) RemovalPolicy() awscdk.RemovalPolicy {
	if s.Prod {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// StackName is the CloudFormation stack name of a stage.
func StackName(stage string) string { return "ArkMember-" + stage }

// LoadCDKContext returns the "context" object of cdk.json.
func LoadCDKContext(path string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cdk.json: %w", err)
	}
	var doc struct {
		Context map[string]interface{} `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if doc.Context == nil {
		doc.Context = map[string]interface{}{}
	}
	return doc.Context, nil
}

// PropsFromContext builds the stack props from the app's context and the
// real catalog. The returned cleanup removes stub assets, if any were made;
// call it only after synthesis, which copies assets into the cloud assembly.
func PropsFromContext(app constructs.Construct, account, region string) (ArkStackProps, func(), error) {
	noop := func() {}
	node := app.Node()
	stageName, err := ctxString(node, CtxStage, "dev")
	if err != nil {
		return ArkStackProps{}, noop, err
	}
	stage, err := StageNamed(stageName)
	if err != nil {
		return ArkStackProps{}, noop, err
	}
	props := ArkStackProps{
		Stage:       stage,
		Functions:   catalog.Functions(),
		Routes:      catalog.Routes(),
		Table:       catalog.MainTable,
		EventSource: catalog.EventSource,
	}
	if account != "" || region != "" {
		props.Env = &awscdk.Environment{}
		if account != "" {
			props.Env.Account = jsii.String(account)
		}
		if region != "" {
			props.Env.Region = jsii.String(region)
		}
	}
	if props.ThrottleRate, err = ctxFloat(node, CtxThrottleRate, DefaultThrottleRate); err != nil {
		return ArkStackProps{}, noop, err
	}
	if props.ThrottleBurst, err = ctxFloat(node, CtxThrottleBurst, DefaultThrottleBurst); err != nil {
		return ArkStackProps{}, noop, err
	}
	// Dev accepts any origin so local front ends work; prod accepts only
	// origins named in context.
	var defaultOrigins []string
	if !stage.Prod {
		defaultOrigins = []string{"*"}
	}
	if props.CORSOrigins, err = ctxList(node, CtxCORSOrigins, defaultOrigins); err != nil {
		return ArkStackProps{}, noop, err
	}
	if props.AlarmEmail, err = ctxString(node, CtxAlarmEmail, ""); err != nil {
		return ArkStackProps{}, noop, err
	}
	if props.AssetsDir, err = ctxString(node, CtxAssetsDir, DefaultAssetsDir); err != nil {
		return ArkStackProps{}, noop, err
	}
	stub, err := ctxBool(node, CtxStubAssets, false)
	if err != nil || !stub {
		return props, noop, err
	}
	dir, err := os.MkdirTemp("", "ark-stub-assets-")
	if err != nil {
		return ArkStackProps{}, noop, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if err := WriteStubAssets(dir, props.Functions); err != nil {
		cleanup()
		return ArkStackProps{}, noop, err
	}
	props.AssetsDir = dir
	return props, cleanup, nil
}

// stubBootstrap fails every invocation loudly, so a stack synthesized with
// stub assets is useless if deployed by mistake rather than subtly wrong.
const stubBootstrap = "#!/bin/sh\necho 'ark: stub asset, run make build before deploying' >&2\nexit 1\n"

// WriteStubAssets writes a stub <name>/bootstrap for every function under
// dir, for synthesizing (tests, `-c stubAssets=true`) without `make build`.
func WriteStubAssets(dir string, fns []catalog.Function) error {
	for _, fn := range fns {
		d := filepath.Join(dir, fn.Name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "bootstrap"), []byte(stubBootstrap), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func ctxString(node constructs.Node, key, def string) (string, error) {
	switch v := node.TryGetContext(jsii.String(key)).(type) {
	case nil:
		return def, nil
	case string:
		return strings.TrimSpace(v), nil
	default:
		return "", fmt.Errorf("context %s must be a string, not %T", key, v)
	}
}

func ctxFloat(node constructs.Node, key string, def float64) (float64, error) {
	switch v := node.TryGetContext(jsii.String(key)).(type) {
	case nil:
		return def, nil
	case float64:
		if v <= 0 {
			return 0, fmt.Errorf("context %s must be positive, not %v", key, v)
		}
		return v, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, fmt.Errorf("context %s must be a positive number, not %q", key, v)
		}
		return f, nil
	default:
		return 0, fmt.Errorf("context %s must be a number, not %T", key, v)
	}
}

func ctxBool(node constructs.Node, key string, def bool) (bool, error) {
	switch v := node.TryGetContext(jsii.String(key)).(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return false, fmt.Errorf("context %s must be true or false, not %q", key, v)
		}
		return b, nil
	default:
		return false, fmt.Errorf("context %s must be a boolean, not %T", key, v)
	}
}

// ctxList accepts a JSON list (cdk.json) or a comma-separated string (-c);
// an empty string means an empty list, not the default.
func ctxList(node constructs.Node, key string, def []string) ([]string, error) {
	var out []string
	switch v := node.TryGetContext(jsii.String(key)).(type) {
	case nil:
		return def, nil
	case string:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []interface{}:
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("context %s must list strings, found %T", key, item)
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	default:
		return nil, fmt.Errorf("context %s must be a list or a comma-separated string, not %T", key, v)
	}
	return out, nil
}
