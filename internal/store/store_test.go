package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	miniserver "github.com/truora/minidyn/server"

	"github.com/arkmember/arkmember/internal/accounts"
	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/store"
	"github.com/arkmember/arkmember/internal/testenv"
)

type fixture struct {
	store *store.Store
	db    testenv.DB
	clock *clock.Fixed
	ids   *ids.Generator
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	t.Parallel()
	c := clock.NewFixed(testenv.Now)
	s, db := testenv.Store(t, c)
	return fixture{store: s, db: db, clock: c, ids: ids.New(c)}
}

func (f fixture) member(mobileIndex string) (accounts.Member, accounts.Family, outbox.Event) {
	id := f.ids.New()
	now := f.clock.Now()
	m := accounts.Member{ID: id, MobileCipher: "v1.x", MobileIndex: mobileIndex, PasswordHash: "h", Nickname: "n",
		Gender: accounts.GenderUnknown, LevelCode: "BRONZE", Status: accounts.StatusActive, CreatedAt: now, UpdatedAt: now}
	fam := accounts.Family{ID: f.ids.New(), Subject: id, Role: catalog.RoleMember, Generation: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	return m, fam, outbox.New(f.ids.New(), accounts.EventMemberRegistered, now, id, map[string]string{"memberId": id})
}

func TestCreateMember_OneOfConcurrentRegistrationsOfAMobileWins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 30
	var wins, taken atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, fam, ev := f.member("same-mobile")
			switch err := f.store.CreateMember(ctx, m, fam, ev); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, accounts.ErrMobileTaken):
				taken.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || taken.Load() != n-1 {
		t.Fatalf("wins=%d taken=%d, want 1 and %d", wins.Load(), taken.Load(), n-1)
	}
	pending, err := f.store.PendingEvents(ctx, 100)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending events = %d (%v), want exactly the winner's", len(pending), err)
	}
	id, err := f.store.MemberIDByMobile(ctx, "same-mobile")
	if err != nil || pending[0].MemberID != id {
		t.Fatalf("mobile points at %q, event at %q (%v)", id, pending[0].MemberID, err)
	}
}

func TestRotateFamily_OnlyOneConcurrentRotationWins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m, fam, ev := f.member("m")
	if err := f.store.CreateMember(ctx, m, fam, ev); err != nil {
		t.Fatal(err)
	}
	var wins, stale atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := f.store.RotateFamily(ctx, fam.ID, 1, f.clock.Now().Add(time.Hour)); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, accounts.ErrStale):
				stale.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := f.store.Family(ctx, fam.ID)
	if wins.Load() != 1 || stale.Load() != 19 || err != nil || got.Generation != 2 {
		t.Fatalf("wins=%d stale=%d generation=%d err=%v", wins.Load(), stale.Load(), got.Generation, err)
	}
	if err := f.store.RevokeFamily(ctx, fam.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RotateFamily(ctx, fam.ID, 2, f.clock.Now()); !errors.Is(err, accounts.ErrStale) {
		t.Fatalf("rotating a revoked family = %v, want ErrStale", err)
	}
}

