// Command lambdazip packs a built Lambda bootstrap into the zip file Lambda
// deploys (the executable at the root, mode 0755), without needing a zip
// tool on the machine. Usage: lambdazip build/accounts/bootstrap build/accounts.zip
package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: lambdazip BOOTSTRAP OUT.zip")
		os.Exit(2)
	}
	if err := pack(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
}

func pack(bootstrap, out string) error {
	in, err := os.Open(bootstrap)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	// A fixed time keeps the zip byte-identical for identical binaries, so
	// an unchanged function is not redeployed.
	h.Modified = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
