package catalog

import "strings"

// Function names. Each is one Lambda (functions/<name>) and one handler in the
// local runner.
const (
	FnAuthorizer = "authorizer"
	FnAccounts   = "accounts"
	FnOps        = "ops"
	FnRelay      = "relay"
	FnPoints     = "points"
	FnJobs       = "jobs"
	FnLevels     = "levels"
	FnOrders     = "orders"
	FnPrivileges = "privileges"
	// FnPrivilegesWorker consumes events: level grants and expiry batches.
	FnPrivilegesWorker = "privileges-worker"
)

// Job names (the {job} of POST /v1/admin/jobs/{job}/run).
const (
	JobPointsExpiry = "points-expiry"
	JobReconcile    = "reconcile"
	JobLevelReview  = "level-review"
	JobPrivExpiry   = "privilege-expiry"
	JobPrivRenewal  = "privilege-renewal"
)

// Route is one HTTP route of the API.
type Route struct {
	Method   string
	Path     string // API Gateway syntax: /v1/admin/members/{memberId}
	Function string // the function that serves it
	Roles    []Role // who may call it; empty means anyone, without a token
	// OperationID names the route in docs/openapi.yaml.
	OperationID string
}

// Key is the API Gateway route key, "METHOD /path".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Public reports whether the route needs no token.
func (r Route) Public() bool { return len(r.Roles) == 0 }

// Allows reports whether a caller with role may call the route.
func (r Route) Allows(role Role) bool {
	if r.Public() {
		return true
	}
	for _, allowed := range r.Roles {
		if allowed == role {
			return true
		}
	}
	return false
}

// PathParams lists the names of the path parameters, in order.
func (r Route) PathParams() []string {
	var names []string
	for _, seg := range strings.Split(r.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return names
}

var (
	anyone       []Role
	member       = []Role{RoleMember}
	staffRead    = []Role{RoleOperator, RoleAdmin, RoleAuditor}
	operatorPlus = []Role{RoleOperator, RoleAdmin}
	adminAudit   = []Role{RoleAdmin, RoleAuditor}
	admin        = []Role{RoleAdmin}
	serviceOps   = []Role{RoleService, RoleOperator}
	memberOrSvc  = []Role{RoleMember, RoleService}
	service      = []Role{RoleService}
	signedIn     = []Role{RoleMember, RoleOperator, RoleAdmin, RoleAuditor}
)

var routes = []Route{
	{"POST", "/v1/auth/register", FnAccounts, anyone, "register"},
	{"POST", "/v1/auth/login", FnAccounts, anyone, "login"},
	{"POST", "/v1/auth/staff-login", FnAccounts, anyone, "staffLogin"},
	{"POST", "/v1/auth/token", FnAccounts, anyone, "serviceToken"},
	{"POST", "/v1/auth/refresh", FnAccounts, anyone, "refresh"},
	{"POST", "/v1/auth/logout", FnAccounts, signedIn, "logout"},
	{"GET", "/v1/members/me", FnAccounts, member, "getMyProfile"},
	{"PATCH", "/v1/members/me", FnAccounts, member, "updateMyProfile"},
	{"GET", "/v1/admin/members/{memberId}", FnAccounts, staffRead, "adminGetMember"},
	{"GET", "/v1/admin/members", FnAccounts, operatorPlus, "adminFindMembers"},
	{"POST", "/v1/admin/members/{memberId}/status", FnAccounts, operatorPlus, "adminSetMemberStatus"},

	{"POST", "/v1/points/earn", FnPoints, serviceOps, "earnPoints"},
	{"POST", "/v1/points/spend", FnPoints, memberOrSvc, "spendPoints"},
	{"POST", "/v1/points/reverse", FnPoints, serviceOps, "reversePoints"},
	{"POST", "/v1/admin/points/adjust", FnPoints, operatorPlus, "adjustPoints"},
	{"GET", "/v1/members/me/points", FnPoints, member, "getMyPoints"},
	{"GET", "/v1/members/me/points/ledger", FnPoints, member, "getMyPointsLedger"},
	{"GET", "/v1/admin/members/{memberId}/points/ledger", FnPoints, staffRead, "adminGetPointsLedger"},

	{"GET", "/v1/levels", FnLevels, anyone, "listLevels"},
	{"PUT", "/v1/admin/levels", FnLevels, admin, "setLevels"},
	{"GET", "/v1/members/me/level", FnLevels, member, "getMyLevel"},
	{"GET", "/v1/members/me/level/history", FnLevels, member, "getMyLevelHistory"},
	{"POST", "/v1/admin/members/{memberId}/level", FnLevels, admin, "adminSetMemberLevel"},
	{"POST", "/v1/growth/earn", FnLevels, serviceOps, "earnGrowth"},
	{"POST", "/v1/orders/events", FnOrders, service, "applyOrderEvent"},

	{"PUT", "/v1/admin/privileges/{code}", FnPrivileges, operatorPlus, "setPrivilege"},
	{"GET", "/v1/admin/privileges", FnPrivileges, staffRead, "listPrivileges"},
	{"PUT", "/v1/admin/privilege-packages/{code}", FnPrivileges, operatorPlus, "setPrivilegePackage"},
	{"GET", "/v1/admin/privilege-packages", FnPrivileges, staffRead, "listPrivilegePackages"},
	{"POST", "/v1/admin/members/{memberId}/privileges", FnPrivileges, operatorPlus, "grantPrivileges"},
	{"GET", "/v1/admin/members/{memberId}/privileges", FnPrivileges, staffRead, "adminListMemberPrivileges"},
	{"GET", "/v1/admin/members/{memberId}/privileges/usage", FnPrivileges, staffRead, "adminListMemberPrivilegeUsage"},
	{"GET", "/v1/members/me/privileges", FnPrivileges, member, "listMyPrivileges"},
	{"GET", "/v1/members/me/privileges/usage", FnPrivileges, member, "listMyPrivilegeUsage"},
	{"POST", "/v1/privileges/consume", FnPrivileges, memberOrSvc, "consumePrivilege"},
	{"POST", "/v1/privileges/consumptions/{consumeId}/cancel", FnPrivileges, service, "cancelPrivilegeConsumption"},

	{"GET", "/v1/health", FnOps, anyone, "health"},
	{"GET", "/v1/admin/audit", FnOps, adminAudit, "listAudit"},
	{"POST", "/v1/admin/jobs/{job}/run", FnOps, admin, "runJob"},
	{"GET", "/v1/admin/jobs/runs/{runId}", FnOps, admin, "getJobRun"},
}

// Routes returns every route of the API.
func Routes() []Route {
	out := make([]Route, len(routes))
	copy(out, routes)
	return out
}

// RouteByKey finds a route by its key ("METHOD /path").
func RouteByKey(key string) (Route, bool) {
	for _, r := range routes {
		if r.Key() == key {
			return r, true
		}
	}
	return Route{}, false
}

// RoutesOf returns the routes served by one function.
func RoutesOf(function string) []Route {
	var out []Route
	for _, r := range routes {
		if r.Function == function {
			out = append(out, r)
		}
	}
	return out
}
