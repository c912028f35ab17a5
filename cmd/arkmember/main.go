// Command arkmember is the local runner and ops CLI of ARK Member Center:
// `serve` runs the whole system on this machine, `invoke` runs one function
// with a sample event, `export` and `import` move a table's data, `verify` reconciles balances with ledgers.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{
		Use:           "arkmember",
		Short:         "ARK Member Center: local runner and ops tools",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), invokeCmd(), exportCmd(), importCmd(), verifyCmd())
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "arkmember:", err)
		os.Exit(1)
	}
}
