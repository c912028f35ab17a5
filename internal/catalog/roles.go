package catalog

// Role is the role carried by an access token.
type Role string

// The roles of API.md.
const (
	RoleMember   Role = "member"
	RoleService  Role = "service"
	RoleOperator Role = "operator"
	RoleAdmin    Role = "admin"
	RoleAuditor  Role = "auditor"
)

// StaffRoles are the roles a staff account may hold.
var StaffRoles = []Role{RoleOperator, RoleAdmin, RoleAuditor}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleMember, RoleService, RoleOperator, RoleAdmin, RoleAuditor:
		return true
	}
	return false
}

// IsStaff reports whether r is a staff role.
func (r Role) IsStaff() bool {
	return r == RoleOperator || r == RoleAdmin || r == RoleAuditor
}
