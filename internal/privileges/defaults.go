package privileges

import "encoding/json"

// Defaults are the privileges and level packages a new installation
// starts with (the dev server loads them), matching the default ladder's
// package codes.
func Defaults() ([]Privilege, []Package) {
	privs := []Privilege{
		{Code: "BIRTHDAY_COUPON", Name: "Birthday coupon", Type: "COUPON", Params: json.RawMessage(`{"amountCents":2000,"minOrderCents":10000}`)},
		{Code: "MEMBER_DISCOUNT_5", Name: "5% off", Type: "DISCOUNT", Params: json.RawMessage(`{"percent":5}`)},
		{Code: "MEMBER_DISCOUNT_10", Name: "10% off", Type: "DISCOUNT", Params: json.RawMessage(`{"percent":10}`)},
		{Code: "FREE_SHIPPING", Name: "Free shipping", Type: "FREE_SHIPPING", Params: json.RawMessage(`{"minOrderCents":0}`)},
		{Code: "PRIORITY_SUPPORT", Name: "Priority support", Type: "SERVICE", Params: json.RawMessage(`{"service":"priority-support"}`)},
	}
	for i := range privs {
		privs[i].Status, privs[i].Version = StatusActive, 1
	}
	pkgs := []Package{
		{Code: "PKG_BRONZE", Name: "Bronze package", Items: []Item{{PrivilegeCode: "FREE_SHIPPING", Quota: 1, Period: PeriodMonthly}}},
		{Code: "PKG_SILVER", Name: "Silver package", Items: []Item{{PrivilegeCode: "FREE_SHIPPING", Quota: 3, Period: PeriodMonthly}, {PrivilegeCode: "MEMBER_DISCOUNT_5", Quota: 2, Period: PeriodMonthly}}},
		{Code: "PKG_GOLD", Name: "Gold package", Items: []Item{{PrivilegeCode: "FREE_SHIPPING", Quota: 10, Period: PeriodMonthly}, {PrivilegeCode: "MEMBER_DISCOUNT_5", Quota: 5, Period: PeriodMonthly}, {PrivilegeCode: "BIRTHDAY_COUPON", Quota: 1, Period: PeriodYearly}}},
		{Code: "PKG_PLATINUM", Name: "Platinum package", Items: []Item{{PrivilegeCode: "FREE_SHIPPING", Quota: 30, Period: PeriodMonthly}, {PrivilegeCode: "MEMBER_DISCOUNT_10", Quota: 5, Period: PeriodMonthly}, {PrivilegeCode: "BIRTHDAY_COUPON", Quota: 1, Period: PeriodYearly}, {PrivilegeCode: "PRIORITY_SUPPORT", Quota: 1, Period: PeriodDaily}}},
		{Code: "PKG_DIAMOND", Name: "Diamond package", Items: []Item{{PrivilegeCode: "FREE_SHIPPING", Quota: 100, Period: PeriodMonthly}, {PrivilegeCode: "MEMBER_DISCOUNT_10", Quota: 20, Period: PeriodMonthly}, {PrivilegeCode: "BIRTHDAY_COUPON", Quota: 2, Period: PeriodYearly}, {PrivilegeCode: "PRIORITY_SUPPORT", Quota: 3, Period: PeriodDaily}}},
	}
	for i := range pkgs {
		pkgs[i].Status, pkgs[i].Version = StatusActive, 1
	}
	return privs, pkgs
}
