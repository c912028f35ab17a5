// Package catalog is the single description of the deployed system: every
// HTTP route with the roles allowed on it, every function with what it may
// touch, and every table with its keys and indexes. The local gateway, the
// Lambda adapter, the CDK stack and the OpenAPI test all read it, so local and
// cloud cannot drift apart. It imports only the standard library so the infra
// module can depend on it cheaply.
package catalog
