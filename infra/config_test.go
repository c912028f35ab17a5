package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/arkmember/arkmember/internal/catalog"
)

func TestPropsFromContext_ReadsStageAndAPISettings(t *testing.T) {
	tests := []struct {
		name    string
		ctx     map[string]interface{}
		wantErr string
		check   func(t *testing.T, p ArkStackProps)
	}{
		{
			name: "defaults are dev with any origin",
			ctx:  map[string]interface{}{},
			check: func(t *testing.T, p ArkStackProps) {
				if p.Stage.Name != "dev" || p.Stage.Prod || !reflect.DeepEqual(p.CORSOrigins, []string{"*"}) ||
					p.ThrottleRate != DefaultThrottleRate || p.ThrottleBurst != DefaultThrottleBurst || p.AssetsDir != DefaultAssetsDir {
					t.Fatalf("got %+v", p)
				}
			},
		},
		{
			name: "prod allows no origin by default",
			ctx:  map[string]interface{}{CtxStage: "prod"},
			check: func(t *testing.T, p ArkStackProps) {
				if !p.Stage.Prod || len(p.CORSOrigins) != 0 {
					t.Fatalf("got %+v", p)
				}
			},
		},
		{
			name: "command-line strings",
			ctx: map[string]interface{}{CtxStage: "prod", CtxCORSOrigins: "https://a.example, https://b.example",
				CtxThrottleRate: "50", CtxThrottleBurst: "75", CtxAlarmEmail: "ops@example.com"},
			check: func(t *testing.T, p ArkStackProps) {
				if !reflect.DeepEqual(p.CORSOrigins, []string{"https://a.example", "https://b.example"}) ||
					p.ThrottleRate != 50 || p.ThrottleBurst != 75 || p.AlarmEmail != "ops@example.com" {
					t.Fatalf("got %+v", p)
				}
			},
		},
		{
			name: "cdk.json values",
			ctx:  map[string]interface{}{CtxCORSOrigins: []interface{}{"https://a.example"}, CtxThrottleRate: 10.0},
			check: func(t *testing.T, p ArkStackProps) {
				if !reflect.DeepEqual(p.CORSOrigins, []string{"https://a.example"}) || p.ThrottleRate != 10 {
					t.Fatalf("got %+v", p)
				}
			},
		},
		{
			name: "empty origins string means none",
			ctx:  map[string]interface{}{CtxCORSOrigins: ""},
			check: func(t *testing.T, p ArkStackProps) {
				if len(p.CORSOrigins) != 0 {
					t.Fatalf("got %v", p.CORSOrigins)
				}
			},
		},
		{name: "unknown stage", ctx: map[string]interface{}{CtxStage: "qa"}, wantErr: "stage must be dev or prod"},
		{name: "bad throttle", ctx: map[string]interface{}{CtxThrottleRate: "fast"}, wantErr: "throttleRate"},
		{name: "negative burst", ctx: map[string]interface{}{CtxThrottleBurst: -1.0}, wantErr: "throttleBurst"},
		{name: "bad stub flag", ctx: map[string]interface{}{CtxStubAssets: "maybe"}, wantErr: "stubAssets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props, cleanup, err := PropsFromContext(testApp(t, tt.ctx), "", "")
			defer cleanup()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(props.Functions) != len(catalog.Functions()) || len(props.Routes) != len(catalog.Routes()) {
				t.Fatal("props do not carry the catalog")
			}
			tt.check(t, props)
		})
	}
}

