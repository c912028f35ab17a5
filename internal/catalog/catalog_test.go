package catalog

import (
	"regexp"
	"testing"
)

func TestRoutes_AreUniqueWellFormedAndServed(t *testing.T) {
	seenKey := map[string]bool{}
	seenOp := map[string]bool{}
	path := regexp.MustCompile(`^/v1(/([a-z0-9-]+|\{[a-zA-Z]+\}))+$`)
	for _, r := range Routes() {
		t.Run(r.Key(), func(t *testing.T) {
			if seenKey[r.Key()] {
				t.Fatalf("duplicate route %s", r.Key())
			}
			seenKey[r.Key()] = true
			if seenOp[r.OperationID] || r.OperationID == "" {
				t.Fatalf("missing or duplicate operation id %q", r.OperationID)
			}
			seenOp[r.OperationID] = true
			if !path.MatchString(r.Path) {
				t.Fatalf("path %q is not of the form /v1/...", r.Path)
			}
			fn, ok := FunctionByName(r.Function)
			if !ok || fn.Kind != KindHTTP {
				t.Fatalf("route served by %q, which is not an HTTP function", r.Function)
			}
			for _, role := range r.Roles {
				if !role.Valid() {
					t.Fatalf("unknown role %q", role)
				}
			}
		})
	}
}

func TestRoute_Allows(t *testing.T) {
	r, ok := RouteByKey("GET /v1/admin/audit")
	if !ok {
		t.Fatal("audit route missing")
	}
	tests := []struct {
		role Role
		want bool
	}{
		{RoleAdmin, true}, {RoleAuditor, true}, {RoleOperator, false}, {RoleMember, false}, {RoleService, false}, {"", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			if got := r.Allows(tt.role); got != tt.want {
				t.Fatalf("Allows(%q) = %v, want %v", tt.role, got, tt.want)
			}
		})
	}
	health, _ := RouteByKey("GET /v1/health")
	if !health.Public() || !health.Allows("") {
		t.Fatal("health must be public")
	}
}

func TestRoute_PathParams(t *testing.T) {
	r := Route{Path: "/v1/admin/members/{memberId}/status"}
	got := r.PathParams()
	if len(got) != 1 || got[0] != "memberId" {
		t.Fatalf("PathParams() = %v", got)
	}
}
