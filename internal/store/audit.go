package store

import (
	"context"
	"encoding/json"

	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/ids"
)

type auditItem struct {
	base
	EntryID   string `dynamodbav:"entryId"`
	At        string `dynamodbav:"at"`
	Actor     string `dynamodbav:"actor"`
	Role      string `dynamodbav:"role"`
	Action    string `dynamodbav:"action"`
	Target    string `dynamodbav:"target"`
	Before    string `dynamodbav:"before,omitempty"`
	After     string `dynamodbav:"after,omitempty"`
	RequestID string `dynamodbav:"requestId"`
}

// audit adds an audit entry to the transaction. Entries live in one
// partition ordered by their ULID (staff writes are far below a partition's
// 1,000 writes/s) and, through gsi1, in one partition per actor.
func (t *txn) audit(e audit.Entry) {
	g := auditActorGSI(e.Actor, e.ID)
	it := auditItem{
		base:    baseOf(auditKey(e.ID), kindAudit),
		EntryID: e.ID, At: ts(e.At), Actor: e.Actor, Role: e.Role, Action: e.Action, Target: e.Target,
		Before: string(e.Before), After: string(e.After), RequestID: e.RequestID,
	}
	it.GSI1PK, it.GSI1SK = g.pk, g.sk
	t.put(marshal(it), condAbsent, nil)
}

// ListAudit returns entries matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f audit.Filter, limit int, cursor string) ([]audit.Entry, string, error) {
	q := pageQuery{partition: pkAudit, newestFirst: true, limit: limit, cursor: cursor}
	if f.Actor != "" {
		q.index, q.partition = catalog.IndexGSI1, auditActorGSI(f.Actor, "").pk
	}
	if !f.From.IsZero() {
		q.skFrom = ids.Floor(f.From)
	}
	if !f.To.IsZero() {
		q.skTo = ids.Ceil(f.To)
	}
	if f.Action != "" {
		q.filter = &cond{expr: "#action = :action", names: map[string]string{"#action": "action"}, values: item{":action": str(f.Action)}}
	}
	items, next, err := s.query(ctx, q)
	if err != nil {
		return nil, "", err
	}
	out := make([]audit.Entry, 0, len(items))
	for _, raw := range items {
		var it auditItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, "", err
		}
		out = append(out, audit.Entry{
			ID: it.EntryID, At: parseTS(it.At), Actor: it.Actor, Role: it.Role, Action: it.Action, Target: it.Target,
			Before: rawJSON(it.Before), After: rawJSON(it.After), RequestID: it.RequestID,
		})
	}
	return out, next, nil
}

func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}
