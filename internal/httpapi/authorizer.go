package httpapi

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/arkmember/arkmember/internal/auth"
)

// TokenVerifier checks an access token.
type TokenVerifier interface {
	Verify(token string) (auth.Principal, error)
}

var _ TokenVerifier = (*auth.Tokens)(nil)

// Authorizer is the Lambda authorizer of the HTTP API. It never denies: it
// passes a verdict (and, for a good token, the subject and role) to the
// function, which answers 401 or 403 as problem+json. Denying here would make
// API Gateway answer with its own non-problem body, unlike the contract.
type Authorizer struct {
	tokens TokenVerifier
}

// NewAuthorizer returns the authorizer verifying tokens with v.
func NewAuthorizer(v TokenVerifier) *Authorizer { return &Authorizer{tokens: v} }

// Handle is the Lambda handler for HTTP API REQUEST authorizer events
// (payload format 2.0, simple responses).
func (a *Authorizer) Handle(_ context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	header := ""
	for k, v := range ev.Headers {
		if strings.EqualFold(k, "authorization") {
			header = v
			break
		}
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: a.verdict(header)}, nil
}

func (a *Authorizer) verdict(header string) map[string]any {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return map[string]any{ctxVerdict: verdictMissing}
	}
	p, err := a.tokens.Verify(strings.TrimSpace(token))
	switch {
	case auth.TokenExpired(err):
		return map[string]any{ctxVerdict: verdictExpired}
	case err != nil:
		return map[string]any{ctxVerdict: verdictInvalid}
	}
	return map[string]any{ctxVerdict: verdictOK, ctxSubject: p.Subject, ctxRole: string(p.Role)}
}
