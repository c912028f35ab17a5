package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/points"
)

var (
	_ points.Store      = (*Store)(nil)
	_ points.DueWork    = (*Store)(nil)
	_ points.Reconciler = (*Store)(nil)
)

// dueShards spreads each date of the due-work index (gsi2) over this many
// partitions: a month's first earns all create lots of one date.
const dueShards = 16

type lotItem struct {
	base
	MemberID  string `dynamodbav:"memberId"`
	ExpiresOn string `dynamodbav:"expiresOn"`
	ExpiresAt string `dynamodbav:"expiresAt"`
	Remaining int64  `dynamodbav:"remaining"`
	Earned    int64  `dynamodbav:"earned"`
	Warned    bool   `dynamodbav:"warned"`
}

func (it lotItem) lot() points.Lot {
	return points.Lot{ExpiresOn: it.ExpiresOn, ExpiresAt: parseTS(it.ExpiresAt), Remaining: it.Remaining, Earned: it.Earned, Warned: it.Warned}
}

type ledgerItem struct {
	base
	EntryID       string `dynamodbav:"entryId"`
	MemberID      string `dynamodbav:"memberId"`
	Delta         int64  `dynamodbav:"delta"`
	BalanceAfter  int64  `dynamodbav:"balanceAfter"`
	Type          string `dynamodbav:"type"`
	Source        string `dynamodbav:"source"`
	BizNo         string `dynamodbav:"bizNo"`
	Reason        string `dynamodbav:"reason"`
	CreatedAt     string `dynamodbav:"createdAt"`
	ExpiresAt     string `dynamodbav:"expiresAt,omitempty"`
	OriginalBizNo string `dynamodbav:"originalBizNo,omitempty"`
	Requested     int64  `dynamodbav:"requested,omitempty"`
	Shortfall     int64  `dynamodbav:"shortfall,omitempty"`
}

func (it ledgerItem) entry() points.Entry {
	e := points.Entry{
		EntryID: it.EntryID, MemberID: it.MemberID, Delta: it.Delta, BalanceAfter: it.BalanceAfter,
		Type: points.EntryType(it.Type), Source: points.Source(it.Source), BizNo: it.BizNo, Reason: it.Reason,
		CreatedAt: parseTS(it.CreatedAt), OriginalBizNo: it.OriginalBizNo, Requested: it.Requested, Shortfall: it.Shortfall,
	}
	if it.ExpiresAt != "" {
		at := parseTS(it.ExpiresAt)
		e.ExpiresAt = &at
	}
	return e
}

func newLedgerItem(e points.Entry) ledgerItem {
	it := ledgerItem{
		base:    baseOf(ledgerKey(e.MemberID, e.EntryID), kindLedger),
		EntryID: e.EntryID, MemberID: e.MemberID, Delta: e.Delta, BalanceAfter: e.BalanceAfter,
		Type: string(e.Type), Source: string(e.Source), BizNo: e.BizNo, Reason: e.Reason, CreatedAt: ts(e.CreatedAt),
		OriginalBizNo: e.OriginalBizNo, Requested: e.Requested, Shortfall: e.Shortfall,
	}
	if e.ExpiresAt != nil {
		it.ExpiresAt = ts(*e.ExpiresAt)
	}
	return it
}

// operationAttrs are kept on the idempotency record of a points operation.
type operationAttrs struct {
	OpType     string `dynamodbav:"opType,omitempty"`
	OpMemberID string `dynamodbav:"opMemberId,omitempty"`
	OpAmount   int64  `dynamodbav:"opAmount,omitempty"`
	OpReversed int64  `dynamodbav:"opReversed"`
	OpLotOn    string `dynamodbav:"opLotOn,omitempty"`
}

func shardOf(s string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return int(h.Sum32() % uint32(n))
}

// Account implements points.Store: one strongly consistent query of the
// member's "PROFILE" items reads the balance and every lot.
func (s *Store) Account(ctx context.Context, memberID string) (points.Account, error) {
	a, _, err := s.AccountAndStanding(ctx, memberID)
	return a, err
}

// AccountAndStanding reads a member's points and growth standing with the
// same single query (an order changes both).
func (s *Store) AccountAndStanding(ctx context.Context, memberID string) (points.Account, levels.Standing, error) {
	m, lots, err := s.profileItems(ctx, memberID)
	if err != nil {
		return points.Account{}, levels.Standing{}, err
	}
	if m == nil {
		return points.Account{}, levels.Standing{}, points.ErrMemberNotFound
	}
	a := points.Account{MemberID: memberID, Active: m.Status != "FROZEN", Balance: m.Points, Version: m.BalanceVersion}
	for _, l := range lots {
		a.Lots = append(a.Lots, l.lot())
	}
	return a, m.standing(), nil
}

