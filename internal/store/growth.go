package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/privileges"
)

var _ levels.Store = (*Store)(nil)

type growthItem struct {
	base
	EntryID     string `dynamodbav:"entryId"`
	MemberID    string `dynamodbav:"memberId"`
	Delta       int64  `dynamodbav:"delta"`
	GrowthAfter int64  `dynamodbav:"growthAfter"`
	Source      string `dynamodbav:"source"`
	BizNo       string `dynamodbav:"bizNo"`
	Reason      string `dynamodbav:"reason"`
	CreatedAt   string `dynamodbav:"createdAt"`
}

type historyItem struct {
	base
	HistoryID string `dynamodbav:"historyId"`
	MemberID  string `dynamodbav:"memberId"`
	From      string `dynamodbav:"from"`
	To        string `dynamodbav:"to"`
	Reason    string `dynamodbav:"reason"`
	At        string `dynamodbav:"at"`
}

type packageItem struct {
	base
	Code      string `dynamodbav:"code"`
	Name      string `dynamodbav:"name"`
	Status    string `dynamodbav:"status"`
	Version   int64  `dynamodbav:"version"`
	Items     string `dynamodbav:"items"` // JSON array of privileges.Item
	UpdatedAt string `dynamodbav:"updatedAt,omitempty"`
}

// Standing implements levels.Store.
func (s *Store) Standing(ctx context.Context, memberID string) (levels.Standing, error) {
	var it memberItem
	found, err := s.get(ctx, memberKey(memberID), &it)
	if err != nil {
		return levels.Standing{}, err
	}
	if !found {
		return levels.Standing{}, levels.ErrMemberNotFound
	}
	return it.standing(), nil
}

func (it memberItem) standing() levels.Standing {
	return levels.Standing{
		MemberID: it.MemberID, Active: it.Status != "FROZEN", Growth: it.Growth, SinceReview: it.GrowthSinceReview,
		LevelCode: it.LevelCode, ReviewAt: parseTS(it.ReviewAt), WarnedFor: parseTS(it.WarnedFor), Version: it.GrowthVersion,
		Offset: it.GrowthOffset,
	}
}

// CommitGrowth implements levels.Store.
func (s *Store) CommitGrowth(ctx context.Context, c levels.Commit) (*idempotency.Record, error) {
	t := s.newTxn()
	if c.Idempotency != nil {
		t.idempotency(*c.Idempotency)
	}
	m := newMemberUpdate()
	addGrowth(t, m, c)
	t.member(c.Standing.MemberID, m, levels.ErrStale)
	return s.commitOptionallyIdempotent(ctx, t, c.Idempotency)
}

// addGrowth adds a growth or level change to a transaction: the member's
// growth, level and review (to m), the growth entry, the history entries,
// events and an audit entry.
func addGrowth(t *txn, m *memberUpdate, c levels.Commit) {
	memberID := c.Standing.MemberID
	p := c.Plan
	m.version("growthVersion", c.Standing.Version)
	m.set("growth", num(p.Growth))
	m.set("growthSinceReview", num(p.SinceReview))
	m.set("growthOffset", num(p.Offset))
	m.set("levelCode", str(p.Level.Code))
	m.set("warnedFor", str(ts(p.WarnedFor)))
	if c.RequireActive {
		m.requireActive()
	}
	// The review index entry moves only when the review date does, so
	// most growth changes cost the keys-only index nothing. A member never
	// leaves the index: without a review it waits under "NONE" (see
	// reviewGSI), so an update only ever moves an entry.
	if !p.ReviewAt.Equal(c.Standing.ReviewAt) {
		m.set("reviewAt", str(ts(p.ReviewAt)))
		g := reviewGSI(p.ReviewAt, memberID)
		m.set(catalog.AttrGSI2PK, str(g.pk))
		m.set(catalog.AttrGSI2SK, str(g.sk))
	}
	if e := c.Entry; e != nil {
		t.put(marshal(growthItem{
			base:    baseOf(growthKey(memberID, e.EntryID), kindGrowth),
			EntryID: e.EntryID, MemberID: memberID, Delta: e.Delta, GrowthAfter: e.GrowthAfter,
			Source: e.Source, BizNo: e.BizNo, Reason: e.Reason, CreatedAt: ts(e.CreatedAt),
		}), condAbsent, apperr.Internal(fmt.Errorf("growth entry %s exists", e.EntryID)))
	}
	for _, h := range p.Changes {
		t.put(marshal(historyItem{
			base:      baseOf(historyKey(memberID, h.ID), kindHistory),
			HistoryID: h.ID, MemberID: memberID, From: h.From, To: h.To, Reason: h.Reason, At: ts(h.At),
		}), condAbsent, apperr.Internal(fmt.Errorf("history entry %s exists", h.ID)))
	}
	for _, ev := range c.Events {
		t.event(ev)
	}
	if c.Audit != nil {
		t.audit(*c.Audit)
	}
}

