package apitest

import "github.com/arkmember/arkmember/internal/catalog"

func roleOf(s string) catalog.Role { return catalog.Role(s) }
