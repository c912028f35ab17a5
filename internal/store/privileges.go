package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/privileges"
)

var _ privileges.Store = (*Store)(nil)

type privItem struct {
	base
	Code      string `dynamodbav:"code"`
	Name      string `dynamodbav:"name"`
	Type      string `dynamodbav:"type"`
	Params    string `dynamodbav:"params"`
	Status    string `dynamodbav:"status"`
	Version   int64  `dynamodbav:"version"`
	UpdatedAt string `dynamodbav:"updatedAt"`
}

func (it privItem) privilege() privileges.Privilege {
	return privileges.Privilege{Code: it.Code, Name: it.Name, Type: privileges.Type(it.Type), Params: json.RawMessage(it.Params),
		Status: privileges.Status(it.Status), Version: it.Version, UpdatedAt: parseTS(it.UpdatedAt)}
}

type grantItem struct {
	base
	GrantID       string `dynamodbav:"grantId"`
	MemberID      string `dynamodbav:"memberId"`
	PrivilegeCode string `dynamodbav:"privilegeCode"`
	PackageCode   string `dynamodbav:"packageCode"`
	Source        string `dynamodbav:"source"`
	GrantKey      string `dynamodbav:"grantKey"`
	Quota         int64  `dynamodbav:"quota"`
	Remaining     int64  `dynamodbav:"remaining"`
	Start         string `dynamodbav:"startTime"`
	End           string `dynamodbav:"endTime"`
	Status        string `dynamodbav:"status"`
}

func (it grantItem) grant() privileges.Grant {
	return privileges.Grant{GrantID: it.GrantID, MemberID: it.MemberID, PrivilegeCode: it.PrivilegeCode, PackageCode: it.PackageCode,
		Source: it.Source, Key: it.GrantKey, Quota: it.Quota, Remaining: it.Remaining, Start: parseTS(it.Start), End: parseTS(it.End),
		Status: privileges.GrantStatus(it.Status)}
}

type consumeItem struct {
	base
	ConsumeID     string `dynamodbav:"consumeId"`
	GrantID       string `dynamodbav:"grantId"`
	GrantKey      string `dynamodbav:"grantKey"`
	MemberID      string `dynamodbav:"memberId"`
	PrivilegeCode string `dynamodbav:"privilegeCode"`
	Quantity      int64  `dynamodbav:"quantity"`
	BizNo         string `dynamodbav:"bizNo"`
	ConsumedAt    string `dynamodbav:"consumedAt"`
	CancelledAt   string `dynamodbav:"cancelledAt,omitempty"`
}

func (it consumeItem) consumption() privileges.Consumption {
	c := privileges.Consumption{ConsumeID: it.ConsumeID, GrantID: it.GrantID, GrantKey: it.GrantKey, MemberID: it.MemberID,
		PrivilegeCode: it.PrivilegeCode, Quantity: it.Quantity, BizNo: it.BizNo, ConsumedAt: parseTS(it.ConsumedAt)}
	if it.CancelledAt != "" {
		t := parseTS(it.CancelledAt)
		c.CancelledAt = &t
	}
	return c
}

// versioned is the condition of a whole-item replace at a version.
func versioned(expect int64) cond {
	if expect == 0 {
		return cond{expr: "attribute_not_exists(pk)"}
	}
	return cond{expr: "version = :v", values: item{":v": num(expect)}}
}

// Privilege implements privileges.Store.
func (s *Store) Privilege(ctx context.Context, code string) (privileges.Privilege, error) {
	var it privItem
	found, err := s.get(ctx, privilegeKey(code), &it)
	if err != nil {
		return privileges.Privilege{}, err
	}
	if !found {
		return privileges.Privilege{}, privileges.ErrPrivilegeNotFound
	}
	return it.privilege(), nil
}

// PutPrivilege implements privileges.Store.
func (s *Store) PutPrivilege(ctx context.Context, p privileges.Privilege, expect int64, entry audit.Entry) error {
	it := privItem{base: baseOf(privilegeKey(p.Code), kindPriv), Code: p.Code, Name: p.Name, Type: string(p.Type), Params: string(p.Params),
		Status: string(p.Status), Version: p.Version, UpdatedAt: ts(p.UpdatedAt)}
	it.GSI1PK, it.GSI1SK = gsi1Privileges, p.Code
	t := s.newTxn()
	t.put(marshal(it), versioned(expect), privileges.ErrChanged)
	t.audit(entry)
	return s.commit(ctx, t)
}

