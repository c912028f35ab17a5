package store

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// memberUpdate collects the changes several parts of one transaction make
// to the member item (a transaction may touch an item only once): points
// and growth, each with its own version condition.
type memberUpdate struct {
	sets   map[string]string // attribute → value placeholder
	conds  []string
	names  map[string]string
	values item
}

func newMemberUpdate() *memberUpdate {
	return &memberUpdate{sets: map[string]string{}, names: map[string]string{}, values: item{}}
}

func (m *memberUpdate) placeholder(attr string) string {
	m.names["#"+attr] = attr
	return "#" + attr
}

// set assigns attr.
func (m *memberUpdate) set(attr string, v types.AttributeValue) {
	p := ":" + attr
	m.values[p] = v
	m.sets[m.placeholder(attr)] = p
}

// version requires attr to still be at v and moves it to v+1. A member
// stored before attr existed reads as version 0.
func (m *memberUpdate) version(attr string, v int64) {
	n := m.placeholder(attr)
	old, next := ":"+attr+"Old", ":"+attr
	m.values[old], m.values[next] = num(v), num(v+1)
	m.sets[n] = next
	if v == 0 {
		m.conds = append(m.conds, fmt.Sprintf("(%s = %s OR attribute_not_exists(%s))", n, old, n))
	} else {
		m.conds = append(m.conds, fmt.Sprintf("%s = %s", n, old))
	}
}

// requireActive refuses the change if the member was frozen meanwhile.
func (m *memberUpdate) requireActive() {
	if _, ok := m.values[":active"]; ok {
		return
	}
	m.values[":active"] = str("ACTIVE")
	m.conds = append(m.conds, m.placeholder("status")+" = :active")
}

// member adds the member update to the transaction; onFail is the error
// of a failed condition (the member changed: plan again).
func (t *txn) member(memberID string, m *memberUpdate, onFail error) {
	var sets []string
	for attr, v := range m.sets {
		sets = append(sets, attr+" = "+v)
	}
	sort.Strings(sets)
	expr := "SET " + strings.Join(sets, ", ")
	conds := append([]string{"attribute_exists(pk)"}, m.conds...)
	t.update(memberKey(memberID), expr, cond{expr: strings.Join(conds, " AND "), names: m.names, values: m.values}, onFail)
}