func TestSaveMemberGuard_IsOptimistic(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m, fam, ev := f.member("g")
	if err := f.store.CreateMember(ctx, m, fam, ev); err != nil {
		t.Fatal(err)
	}
	g := auth.Guard{Failures: 1, WindowStart: f.clock.Now(), Version: 1}
	if err := f.store.SaveMemberGuard(ctx, m.ID, g, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveMemberGuard(ctx, m.ID, g, 0); !errors.Is(err, accounts.ErrStale) {
		t.Fatalf("second save at the old version = %v, want ErrStale", err)
	}
	if err := f.store.SaveMemberGuard(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV", g, 0); !errors.Is(err, accounts.ErrMemberNotFound) {
		t.Fatalf("unknown member = %v", err)
	}
	got, _ := f.store.Member(ctx, m.ID)
	if got.Guard.Failures != 1 || got.Guard.Version != 1 || !got.Guard.WindowStart.Equal(f.clock.Now()) {
		t.Fatalf("guard = %+v", got.Guard)
	}
}

func TestUpdateProfile_SetsAndClearsOnlyGivenFields(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m, fam, ev := f.member("p")
	if err := f.store.CreateMember(ctx, m, fam, ev); err != nil {
		t.Fatal(err)
	}
	nick, avatar, birthday := "Neo", "https://img.example/a.png", "1990-02-03"
	if _, err := f.store.UpdateProfile(ctx, m.ID, accounts.ProfilePatch{Nickname: &nick, AvatarURL: &avatar, Birthday: &birthday}, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	empty := ""
	got, err := f.store.UpdateProfile(ctx, m.ID, accounts.ProfilePatch{AvatarURL: &empty}, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got.Nickname != "Neo" || got.AvatarURL != "" || got.Birthday != birthday || got.LevelCode != "BRONZE" {
		t.Fatalf("member = %+v", got)
	}
	if _, err := f.store.UpdateProfile(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV", accounts.ProfilePatch{Nickname: &nick}, f.clock.Now()); !errors.Is(err, accounts.ErrMemberNotFound) {
		t.Fatalf("unknown member = %v", err)
	}
}

func TestSetMemberStatus_WritesChangeAuditAndEventTogether(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m, fam, ev := f.member("s")
	if err := f.store.CreateMember(ctx, m, fam, ev); err != nil {
		t.Fatal(err)
	}
	actor := audit.Actor{Subject: "admin", Role: "admin", RequestID: "r1"}
	entry := func() audit.Entry {
		return audit.NewEntry(f.ids.New(), f.clock.Now(), actor, "member.status.set", "member/"+m.ID, nil, nil)
	}
	change := func() outbox.Event {
		return outbox.New(f.ids.New(), accounts.EventMemberStatusChanged, f.clock.Now(), m.ID, nil)
	}

	// A fault in DynamoDB leaves nothing behind.
	f.db.Engine.Mini.EmulateFailureForTable(f.db.Table, miniserver.FailureConditionInternalServerError)
	err := f.store.SetMemberStatus(ctx, m.ID, accounts.StatusActive, accounts.StatusFrozen, "fraud", f.clock.Now(), entry(), change())
	f.db.Engine.Mini.EmulateFailureForTable(f.db.Table, miniserver.FailureConditionNone)
	if apperr.KindOf(err) != apperr.KindUnavailable {
		t.Fatalf("fault = %v, want UNAVAILABLE", err)
	}
	assertCounts(t, f, accounts.StatusActive, 0, 1)

	if err := f.store.SetMemberStatus(ctx, m.ID, accounts.StatusActive, accounts.StatusFrozen, "fraud", f.clock.Now(), entry(), change()); err != nil {
		t.Fatal(err)
	}
	assertCounts(t, f, accounts.StatusFrozen, 1, 2)

	// A stale expectation changes nothing either.
	err = f.store.SetMemberStatus(ctx, m.ID, accounts.StatusActive, accounts.StatusFrozen, "again", f.clock.Now(), entry(), change())
	if !errors.Is(err, accounts.ErrStale) {
		t.Fatalf("stale change = %v", err)
	}
	assertCounts(t, f, accounts.StatusFrozen, 1, 2)
}

func assertCounts(t *testing.T, f fixture, status accounts.Status, audits, events int) {
	t.Helper()
	ctx := context.Background()
	got, err := f.store.Member(ctx, memberIDOf(t, f))
	if err != nil || got.Status != status {
		t.Fatalf("status = %s (%v), want %s", got.Status, err, status)
	}
	entries, _, err := f.store.ListAudit(ctx, audit.Filter{}, 100, "")
	if err != nil || len(entries) != audits {
		t.Fatalf("audit entries = %d (%v), want %d", len(entries), err, audits)
	}
	pending, err := f.store.PendingEvents(ctx, 100)
	if err != nil || len(pending) != events {
		t.Fatalf("events = %d (%v), want %d", len(pending), err, events)
	}
}

func memberIDOf(t *testing.T, f fixture) string {
	t.Helper()
	id, err := f.store.MemberIDByMobile(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestListAudit_FiltersAndPagesNewestFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var all []audit.Entry
	for i := range 7 {
		actor := "alice"
		if i%2 == 1 {
			actor = "bob"
		}
		action := "member.status.set"
		if i == 6 {
			action = "levels.set"
		}
		e := audit.NewEntry(f.ids.New(), f.clock.Now(), audit.Actor{Subject: actor, Role: "admin"}, action, fmt.Sprintf("member/%d", i), nil, map[string]int{"i": i})
		if _, err := f.store.CommitProbe(ctx, idempotency.Record{Scope: "probe", BizNo: fmt.Sprint(i), RequestHash: "h"}, outbox.New(f.ids.New(), "T", f.clock.Now(), "", nil), e); err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
		f.clock.Advance(time.Minute)
	}
	tests := []struct {
		name   string
		filter audit.Filter
		want   []int
	}{
		{"everything", audit.Filter{}, []int{6, 5, 4, 3, 2, 1, 0}},
		{"by actor", audit.Filter{Actor: "bob"}, []int{5, 3, 1}},
		{"by action", audit.Filter{Action: "member.status.set"}, []int{5, 4, 3, 2, 1, 0}},
		{"by actor and action", audit.Filter{Actor: "alice", Action: "levels.set"}, []int{6}},
		{"by time", audit.Filter{From: all[2].At, To: all[4].At}, []int{4, 3, 2}},
		{"nothing", audit.Filter{Actor: "carol"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			cursor := ""
			for page := 0; ; page++ {
				items, next, err := f.store.ListAudit(ctx, tt.filter, 2, cursor)
				if err != nil {
					t.Fatal(err)
				}
				if len(items) > 2 || (next != "" && len(items) != 2) {
					t.Fatalf("page %d has %d items, next=%q", page, len(items), next)
				}
				for _, e := range items {
					var i int
					_, _ = fmt.Sscanf(e.Target, "member/%d", &i)
					got = append(got, i)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("a cursor of another list is refused", func(t *testing.T) {
		_, next, err := f.store.ListAudit(ctx, audit.Filter{Actor: "bob"}, 1, "")
		if err != nil || next == "" {
			t.Fatalf("next=%q err=%v", next, err)
		}
		if _, _, err := f.store.ListAudit(ctx, audit.Filter{Actor: "alice"}, 1, next); apperr.KindOf(err) != apperr.KindInvalid {
			t.Fatalf("foreign cursor = %v, want VALIDATION_FAILED", err)
		}
		if _, _, err := f.store.ListAudit(ctx, audit.Filter{}, 1, "not-a-cursor!"); apperr.KindOf(err) != apperr.KindInvalid {
			t.Fatalf("garbage cursor = %v, want VALIDATION_FAILED", err)
		}
	})
}

func TestCommitIdempotent_ReplaysSameRequestAndRefusesAnother(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rec := func(hash string) idempotency.Record {
		return idempotency.Record{Scope: "points.earn", BizNo: "ORDER-1", RequestHash: hash, Status: 201, Body: []byte(`{"entryId":"e1"}`), CreatedAt: f.clock.Now()}
	}
	probe := func(hash string) (*idempotency.Record, error) {
		e := audit.NewEntry(f.ids.New(), f.clock.Now(), audit.Actor{Subject: "svc"}, "probe", "x", nil, nil)
		return f.store.CommitProbe(ctx, rec(hash), outbox.New(f.ids.New(), "T", f.clock.Now(), "", nil), e)
	}
	const n = 40
	var fresh, replays atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replay, err := probe("hash-a")
			switch {
			case err != nil:
				t.Errorf("unexpected: %v", err)
			case replay == nil:
				fresh.Add(1)
			case replay.Status != 201 || string(replay.Body) != `{"entryId":"e1"}`:
				t.Errorf("replay = %+v", replay)
			default:
				replays.Add(1)
			}
		}()
	}
	wg.Wait()
	if fresh.Load() != 1 || replays.Load() != n-1 {
		t.Fatalf("fresh=%d replays=%d", fresh.Load(), replays.Load())
	}
	if _, err := probe("hash-b"); !errors.Is(err, idempotency.ErrConflict) {
		t.Fatalf("other payload = %v, want IDEMPOTENCY_CONFLICT", err)
	}
	entries, _, _ := f.store.ListAudit(ctx, audit.Filter{}, 100, "")
	pending, _ := f.store.PendingEvents(ctx, 100)
	if len(entries) != 1 || len(pending) != 1 {
		t.Fatalf("replays wrote more: %d audit entries, %d events", len(entries), len(pending))
	}
}

func TestOutbox_PendingAcrossShardsAndDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var want []string
	for i := range 30 {
		e := audit.NewEntry(f.ids.New(), f.clock.Now(), audit.Actor{Subject: "a"}, "probe", "x", nil, nil)
		ev := outbox.New(f.ids.New(), "T", f.clock.Now(), "", map[string]int{"i": i})
		if _, err := f.store.CommitProbe(ctx, idempotency.Record{Scope: "s", BizNo: fmt.Sprint(i), RequestHash: "h"}, ev, e); err != nil {
			t.Fatal(err)
		}
		want = append(want, ev.ID)
	}
	got, err := f.store.PendingEvents(ctx, 100)
	if err != nil || len(got) != 30 {
		t.Fatalf("pending = %d (%v)", len(got), err)
	}
	if string(got[0].Data) == "" || got[0].Type != "T" {
		t.Fatalf("event = %+v", got[0])
	}
	if err := f.store.DeleteEvents(ctx, want[:29]); err != nil {
		t.Fatal(err)
	}
	got, err = f.store.PendingEvents(ctx, 100)
	if err != nil || len(got) != 1 || got[0].ID != want[29] {
		t.Fatalf("after delete: %v (%v)", got, err)
	}
}

func TestMarkConsumed_SecondTimeIsDuplicate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.store.MarkConsumed(ctx, "grants", "ev1"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkConsumed(ctx, "grants", "ev1"); !errors.Is(err, outbox.ErrDuplicate) {
		t.Fatalf("second = %v, want ErrDuplicate", err)
	}
	if err := f.store.MarkConsumed(ctx, "other", "ev1"); err != nil {
		t.Fatalf("another consumer = %v", err)
	}
}

func TestLadder_DefaultUntilStoredOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	l, err := f.store.Ladder(ctx)
	if err != nil || len(l.Levels) != len(levels.Default().Levels) {
		t.Fatalf("ladder = %+v (%v)", l, err)
	}
	custom := levels.Default()
	custom.Levels = custom.Levels[:2]
	if stored, err := f.store.EnsureLadder(ctx, custom); err != nil || !stored {
		t.Fatalf("EnsureLadder = %v, %v", stored, err)
	}
	if stored, err := f.store.EnsureLadder(ctx, levels.Default()); err != nil || stored {
		t.Fatalf("second EnsureLadder = %v, %v; must keep the first", stored, err)
	}
	l, _ = f.store.Ladder(ctx)
	if len(l.Levels) != 2 || l.Levels[1].PointsMultiplier != 1200 {
		t.Fatalf("stored ladder = %+v", l)
	}
}

func TestStaffAndClients(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st := accounts.Staff{Username: "ops1", PasswordHash: "h", Role: catalog.RoleOperator, Status: accounts.StatusActive, CreatedAt: f.clock.Now()}
	if err := f.store.PutStaff(ctx, st, true); err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutStaff(ctx, st, true); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("duplicate = %v", err)
	}
	got, err := f.store.Staff(ctx, "ops1")
	if err != nil || got.Role != catalog.RoleOperator {
		t.Fatalf("staff = %+v (%v)", got, err)
	}
	if _, err := f.store.Staff(ctx, "nobody"); !errors.Is(err, accounts.ErrStaffNotFound) {
		t.Fatalf("missing staff = %v", err)
	}
	if err := f.store.PutClient(ctx, accounts.ServiceClient{ClientID: "orders", SecretHash: "h", Status: accounts.StatusActive}, true); err != nil {
		t.Fatal(err)
	}
	if c, err := f.store.Client(ctx, "orders"); err != nil || c.SecretHash != "h" {
		t.Fatalf("client = %+v (%v)", c, err)
	}
}