// Privileges implements privileges.Store, by code.
func (s *Store) Privileges(ctx context.Context, limit int, cursor string) ([]privileges.Privilege, string, error) {
	items, next, err := s.query(ctx, pageQuery{index: catalog.IndexGSI1, partition: gsi1Privileges, limit: limit, cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]privileges.Privilege, 0, len(items))
	for _, raw := range items {
		var it privItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, "", err
		}
		out = append(out, it.privilege())
	}
	return out, next, nil
}

// MissingPrivileges implements privileges.Store.
func (s *Store) MissingPrivileges(ctx context.Context, codes []string) ([]string, error) {
	var missing []string
	for _, c := range codes {
		var it privItem
		found, err := s.get(ctx, privilegeKey(c), &it)
		if err != nil {
			return nil, err
		}
		if !found {
			missing = append(missing, c)
		}
	}
	return missing, nil
}

func (it packageItem) pkg() (privileges.Package, error) {
	p := privileges.Package{Code: it.Code, Name: it.Name, Status: privileges.Status(it.Status), Version: it.Version, UpdatedAt: parseTS(it.UpdatedAt), Items: []privileges.Item{}}
	if it.Items != "" {
		if err := json.Unmarshal([]byte(it.Items), &p.Items); err != nil {
			return p, apperr.Internal(err)
		}
	}
	return p, nil
}

// Package implements privileges.Store.
func (s *Store) Package(ctx context.Context, code string) (privileges.Package, error) {
	var it packageItem
	found, err := s.get(ctx, packageKey(code), &it)
	if err != nil {
		return privileges.Package{}, err
	}
	if !found {
		return privileges.Package{}, privileges.ErrPackageNotFound
	}
	return it.pkg()
}

func newPackageItem(p privileges.Package) packageItem {
	raw, _ := json.Marshal(p.Items)
	it := packageItem{base: baseOf(packageKey(p.Code), kindPackage), Code: p.Code, Name: p.Name, Status: string(p.Status),
		Version: p.Version, Items: string(raw), UpdatedAt: ts(p.UpdatedAt)}
	it.GSI1PK, it.GSI1SK = gsi1Packages, p.Code
	return it
}

// PutPackage implements privileges.Store.
func (s *Store) PutPackage(ctx context.Context, p privileges.Package, expect int64, entry audit.Entry) error {
	t := s.newTxn()
	t.put(marshal(newPackageItem(p)), versioned(expect), privileges.ErrChanged)
	t.audit(entry)
	return s.commit(ctx, t)
}

// Packages implements privileges.Store, by code.
func (s *Store) Packages(ctx context.Context, limit int, cursor string) ([]privileges.Package, string, error) {
	items, next, err := s.query(ctx, pageQuery{index: catalog.IndexGSI1, partition: gsi1Packages, limit: limit, cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]privileges.Package, 0, len(items))
	for _, raw := range items {
		var it packageItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, "", err
		}
		p, err := it.pkg()
		if err != nil {
			return nil, "", err
		}
		out = append(out, p)
	}
	return out, next, nil
}