func TestPropsFromContext_StubAssetsExistUntilCleanup(t *testing.T) {
	props, cleanup, err := PropsFromContext(testApp(t, map[string]interface{}{CtxStubAssets: true}), "123456789012", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if *props.Env.Account != "123456789012" || *props.Env.Region != "eu-west-1" {
		t.Fatalf("env %+v", props.Env)
	}
	for _, fn := range props.Functions {
		if _, err := os.Stat(filepath.Join(props.AssetsDir, fn.Name, bootstrapBinary)); err != nil {
			t.Fatalf("no stub for %s: %v", fn.Name, err)
		}
	}
	cleanup()
	if _, err := os.Stat(props.AssetsDir); !os.IsNotExist(err) {
		t.Fatalf("stub assets left behind: %v", err)
	}
}

func TestNewArkStack_FailsClearlyWithoutBuiltFunctions(t *testing.T) {
	app := testApp(t, map[string]interface{}{CtxAssetsDir: t.TempDir()})
	props, cleanup, err := PropsFromContext(app, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	_, err = NewArkStack(app, "Unbuilt", props)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("err = %v, want one telling to run make build", err)
	}
}

func TestValidateCatalog_RejectsWhatTheStackCannotDeploy(t *testing.T) {
	valid := func() ArkStackProps {
		return ArkStackProps{
			Functions:   catalog.Functions(),
			Routes:      catalog.Routes(),
			Table:       catalog.MainTable,
			EventSource: catalog.EventSource,
			AssetsDir:   testAssetsDir,
		}
	}
	tests := []struct {
		name    string
		mutate  func(p *ArkStackProps)
		wantErr string
	}{
		{"the catalog is valid", func(*ArkStackProps) {}, ""},
		{"unknown kind", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "ws", Kind: "websocket"})
		}, `no infrastructure for kind "websocket"`},
		{"queue without event types", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "q", Kind: catalog.KindQueue})
		}, "no EventTypes"},
		{"schedule function without schedules", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "s", Kind: catalog.KindSchedule})
		}, "has no Schedules"},
		{"schedule without expression", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "s", Kind: catalog.KindSchedule,
				Schedules: []catalog.Schedule{{Job: "a", Expression: "rate(1 day)"}, {Job: "b", Expression: " "}}})
		}, "job b has no Expression"},
		{"schedule without job", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "s", Kind: catalog.KindSchedule,
				Schedules: []catalog.Schedule{{Expression: "rate(1 day)"}}})
		}, "has no Job"},
		{"job scheduled twice", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "s", Kind: catalog.KindSchedule,
				Schedules: []catalog.Schedule{{Job: "a", Expression: "rate(1 day)"}, {Job: "a", Expression: "rate(2 days)"}}})
		}, "job a listed twice"},
		{"jobs that collide as construct ids", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "s", Kind: catalog.KindSchedule,
				Schedules: []catalog.Schedule{{Job: "a-b", Expression: "rate(1 day)"}, {Job: "a_b", Expression: "rate(1 day)"}}})
		}, "same construct id"},
		{"schedules on a function that is not scheduled", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "h", Kind: catalog.KindHTTP,
				Schedules: []catalog.Schedule{{Job: "a", Expression: "rate(1 day)"}}})
		}, "has Schedules but is a http function"},
		{"invokes an unknown function", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "h", Kind: catalog.KindHTTP, Invokes: []string{"nope"}})
		}, `invokes unknown function "nope"`},
		{"invokes itself", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "h", Kind: catalog.KindHTTP, Invokes: []string{"h"}})
		}, "invokes itself"},
		{"invokes a function twice", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, catalog.Function{Name: "h", Kind: catalog.KindHTTP,
				Invokes: []string{catalog.FnJobs, catalog.FnJobs}})
		}, "invokes jobs twice"},
		{"unknown index projection", func(p *ArkStackProps) {
			p.Table.GSIs = append([]catalog.GSI(nil), p.Table.GSIs...)
			p.Table.GSIs[0].Projection = "INCLUDE"
		}, `projection "INCLUDE"`},
		{"duplicate function", func(p *ArkStackProps) {
			p.Functions = append(p.Functions, p.Functions[0])
		}, "listed twice"},
		{"names that collide as construct ids", func(p *ArkStackProps) {
			p.Functions = append(p.Functions,
				catalog.Function{Name: "a-b", Kind: catalog.KindHTTP}, catalog.Function{Name: "a_b", Kind: catalog.KindHTTP})
		}, "same construct id"},
		{"route to a non-HTTP function", func(p *ArkStackProps) {
			p.Routes = append(p.Routes, catalog.Route{Method: "GET", Path: "/v1/relay", Function: catalog.FnRelay})
		}, "is not an HTTP function"},
		{"protected route without authorizer", func(p *ArkStackProps) {
			var fns []catalog.Function
			for _, f := range p.Functions {
				if f.Kind != catalog.KindAuthorizer {
					fns = append(fns, f)
				}
			}
			p.Functions = fns
		}, "no authorizer function"},
		{"stream function without stream", func(p *ArkStackProps) {
			p.Table.StreamKind = ""
		}, "has no stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.mutate(&p)
			err := validateCatalog(p)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestConstructID_IsPascalCaseOfTheName(t *testing.T) {
	tests := map[string]string{
		"accounts":              "Accounts",
		"points-expiry":         "PointsExpiry",
		"GET /v1/members/me":    "GETV1MembersMe",
		"/v1/a/{memberId}/b-c":  "V1AMemberIdBC",
		"downgrade_daily-job_2": "DowngradeDailyJob2",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := constructID(in); got != want {
				t.Fatalf("constructID(%q) = %q, want %q", in, got, want)
			}
		})
	}
}
