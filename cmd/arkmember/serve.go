package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/config"
	"github.com/arkmember/arkmember/internal/devserver"
)

// serverOptions reads the dev server's environment.
func serverOptions(getenv func(string) string) (devserver.Options, error) {
	o := devserver.Options{
		Addr:          envOr(getenv, devserver.EnvAddr, devserver.DefaultAddr),
		DataDir:       envOr(getenv, devserver.EnvDataDir, devserver.DefaultDataDir),
		AdminPassword: getenv(devserver.EnvAdminPassword),
		ServiceSecret: getenv(devserver.EnvServiceSecret),
		RateLimit:     devserver.DefaultRateLimit,
		Burst:         devserver.DefaultRateBurst,
	}
	if raw := getenv(config.EnvMasterKey); raw != "" {
		key, err := config.DecodeMasterKey(raw)
		if err != nil {
			return o, err
		}
		o.MasterKey = key
	}
	if raw := getenv(devserver.EnvRateLimit); raw != "" {
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || v < 0 {
			return o, fmt.Errorf("%s must be a number ≥ 0 (0 disables throttling)", devserver.EnvRateLimit)
		}
		o.RateLimit = v
	}
	if raw := getenv(devserver.EnvRateBurst); raw != "" {
		v, err := strconv.Atoi(raw)
		if err != nil || v < 1 {
			return o, fmt.Errorf("%s must be a whole number ≥ 1", devserver.EnvRateBurst)
		}
		o.Burst = v
	}
	if raw := getenv(catalog.EnvLogLevel); raw != "" {
		if err := o.LogLevel.UnmarshalText([]byte(raw)); err != nil {
			return o, fmt.Errorf("%s: %w", catalog.EnvLogLevel, err)
		}
	}
	return o, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the whole system locally: API on ARK_ADDR, data in ARK_DATA_DIR",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := serverOptions(os.Getenv)
			if err != nil {
				return err
			}
			o.Out, o.LogWriter = cmd.OutOrStdout(), cmd.ErrOrStderr()
			ctx := cmd.Context()
			srv, err := devserver.Start(ctx, o)
			if err != nil {
				return err
			}
			select {
			case <-ctx.Done():
			case err := <-srv.Done():
				if !errors.Is(err, http.ErrServerClosed) {
					fmt.Fprintln(cmd.ErrOrStderr(), "server stopped:", err)
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "shutting down: finishing requests, relaying events, writing the snapshot")
			shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			return srv.Close(shutdown)
		},
	}
}

func invokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "invoke FUNCTION EVENT.json",
		Short: "Run one function with a Lambda event against the local stack",
		Long: "Runs FUNCTION (see functions/) with the event in EVENT.json (samples in events/) and prints its response.\n" +
			"If `arkmember serve` is running on this data dir, the running server runs it; otherwise the stack starts in this process on ARK_DATA_DIR and saves its data afterwards.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := catalog.FunctionByName(args[0]); !ok {
				return fmt.Errorf("unknown function %q", args[0])
			}
			event, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			o, err := serverOptions(os.Getenv)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out, err := invoke(ctx, o, args[0], event)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return err
		},
	}
}

func invoke(ctx context.Context, o devserver.Options, function string, event []byte) ([]byte, error) {
	addr := o.Addr
	o.Addr = "127.0.0.1:0"
	o.Out, o.LogWriter = io.Discard, os.Stderr
	o.LogLevel = slog.LevelWarn
	srv, err := devserver.Start(ctx, o)
	if errors.Is(err, devserver.ErrLocked) {
		return invokeRemote(ctx, "http://"+addr, function, event)
	}
	if err != nil {
		return nil, err
	}
	out, err := srv.Stack.Invoke(ctx, function, event)
	return out, errors.Join(err, srv.Close(ctx))
}

func invokeRemote(ctx context.Context, base, function string, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/_local/invoke/"+function, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the data dir is in use, but no dev server answers on %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke: %s", bytes.TrimSpace(body))
	}
	return body, nil
}
