// Package httpapi is the one adapter between API Gateway HTTP API (payload
// v2) events and the handlers of every HTTP function: it authenticates the
// caller from the authorizer's verdict, enforces the route table's roles,
// bounds and decodes JSON bodies, turns errors into problem+json, and logs one
// line per request. Handlers only decode, call one service method and encode.
package httpapi
