// Command infra is the AWS CDK app of ARK Member Center: one stack per stage
// (dev or prod) whose functions, routes and table come from
// internal/catalog, checked by cdk-nag's AwsSolutions pack on every synth.
//
// Run it through the pinned CLI from the repository root
// (.cdk-cli/node_modules/.bin/cdk synth -c stage=dev), or directly with
// `CDK_OUTDIR=../cdk.out go run .` from this directory. It needs the
// binaries of `make build` (or context stubAssets=true for a check-only
// synth) and fails on any cdk-nag finding; docs/runbook.md has the rest.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	err := run()
	// Closing the runtime stops node and removes its temp dir, on failure too.
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

// run builds and synthesizes the app. jsii reports failures, such as
// cdk-nag findings failing validation, as panics; they come back as errors.
func run() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	// Without an outdir outside the CLI, the assembly lands in a temp dir
	// that is deleted on exit; the CLI always sets CDK_OUTDIR itself.
	appProps := &awscdk.AppProps{}
	if os.Getenv("CDK_OUTDIR") == "" {
		appProps.Outdir = jsii.String("../cdk.out")
	}
	// The CLI passes cdk.json's context in CDK_CONTEXT_JSON; a plain
	// `go run .` reads the same file so both synthesize the same template.
	ctx, err := LoadCDKContext(cdkJSONPath)
	if err != nil {
		return err
	}
	appProps.Context = &ctx
	app := awscdk.NewApp(appProps)

	props, cleanup, err := PropsFromContext(app, os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"))
	if err != nil {
		return err
	}
	defer cleanup()
	if _, err := NewArkStack(app, StackName(props.Stage.Name), props); err != nil {
		return err
	}
	AddNagChecks(app)
	app.Synth(nil)
	return nil
}