// Grants implements privileges.Store: one strongly consistent query of the
// member's grants (of one privilege when code is given).
func (s *Store) Grants(ctx context.Context, memberID, code string) ([]privileges.Grant, error) {
	prefix := skGrantPrefix
	if code != "" {
		prefix += code + "#"
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :g)"),
		ExpressionAttributeValues: item{":pk": str(memberPK(memberID)), ":g": str(prefix)},
		ConsistentRead:            aws.Bool(true),
	}
	var out []privileges.Grant
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, classify(err)
		}
		for _, raw := range res.Items {
			var it grantItem
			if err := unmarshal(raw, &it); err != nil {
				return nil, err
			}
			out = append(out, it.grant())
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func newGrantItem(g privileges.Grant) grantItem {
	it := grantItem{base: baseOf(grantKey(g.MemberID, g.PrivilegeCode, g.Key), kindGrant), GrantID: g.GrantID, MemberID: g.MemberID,
		PrivilegeCode: g.PrivilegeCode, PackageCode: g.PackageCode, Source: g.Source, GrantKey: g.Key, Quota: g.Quota, Remaining: g.Remaining,
		Start: ts(g.Start), End: ts(g.End), Status: string(g.Status)}
	d := grantDueGSI(shardOf(g.MemberID, dueShards), ts(g.End), g.MemberID, g.PrivilegeCode, g.Key)
	it.GSI2PK, it.GSI2SK = d.pk, d.sk
	return it
}

// CommitGrants implements privileges.Store. New grants are put only where
// their key is free (a revoked level grant is replaced, reactivated); a
// taken key fails the whole transaction, so a period is never granted twice.
func (s *Store) CommitGrants(ctx context.Context, c privileges.GrantCommit) (*idempotency.Record, error) {
	t := s.newTxn()
	if c.Idempotency != nil {
		t.idempotency(*c.Idempotency)
	}
	if c.Consumed != nil {
		t.consumed(c.Consumed.Consumer, c.Consumed.EventID, s.clock.Now().Unix())
	}
	for _, g := range c.New {
		t.put(marshal(newGrantItem(g)), cond{
			expr: "attribute_not_exists(pk) OR #status = :revoked", names: map[string]string{"#status": "status"},
			values: item{":revoked": str(string(privileges.GrantRevoked))},
		}, privileges.ErrStale)
	}
	for _, g := range c.Revoke {
		t.update(grantKey(g.MemberID, g.PrivilegeCode, g.Key), "SET #status = :revoked REMOVE gsi2pk, gsi2sk", cond{
			expr: "#status = :active", names: map[string]string{"#status": "status"},
			values: item{":revoked": str(string(privileges.GrantRevoked)), ":active": str(string(privileges.GrantActive))},
		}, privileges.ErrStale)
	}
	for _, ev := range c.Events {
		t.event(ev)
	}
	if c.Audit != nil {
		t.audit(*c.Audit)
	}
	return s.commitOptionallyIdempotent(ctx, t, c.Idempotency)
}

// grantValid is the condition that a grant can give quantity at now: the
// transaction checks the window itself, whatever the expiry job did.
func grantValid(remaining int64, now time.Time, extra item) cond {
	values := item{":old": num(remaining), ":active": str(string(privileges.GrantActive)), ":now": str(ts(now))}
	for k, v := range extra {
		values[k] = v
	}
	return cond{
		expr:   "remaining = :old AND #status = :active AND startTime <= :now AND endTime > :now",
		names:  map[string]string{"#status": "status"},
		values: values,
	}
}

// Consume implements privileges.Store.
func (s *Store) Consume(ctx context.Context, c privileges.ConsumeCommit) (*idempotency.Record, error) {
	t := s.newTxn()
	t.idempotency(c.Idempotency)
	g, q := c.Grant, c.Consumption.Quantity
	t.update(grantKey(g.MemberID, g.PrivilegeCode, g.Key), "SET remaining = :new",
		grantValid(g.Remaining, c.Consumption.ConsumedAt, item{":new": num(g.Remaining - q)}), privileges.ErrStale)
	cons := c.Consumption
	it := consumeItem{base: baseOf(consumeKey(cons.ConsumeID), kindConsume), ConsumeID: cons.ConsumeID, GrantID: cons.GrantID, GrantKey: cons.GrantKey,
		MemberID: cons.MemberID, PrivilegeCode: cons.PrivilegeCode, Quantity: q, BizNo: cons.BizNo, ConsumedAt: ts(cons.ConsumedAt)}
	u := usageGSI(cons.MemberID, cons.ConsumeID)
	it.GSI1PK, it.GSI1SK = u.pk, u.sk
	t.put(marshal(it), condAbsent, apperr.Internal(fmt.Errorf("consumption %s exists", cons.ConsumeID)))
	t.event(c.Event)
	return s.commitIdempotent(ctx, t, c.Idempotency)
}

// Consumption implements privileges.Store.
func (s *Store) Consumption(ctx context.Context, consumeID string) (privileges.Consumption, error) {
	var it consumeItem
	found, err := s.get(ctx, consumeKey(consumeID), &it)
	if err != nil {
		return privileges.Consumption{}, err
	}
	if !found {
		return privileges.Consumption{}, privileges.ErrConsumeNotFound
	}
	return it.consumption(), nil
}

// Cancel implements privileges.Store.
func (s *Store) Cancel(ctx context.Context, c privileges.CancelCommit) (*idempotency.Record, error) {
	t := s.newTxn()
	t.idempotency(c.Idempotency)
	t.update(consumeKey(c.Consumption.ConsumeID), "SET cancelledAt = :at", cond{
		expr: "attribute_not_exists(cancelledAt) OR cancelledAt = :none", values: item{":at": str(ts(c.At)), ":none": str("")},
	}, apperr.Conflict("the consumption was already cancelled"))
	if g := c.Grant; g != nil {
		t.update(grantKey(g.MemberID, g.PrivilegeCode, g.Key), "SET remaining = :new",
			grantValid(g.Remaining, c.At, item{":new": num(g.Remaining + c.Consumption.Quantity)}), privileges.ErrStale)
	}
	t.event(c.Event)
	return s.commitIdempotent(ctx, t, c.Idempotency)
}

// Usage implements privileges.Store: newest first.
func (s *Store) Usage(ctx context.Context, memberID string, limit int, cursor string) ([]privileges.Consumption, string, error) {
	items, next, err := s.query(ctx, pageQuery{index: catalog.IndexGSI1, partition: usageGSI(memberID, "").pk, newestFirst: true, limit: limit, cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]privileges.Consumption, 0, len(items))
	for _, raw := range items {
		var it consumeItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, "", err
		}
		out = append(out, it.consumption())
	}
	return out, next, nil
}

