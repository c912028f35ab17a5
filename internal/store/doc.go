// Package store is the DynamoDB adapter: it implements the repositories the
// domain packages declare, on the single table described in
// docs/data-model.md. Every key is built in keys.go; every multi-item change
// is one TransactWriteItems built with txn (txn.go), whose failed conditions
// become domain errors.
package store