// reviewGSI is the review index entry of a member: in its shard, sorted by
// the date of its next review, or under "NONE" (after every date) for
// members whose level is not reviewed. Every member is in the index from
// registration on (a put), because the embedded engine corrupts an index
// when an update brings an item into it; an update only moves the entry.
func reviewGSI(reviewAt time.Time, memberID string) key {
	date := "NONE"
	if !reviewAt.IsZero() {
		date = levels.ReviewDate(reviewAt)
	}
	return reviewDueGSI(date, shardOf(memberID, dueShards), memberID)
}

// History implements levels.Store: newest first.
func (s *Store) History(ctx context.Context, memberID string, limit int, cursor string) ([]levels.History, string, error) {
	items, next, err := s.query(ctx, pageQuery{partition: memberPK(memberID), skFrom: skHistoryPrefix, skTo: skHistoryEnd, newestFirst: true, limit: limit, cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]levels.History, 0, len(items))
	for _, raw := range items {
		var it historyItem
		if err := unmarshal(raw, &it); err != nil {
			return nil, "", err
		}
		out = append(out, levels.History{ID: it.HistoryID, From: it.From, To: it.To, Reason: it.Reason, At: parseTS(it.At)})
	}
	return out, next, nil
}

// MembersDueForReview implements levels.Store through the keys-only gsi2:
// one range query per shard, however long ago the reviews fell due.
func (s *Store) MembersDueForReview(ctx context.Context, from, to string, fn func(memberID string) error) error {
	return s.eachShard(ctx, dueShards, func(shard int) pageQuery {
		return pageQuery{index: catalog.IndexGSI2, partition: reviewDueGSI("", shard, "").pk, skFrom: from, skTo: to + "~"}
	}, func(it item) error {
		_, memberID, _ := strings.Cut(sOf(it[catalog.AttrGSI2SK]), "#")
		return fn(memberID)
	})
}

// PutLadder implements levels.Store: the ladder is replaced only if it is
// still at expectVersion, with its audit entry.
func (s *Store) PutLadder(ctx context.Context, l levels.Ladder, expectVersion int64, entry audit.Entry) error {
	raw, err := json.Marshal(l.Levels)
	if err != nil {
		return apperr.Internal(err)
	}
	t := s.newTxn()
	c := cond{expr: "version = :v", values: item{":v": num(expectVersion)}}
	if expectVersion == 0 {
		c = cond{expr: "attribute_not_exists(pk) OR version = :v", values: item{":v": num(0)}}
	}
	t.put(marshal(ladderItem{base: baseOf(configKey(configLadder), kindConfig), Version: l.Version, Levels: string(raw)}), c, levels.ErrLadderChanged)
	t.audit(entry)
	return s.commit(ctx, t)
}

// MissingPackages implements levels.Store.
func (s *Store) MissingPackages(ctx context.Context, codes []string) ([]string, error) {
	want := map[string]bool{}
	var keys []map[string]types.AttributeValue
	for _, c := range codes {
		if !want[c] {
			want[c] = true
			keys = append(keys, packageKey(c).av())
		}
	}
	for start := 0; start < len(keys); start += 100 {
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys[start:min(start+100, len(keys))], ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("code")}}
		for attempt := 1; len(req) > 0; attempt++ {
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, classify(err)
			}
			for _, it := range out.Responses[s.table] {
				delete(want, sOf(it["code"]))
			}
			req = out.UnprocessedKeys
			if len(req) > 0 && attempt >= txnMaxAttempts {
				return nil, apperr.Unavailable(fmt.Errorf("store: package lookup left keys unprocessed"))
			}
		}
	}
	var missing []string
	for _, c := range codes {
		if want[c] {
			missing = append(missing, c)
			delete(want, c)
		}
	}
	return missing, nil
}

// EnsurePackage stores a package unless one of its code exists (the dev
// server's defaults; what staff changed stays).
func (s *Store) EnsurePackage(ctx context.Context, p privileges.Package) error {
	err := s.putNew(ctx, newPackageItem(p), errExists)
	if err == errExists {
		return nil
	}
	return err
}

// EnsurePrivilege stores a privilege unless one of its code exists.
func (s *Store) EnsurePrivilege(ctx context.Context, p privileges.Privilege) error {
	it := privItem{base: baseOf(privilegeKey(p.Code), kindPriv), Code: p.Code, Name: p.Name, Type: string(p.Type), Params: string(p.Params),
		Status: string(p.Status), Version: p.Version, UpdatedAt: ts(p.UpdatedAt)}
	it.GSI1PK, it.GSI1SK = gsi1Privileges, p.Code
	err := s.putNew(ctx, it, errExists)
	if err == errExists {
		return nil
	}
	return err
}
