// Package levels defines the member level ladder: ranked levels reached by
// growth value, each with the growth needed to keep it, a points multiplier
// and the privilege package it grants.
package levels

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/validate"
)

// Level is one rung of the ladder.
type Level struct {
	Code             string     `json:"code"`
	Name             string     `json:"name"`
	Rank             int        `json:"rank"`
	GrowthThreshold  int64      `json:"growthThreshold"`
	RetainGrowth     int64      `json:"retainGrowth"`
	PointsMultiplier Multiplier `json:"pointsMultiplier"`
	PackageCode      string     `json:"packageCode"`
}

// Ref is how a level appears inside other resources.
type Ref struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Rank int    `json:"rank"`
}

// Ref returns the short form of l.
func (l Level) Ref() Ref { return Ref{Code: l.Code, Name: l.Name, Rank: l.Rank} }

// Ladder is the ordered list of levels, lowest rank first.
type Ladder struct {
	Levels  []Level `json:"items"`
	Version int64   `json:"version"`
}

// Lowest returns the level every new member starts at.
func (l Ladder) Lowest() Level { return l.Levels[0] }

// ByCode finds a level by code.
func (l Ladder) ByCode(code string) (Level, bool) {
	for _, lv := range l.Levels {
		if lv.Code == code {
			return lv, true
		}
	}
	return Level{}, false
}

// ForGrowth returns the highest level whose threshold growth reaches.
func (l Ladder) ForGrowth(growth int64) Level {
	best := l.Levels[0]
	for _, lv := range l.Levels {
		if growth >= lv.GrowthThreshold {
			best = lv
		}
	}
	return best
}

// MaxLevels bounds the ladder, which bounds the history entries one growth
// change writes (one per level passed) within a transaction.
const MaxLevels = 20

// Validate checks the ladder rules: at least one level, ranks contiguous from
// 0 in order, thresholds strictly increasing from 0, codes unique.
func (l Ladder) Validate() error {
	var v validate.Errors
	if len(l.Levels) == 0 || len(l.Levels) > MaxLevels {
		v.Add("items", fmt.Sprintf("must hold 1 to %d levels", MaxLevels))
		return v.Err()
	}
	seen := map[string]bool{}
	for i, lv := range l.Levels {
		f := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		v.Check(validate.Code(lv.Code), f("code"), "must be 1..64 of A-Z a-z 0-9 _ -")
		v.Check(!seen[lv.Code], f("code"), "is used twice")
		seen[lv.Code] = true
		v.Check(validate.Length(lv.Name, 1, 64), f("name"), "must be 1..64 characters")
		v.Check(lv.Rank == i, f("rank"), fmt.Sprintf("must be %d: ranks are contiguous from 0", i))
		if i == 0 {
			v.Check(lv.GrowthThreshold == 0, f("growthThreshold"), "must be 0 for the lowest level")
		} else {
			v.Check(lv.GrowthThreshold > l.Levels[i-1].GrowthThreshold, f("growthThreshold"), "must be greater than the previous level's")
		}
		v.Check(lv.RetainGrowth >= 0, f("retainGrowth"), "must not be negative")
		v.Check(lv.PointsMultiplier >= MultiplierOne/10 && lv.PointsMultiplier <= 100*MultiplierOne, f("pointsMultiplier"), "must be from 0.1 to 100")
		v.Check(lv.PackageCode == "" || validate.Code(lv.PackageCode), f("packageCode"), "must be 1..64 of A-Z a-z 0-9 _ -")
	}
	return v.Err()
}

// Default is the ladder a new installation starts with.
func Default() Ladder {
	return Ladder{Version: 0, Levels: []Level{
		{Code: "BRONZE", Name: "Bronze", Rank: 0, GrowthThreshold: 0, RetainGrowth: 0, PointsMultiplier: 1000, PackageCode: "PKG_BRONZE"},
		{Code: "SILVER", Name: "Silver", Rank: 1, GrowthThreshold: 1000, RetainGrowth: 300, PointsMultiplier: 1200, PackageCode: "PKG_SILVER"},
		{Code: "GOLD", Name: "Gold", Rank: 2, GrowthThreshold: 5000, RetainGrowth: 1500, PointsMultiplier: 1500, PackageCode: "PKG_GOLD"},
		{Code: "PLATINUM", Name: "Platinum", Rank: 3, GrowthThreshold: 20000, RetainGrowth: 6000, PointsMultiplier: 2000, PackageCode: "PKG_PLATINUM"},
		{Code: "DIAMOND", Name: "Diamond", Rank: 4, GrowthThreshold: 50000, RetainGrowth: 15000, PointsMultiplier: 3000, PackageCode: "PKG_DIAMOND"},
	}}
}

var errBadMultiplier = apperr.Invalid("the request has invalid fields", apperr.FieldError{Field: "pointsMultiplier", Message: "must be a positive number with at most three decimals"})

// Multiplier is a decimal factor held exactly in thousandths (1.5 is 1500),
// so points arithmetic never meets floating-point rounding.
type Multiplier int64

// MultiplierOne is the factor 1.
const MultiplierOne Multiplier = 1000

// Apply returns floor(n × m) exactly.
func (m Multiplier) Apply(n int64) int64 { return n * int64(m) / int64(MultiplierOne) }

// String formats m as a decimal, e.g. "1.5".
func (m Multiplier) String() string {
	s := strconv.FormatInt(int64(m)/1000, 10)
	if frac := int64(m) % 1000; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%03d", frac), "0")
	}
	return s
}

// MarshalJSON writes m as a JSON number.
func (m Multiplier) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON reads a JSON number with at most three decimals.
func (m *Multiplier) UnmarshalJSON(b []byte) error {
	s := string(b)
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 3 || whole == "" || strings.HasPrefix(whole, "-") || strings.ContainsAny(s, "eE+\"") {
		return errBadMultiplier
	}
	w, err := strconv.ParseInt(whole, 10, 32)
	if err != nil {
		return errBadMultiplier
	}
	var f int64
	if frac != "" {
		f, err = strconv.ParseInt((frac + "00")[:3], 10, 32)
		if err != nil {
			return errBadMultiplier
		}
	}
	*m = Multiplier(w*1000 + f)
	return nil
}
