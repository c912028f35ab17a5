// Package config loads the typed configuration of a function from its
// environment once, at cold start, and fails fast on anything missing or
// malformed for what that function needs (per internal/catalog).
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/arkmember/arkmember/internal/catalog"
)

// Config is everything a function reads from its environment.
type Config struct {
	Function catalog.Function
	Stage    string // local, dev or prod

	TableName        string
	EventBusName     string
	Region           string
	DynamoDBEndpoint string // optional: any DynamoDB-compatible endpoint

	// Exactly one source of the master key: the Secrets Manager secret (AWS)
	// or the key itself (local runs and tests).
	AppSecretARN string
	MasterKey    []byte

	// Invokes holds the ARN of each function this one invokes.
	Invokes map[string]string

	LogLevel        slog.Level
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
}

// Environment variables read besides those named in catalog.
const (
	EnvRegion          = "AWS_REGION"
	EnvMasterKey       = "ARK_MASTER_KEY" // base64 of at least 32 bytes
	EnvAccessTokenTTL  = "ACCESS_TOKEN_TTL"
	EnvRefreshTokenTTL = "REFRESH_TOKEN_TTL"
)

// Defaults.
const (
	DefaultAccessTokenTTL  = 15 * time.Minute
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	DefaultRegion          = "us-east-1"
	MinMasterKeyBytes      = 32
)

// Load reads the configuration of the named function through getenv
// (os.Getenv in main) and validates it against what the function needs.
func Load(function string, getenv func(string) string) (Config, error) {
	fn, ok := catalog.FunctionByName(function)
	if !ok {
		return Config{}, fmt.Errorf("config: unknown function %q", function)
	}
	c := Config{
		Function:         fn,
		Stage:            strings.TrimSpace(getenv(catalog.EnvStage)),
		TableName:        strings.TrimSpace(getenv(catalog.EnvTableName)),
		EventBusName:     strings.TrimSpace(getenv(catalog.EnvEventBusName)),
		Region:           strings.TrimSpace(getenv(EnvRegion)),
		DynamoDBEndpoint: strings.TrimSpace(getenv(catalog.EnvDynamoDBEndpoint)),
		AppSecretARN:     strings.TrimSpace(getenv(catalog.EnvAppSecretARN)),
	}
	var errs []error
	if c.Stage == "" {
		c.Stage = "dev"
	}
	if c.Stage != "local" && c.Stage != "dev" && c.Stage != "prod" {
		errs = append(errs, fmt.Errorf("%s must be local, dev or prod, not %q", catalog.EnvStage, c.Stage))
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if fn.Table != catalog.AccessNone && c.TableName == "" {
		errs = append(errs, fmt.Errorf("%s is required", catalog.EnvTableName))
	}
	if fn.PublishBus && c.EventBusName == "" {
		errs = append(errs, fmt.Errorf("%s is required", catalog.EnvEventBusName))
	}
	if fn.Secrets {
		if raw := strings.TrimSpace(getenv(EnvMasterKey)); raw != "" {
			key, err := DecodeMasterKey(raw)
			if err != nil {
				errs = append(errs, err)
			}
			c.MasterKey = key
		}
		if (c.AppSecretARN == "") == (c.MasterKey == nil) {
			errs = append(errs, fmt.Errorf("exactly one of %s and %s is required", catalog.EnvAppSecretARN, EnvMasterKey))
		}
	}
	for _, target := range fn.Invokes {
		arn := strings.TrimSpace(getenv(catalog.InvokeEnv(target)))
		if arn == "" {
			errs = append(errs, fmt.Errorf("%s is required", catalog.InvokeEnv(target)))
			continue
		}
		if c.Invokes == nil {
			c.Invokes = map[string]string{}
		}
		c.Invokes[target] = arn
	}
	level, err := parseLevel(getenv(catalog.EnvLogLevel))
	if err != nil {
		errs = append(errs, err)
	}
	c.LogLevel = level
	if c.AccessTokenTTL, err = durationOr(getenv, EnvAccessTokenTTL, DefaultAccessTokenTTL, time.Minute, 24*time.Hour); err != nil {
		errs = append(errs, err)
	}
	if c.RefreshTokenTTL, err = durationOr(getenv, EnvRefreshTokenTTL, DefaultRefreshTokenTTL, time.Hour, 365*24*time.Hour); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("config for %s: %w", function, errors.Join(errs...))
	}
	return c, nil
}

// DecodeMasterKey parses a base64 master key of at least 32 bytes.
func DecodeMasterKey(raw string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("%s is not base64: %w", EnvMasterKey, err)
	}
	if len(key) < MinMasterKeyBytes {
		return nil, fmt.Errorf("%s must hold at least %d bytes, has %d", EnvMasterKey, MinMasterKeyBytes, len(key))
	}
	return key, nil
}

func parseLevel(s string) (slog.Level, error) {
	if strings.TrimSpace(s) == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%s: %w", catalog.EnvLogLevel, err)
	}
	return l, nil
}

func durationOr(getenv func(string) string, name string, def, min, max time.Duration) (time.Duration, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if d < min || d > max {
		return 0, fmt.Errorf("%s must be between %s and %s", name, min, max)
	}
	return d, nil
}
