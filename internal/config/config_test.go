package config

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/catalog"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name     string
		function string
		env      map[string]string
		wantErr  string
	}{
		{"accounts with local key", catalog.FnAccounts, map[string]string{catalog.EnvTableName: "t", EnvMasterKey: key}, ""},
		{"accounts with secret", catalog.FnAccounts, map[string]string{catalog.EnvTableName: "t", catalog.EnvAppSecretARN: "arn:x"}, ""},
		{"accounts without table", catalog.FnAccounts, map[string]string{EnvMasterKey: key}, catalog.EnvTableName},
		{"accounts with both key sources", catalog.FnAccounts, map[string]string{catalog.EnvTableName: "t", EnvMasterKey: key, catalog.EnvAppSecretARN: "arn:x"}, "exactly one"},
		{"accounts without key", catalog.FnAccounts, map[string]string{catalog.EnvTableName: "t"}, "exactly one"},
		{"short key", catalog.FnAccounts, map[string]string{catalog.EnvTableName: "t", EnvMasterKey: base64.StdEncoding.EncodeToString(make([]byte, 16))}, "at least 32"},
		{"relay without bus", catalog.FnRelay, map[string]string{catalog.EnvTableName: "t"}, catalog.EnvEventBusName},
		{"authorizer needs no table", catalog.FnAuthorizer, map[string]string{EnvMasterKey: key}, ""},
		{"bad stage", catalog.FnOps, map[string]string{catalog.EnvTableName: "t", catalog.EnvStage: "qa", catalog.InvokeEnv(catalog.FnJobs): "arn"}, catalog.EnvStage},
		{"ops without the jobs function", catalog.FnOps, map[string]string{catalog.EnvTableName: "t"}, catalog.InvokeEnv(catalog.FnJobs)},
		{"ops", catalog.FnOps, map[string]string{catalog.EnvTableName: "t", catalog.InvokeEnv(catalog.FnJobs): "arn"}, ""},
		{"bad level", catalog.FnPoints, map[string]string{catalog.EnvTableName: "t", catalog.EnvLogLevel: "loud"}, catalog.EnvLogLevel},
		{"ttl out of range", catalog.FnPoints, map[string]string{catalog.EnvTableName: "t", EnvAccessTokenTTL: "1s"}, EnvAccessTokenTTL},
		{"unknown function", "nope", nil, "unknown function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.function, env(tt.env))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Load() error = %v", err)
				}
				if c.AccessTokenTTL != 15*time.Minute || c.Stage != "dev" {
					t.Fatalf("defaults not applied: %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load() error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}