// profileItems reads the member item and its lots (nil member if absent).
func (s *Store) profileItems(ctx context.Context, memberID string) (*memberItem, []lotItem, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :profile)"),
		ExpressionAttributeValues: item{":pk": str(memberPK(memberID)), ":profile": str(skProfile)},
		ConsistentRead:            aws.Bool(true),
	}
	var m *memberItem
	var lots []lotItem
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, nil, classify(err)
		}
		for _, raw := range out.Items {
			switch sOf(raw[catalog.AttrKind]) {
			case kindMember:
				var it memberItem
				if err := unmarshal(raw, &it); err != nil {
					return nil, nil, err
				}
				m = &it
			case kindLot:
				var it lotItem
				if err := unmarshal(raw, &it); err != nil {
					return nil, nil, err
				}
				lots = append(lots, it)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return m, lots, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// Commit implements points.Store.
func (s *Store) Commit(ctx context.Context, c points.Commit) (*idempotency.Record, error) {
	t := s.newTxn()
	if c.Idempotency != nil {
		var op operationAttrs
		if c.Operation != nil {
			op = operationAttrs{OpType: string(c.Operation.Type), OpMemberID: c.Operation.MemberID, OpAmount: c.Operation.Amount, OpLotOn: c.Operation.LotOn}
		}
		t.idempotencyWith(*c.Idempotency, marshal(op))
	}
	m := newMemberUpdate()
	addPoints(t, m, c)
	t.member(c.Account.MemberID, m, points.ErrStale)
	return s.commitOptionallyIdempotent(ctx, t, c.Idempotency)
}

// addPoints adds a points change to a transaction: the member's balance
// (to m), its lots, ledger entries, events, a reversal and an audit entry.
func addPoints(t *txn, m *memberUpdate, c points.Commit) {
	memberID := c.Account.MemberID
	// Every points change moves the balance version: the one condition
	// that serializes all writers of this member's points.
	m.version("balanceVersion", c.Account.Version)
	m.set("points", num(c.Plan.Balance))
	if c.RequireActive {
		m.requireActive()
	}
	for _, ch := range c.Plan.Lots {
		k := lotKey(memberID, ch.After.ExpiresOn)
		if ch.New {
			it := lotItem{
				base:     baseOf(k, kindLot),
				MemberID: memberID, ExpiresOn: ch.After.ExpiresOn, ExpiresAt: ts(ch.After.ExpiresAt),
				Remaining: ch.After.Remaining, Earned: ch.After.Earned,
			}
			g := lotDueGSI(ch.After.ExpiresOn, shardOf(memberID, dueShards), memberID)
			it.GSI2PK, it.GSI2SK = g.pk, g.sk
			t.put(marshal(it), condAbsent, points.ErrStale)
			continue
		}
		t.update(k, "SET remaining = :r, earned = :e", cond{
			expr:   "remaining = :old",
			values: item{":r": num(ch.After.Remaining), ":e": num(ch.After.Earned), ":old": num(ch.Before.Remaining)},
		}, points.ErrStale)
	}
	for _, e := range c.Entries {
		t.put(marshal(newLedgerItem(e)), condAbsent, apperr.Internal(fmt.Errorf("ledger entry %s exists", e.EntryID)))
	}
	for _, ev := range c.Events {
		t.event(ev)
	}
	if r := c.Reversal; r != nil {
		t.update(idemKey(points.IdempotencyScope, r.BizNo), "SET opReversed = :to", cond{
			expr: "opReversed = :from", values: item{":to": num(r.To), ":from": num(r.From)},
		}, points.ErrStale)
	}
	if c.Audit != nil {
		t.audit(*c.Audit)
	}
}

// Operation implements points.Store.
func (s *Store) Operation(ctx context.Context, bizNo string) (points.Operation, error) {
	var it struct {
		idemItem
		operationAttrs
	}
	found, err := s.get(ctx, idemKey(points.IdempotencyScope, bizNo), &it)
	if err != nil {
		return points.Operation{}, err
	}
	if !found || it.OpType == "" {
		return points.Operation{}, points.ErrOriginalNotFound
	}
	return points.Operation{
		BizNo: bizNo, Type: points.EntryType(it.OpType), MemberID: it.OpMemberID,
		Amount: it.OpAmount, Reversed: it.OpReversed, LotOn: it.OpLotOn,
	}, nil
}

// Ledger implements points.Store: newest first.
func (s *Store) Ledger(ctx context.Context, memberID string, limit int, cursor string) ([]points.Entry, string, error) {
	items, next, err := s.query(ctx, pageQuery{
		partition: memberPK(memberID), skFrom: skLedgerPrefix, skTo: skLedgerEnd,
		newestFirst: true, limit: limit, cursor: cursor,
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]points.Entry, 0, len(items))
	for _, raw := range items {
		var it ledgerItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, "", err
		}
		out = append(out, it.entry())
	}
	return out, next, nil
}

// MembersWithLotOn implements points.DueWork through the sparse,
// keys-only gsi2, one shard after the other.
func (s *Store) MembersWithLotOn(ctx context.Context, date string, fn func(memberID string) error) error {
	return s.eachShard(ctx, dueShards, func(shard int) pageQuery {
		return pageQuery{index: catalog.IndexGSI2, partition: lotDueGSI(date, shard, "").pk}
	}, func(it item) error { return fn(sOf(it[catalog.AttrGSI2SK])) })
}

// WarnLot implements points.DueWork.
func (s *Store) WarnLot(ctx context.Context, memberID, date string, ev outbox.Event) error {
	t := s.newTxn()
	t.update(lotKey(memberID, date), "SET warned = :true", cond{
		expr: "attribute_exists(pk) AND warned = :false", values: item{":true": boolean(true), ":false": boolean(false)},
	}, points.ErrAlreadyWarned)
	t.event(ev)
	return s.commit(ctx, t)
}

// EachMember implements points.Reconciler with a scan of member items.
func (s *Store) EachMember(ctx context.Context, fn func(memberID string) error) error {
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("#kind = :member"),
		ProjectionExpression:      aws.String("memberId"),
		ExpressionAttributeNames:  map[string]string{"#kind": catalog.AttrKind},
		ExpressionAttributeValues: item{":member": str(kindMember)},
	}
	for {
		out, err := s.db.Scan(ctx, in)
		if err != nil {
			return classify(err)
		}
		for _, it := range out.Items {
			if err := fn(sOf(it["memberId"])); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// Snapshot implements points.Reconciler. It reads the member's whole
// partition and accepts the reading only if the balance version did not
// move meanwhile, so a concurrent operation is never mistaken for drift.
func (s *Store) Snapshot(ctx context.Context, memberID string) (points.Snapshot, error) {
	for attempt := 0; attempt < 5; attempt++ {
		snap, version, err := s.readPartition(ctx, memberID)
		if err != nil {
			return points.Snapshot{}, err
		}
		var m memberItem
		found, err := s.get(ctx, memberKey(memberID), &m)
		if err != nil {
			return points.Snapshot{}, err
		}
		if !found {
			return points.Snapshot{}, points.ErrMemberNotFound
		}
		if m.BalanceVersion+m.GrowthVersion == version {
			return snap, nil
		}
	}
	return points.Snapshot{}, apperr.Unavailable(errors.New("store: the member kept changing during reconciliation"))
}

func (s *Store) readPartition(ctx context.Context, memberID string) (points.Snapshot, int64, error) {
	snap := points.Snapshot{MemberID: memberID}
	var version int64
	balanceSeen := false
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: item{":pk": str(memberPK(memberID))},
		ConsistentRead:            aws.Bool(true),
	}
	var afters []int64
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return snap, 0, classify(err)
		}
		for _, raw := range out.Items {
			switch sOf(raw[catalog.AttrKind]) {
			case kindMember:
				var it memberItem
				if err := unmarshal(raw, &it); err != nil {
					return snap, 0, err
				}
				snap.Balance, version, balanceSeen = it.Points, it.BalanceVersion+it.GrowthVersion, true
				snap.Growth = it.Growth
			case kindLot:
				var it lotItem
				if err := unmarshal(raw, &it); err != nil {
					return snap, 0, err
				}
				snap.LotSum += it.Remaining
			case kindGrowth:
				var it growthItem
				if err := unmarshal(raw, &it); err != nil {
					return snap, 0, err
				}
				snap.GrowthSum += it.Delta
			case kindLedger:
				var it ledgerItem
				if err := unmarshal(raw, &it); err != nil {
					return snap, 0, err
				}
				snap.LedgerSum += it.Delta
				snap.Entries++
				afters = append(afters, it.BalanceAfter)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if !balanceSeen {
		return snap, 0, points.ErrMemberNotFound
	}
	// The last committed entry leaves the balance it reports; entry ids
	// order entries only as well as the instances' clocks agree, so look
	// for it rather than trusting the newest id.
	snap.LastBalanceAfter = snap.Balance
	if snap.Entries > 0 {
		snap.LastBalanceAfter = afters[len(afters)-1]
		for _, a := range afters {
			if a == snap.Balance {
				snap.LastBalanceAfter = a
				break
			}
		}
	}
	return snap, version, nil
}

func boolean(b bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: b} }