// DueGrants implements privileges.Store: one range query per shard of the
// keys-only gsi2, for every grant ending by until.
func (s *Store) DueGrants(ctx context.Context, until time.Time, fn func(memberID, code, key string) error) error {
	return s.eachShard(ctx, dueShards, func(shard int) pageQuery {
		return pageQuery{index: catalog.IndexGSI2, partition: grantDueGSI(shard, "", "", "", "").pk, skTo: ts(until) + "#~"}
	}, func(it item) error {
		// <end>#<memberId>#<code>#<key...>; the key may hold '#'.
		parts := strings.SplitN(sOf(it[catalog.AttrGSI2SK]), "#", 4)
		if len(parts) != 4 {
			return nil
		}
		return fn(parts[1], parts[2], parts[3])
	})
}

// ExpireGrant implements privileges.Store; the grant leaves the due index
// (on DynamoDB; the embedded engine ignores REMOVE, and the next run finds
// the grant expired and does nothing).
func (s *Store) ExpireGrant(ctx context.Context, memberID, code, grant string, now time.Time, ev outbox.Event) error {
	t := s.newTxn()
	t.update(grantKey(memberID, code, grant), "SET #status = :expired REMOVE gsi2pk, gsi2sk", cond{
		expr: "#status = :active AND endTime <= :now", names: map[string]string{"#status": "status"},
		values: item{":expired": str(string(privileges.GrantExpired)), ":active": str(string(privileges.GrantActive)), ":now": str(ts(now))},
	}, privileges.ErrStale)
	t.event(ev)
	return s.commit(ctx, t)
}

// EachMemberID implements privileges.Store through the review index, which
// holds every member from registration on.
func (s *Store) EachMemberID(ctx context.Context, fn func(memberID string) error) error {
	return s.MembersDueForReview(ctx, "0000-00-00", "~", fn)
}

// PublishEvents implements privileges.Store: outbox items only.
func (s *Store) PublishEvents(ctx context.Context, evs []outbox.Event) error {
	for start := 0; start < len(evs); start += 25 {
		t := s.newTxn()
		for _, ev := range evs[start:min(start+25, len(evs))] {
			t.event(ev)
		}
		if err := s.commit(ctx, t); err != nil {
			return err
		}
	}
	return nil
}
