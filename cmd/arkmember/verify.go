package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/devserver"
	"github.com/arkmember/arkmember/internal/jobs"
	"github.com/arkmember/arkmember/internal/points"
	"github.com/arkmember/arkmember/internal/store"
)

func verifyCmd() *cobra.Command {
	var table, endpoint, region string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute every member's balance from its ledger and its lots and report drift",
		Long: "Checks, for every member, that balance = sum of ledger deltas = sum of lot remainders.\n" +
			"With --table it reads that table (AWS, or --endpoint); without, the local data in ARK_DATA_DIR\n" +
			"(through the running dev server if there is one). Exits 1 if any member drifts.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var checked int
			var drifted []string
			var err error
			if table != "" {
				checked, drifted, err = verifyTable(ctx, table, endpoint, region)
			} else {
				checked, drifted, err = verifyLocal(ctx)
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(drifted) == 0 {
				fmt.Fprintf(out, "checked %d members: balances, ledgers and lots agree\n", checked)
				return nil
			}
			fmt.Fprintf(out, "checked %d members: %d drift\n", checked, len(drifted))
			for _, d := range drifted {
				fmt.Fprintln(out, "  "+d)
			}
			return errDrift
		},
	}
	tableFlags(cmd, &table, &endpoint, &region)
	return cmd
}

var errDrift = errors.New("ledger drift found")

func verifyTable(ctx context.Context, table, endpoint, region string) (int, []string, error) {
	db, err := store.NewClient(ctx, store.ClientOptions{Region: region, Endpoint: endpoint})
	if err != nil {
		return 0, nil, err
	}
	rep, err := points.Reconcile(ctx, store.New(db, table, clock.System{}))
	return rep.Checked, append(rep.Drifted, unverified(rep)...), err
}

func verifyLocal(ctx context.Context) (int, []string, error) {
	o, err := serverOptions(os.Getenv)
	if err != nil {
		return 0, nil, err
	}
	addr := o.Addr
	o.Addr, o.Out, o.LogWriter, o.LogLevel = "127.0.0.1:0", io.Discard, os.Stderr, slog.LevelWarn
	srv, err := devserver.Start(ctx, o)
	if errors.Is(err, devserver.ErrLocked) {
		raw, err := invokeRemote(ctx, "http://"+addr, catalog.FnJobs, []byte(`{"job":"`+catalog.JobReconcile+`"}`))
		if err != nil {
			return 0, nil, err
		}
		var run jobs.Run
		if err := json.Unmarshal(raw, &run); err != nil {
			return 0, nil, err
		}
		var drifted []string
		for _, d := range run.Details {
			drifted = append(drifted, strings.TrimPrefix(d, "drift: member "))
		}
		if run.Status != jobs.StatusSucceeded {
			return 0, nil, fmt.Errorf("the reconcile run %s ended %s: %v", run.RunID, run.Status, run.Details)
		}
		return run.Processed, drifted, nil
	}
	if err != nil {
		return 0, nil, err
	}
	rep, err := points.Reconcile(ctx, srv.Stack.Store)
	return rep.Checked, append(rep.Drifted, unverified(rep)...), errors.Join(err, srv.Close(ctx))
}

func unverified(rep points.Report) []string {
	var out []string
	for _, id := range rep.Unverified {
		out = append(out, id+" (could not be verified: it kept changing)")
	}
	return out
}
