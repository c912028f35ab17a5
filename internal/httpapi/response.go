package httpapi

import (
	"encoding/json"
	"net/http"
)

// Response is what a handler returns; Body is encoded as JSON.
type Response struct {
	Status int
	Body   any
	Header map[string]string
}

// JSON returns a JSON response.
func JSON(status int, body any) *Response { return &Response{Status: status, Body: body} }

// OK returns 200 with body.
func OK(body any) *Response { return JSON(http.StatusOK, body) }

// Created returns 201 with body.
func Created(body any) *Response { return JSON(http.StatusCreated, body) }

// NoContent returns 204.
func NoContent() *Response { return &Response{Status: http.StatusNoContent} }

// WithHeader sets a response header and returns r.
func (r *Response) WithHeader(name, value string) *Response {
	if r.Header == nil {
		r.Header = map[string]string{}
	}
	r.Header[name] = value
	return r
}

// ReplayHeader marks a response replayed from an idempotency record.
const ReplayHeader = "Idempotent-Replay"

// List is the body of every list response.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// Result is the usual end of a handler: the service's error, or status with
// its result as the body.
func Result(status int, body any, err error) (*Response, error) {
	if err != nil {
		return nil, err
	}
	return JSON(status, body), nil
}

// Replay answers with a stored response of an idempotent request, marked so
// the caller can tell it changed nothing this time.
func Replay(status int, body []byte) *Response {
	return Raw(status, body).WithHeader(ReplayHeader, "true")
}

// Raw answers with a body already encoded as JSON.
func Raw(status int, body []byte) *Response { return JSON(status, json.RawMessage(body)) }
