package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/config"
	"github.com/arkmember/arkmember/internal/localdb"
	"github.com/arkmember/arkmember/internal/store"
)

func tableFlags(cmd *cobra.Command, table, endpoint, region *string) {
	cmd.Flags().StringVar(table, "table", os.Getenv(catalog.EnvTableName), "table name (default $TABLE_NAME)")
	cmd.Flags().StringVar(endpoint, "endpoint", os.Getenv(catalog.EnvDynamoDBEndpoint), "DynamoDB endpoint (default $DYNAMODB_ENDPOINT, else AWS)")
	cmd.Flags().StringVar(region, "region", envOr(os.Getenv, config.EnvRegion, config.DefaultRegion), "AWS region")
}

func exportCmd() *cobra.Command {
	var table, endpoint, region, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write every item of a table as DynamoDB JSON lines (the dev server's snapshot format)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if table == "" {
				return fmt.Errorf("--table is required (the dev server's data is already in $ARK_DATA_DIR/table.jsonl)")
			}
			db, err := store.NewClient(cmd.Context(), store.ClientOptions{Region: region, Endpoint: endpoint})
			if err != nil {
				return err
			}
			var w io.Writer = cmd.OutOrStdout()
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			n, err := localdb.Dump(cmd.Context(), db, table, w)
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d items from %s\n", n, table)
			return err
		},
	}
	tableFlags(cmd, &table, &endpoint, &region)
	cmd.Flags().StringVar(&out, "out", "", "file to write (default standard output)")
	return cmd
}

func importCmd() *cobra.Command {
	var table, endpoint, region string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Put every item of an export into a table (creating it on a non-AWS endpoint)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if table == "" {
				return fmt.Errorf("--table is required")
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			db, err := store.NewClient(cmd.Context(), store.ClientOptions{Region: region, Endpoint: endpoint})
			if err != nil {
				return err
			}
			if endpoint != "" {
				if err := localdb.CreateTable(cmd.Context(), db, table, catalog.MainTable); err != nil {
					return err
				}
			}
			n, err := localdb.Load(cmd.Context(), db, table, f)
			fmt.Fprintf(cmd.ErrOrStderr(), "imported %d items into %s\n", n, table)
			return err
		},
	}
	tableFlags(cmd, &table, &endpoint, &region)
	return cmd
}
