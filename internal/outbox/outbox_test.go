package outbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDispatcher_CountsDuplicatesAsSuccessAndJoinsFailures(t *testing.T) {
	var got []string
	d := NewDispatcher()
	d.On("A", "first", func(_ context.Context, ev Event) error { got = append(got, "first:"+ev.ID); return nil })
	d.On("A", "dup", func(context.Context, Event) error { return ErrDuplicate })
	d.On("B", "failing", func(context.Context, Event) error { return errors.New("boom") })

	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := d.Dispatch(context.Background(), New("1", "A", at, "", nil)); err != nil {
		t.Fatalf("Dispatch(A) = %v", err)
	}
	if err := d.Dispatch(context.Background(), New("2", "B", at, "", nil)); err == nil {
		t.Fatal("a failing consumer must fail the dispatch")
	}
	if err := d.Dispatch(context.Background(), New("3", "C", at, "", nil)); err != nil {
		t.Fatalf("an event nobody consumes must be ignored, got %v", err)
	}
	if len(got) != 1 || got[0] != "first:1" {
		t.Fatalf("got %v", got)
	}
}

type memPending struct {
	events  []Event
	deleted []string
	failDel bool
}

func (m *memPending) PendingEvents(_ context.Context, limit int) ([]Event, error) {
	n := min(limit, len(m.events))
	return append([]Event(nil), m.events[:n]...), nil
}

func (m *memPending) DeleteEvents(_ context.Context, ids []string) error {
	if m.failDel {
		return errors.New("delete failed")
	}
	m.deleted = append(m.deleted, ids...)
	m.events = m.events[len(ids):]
	return nil
}

type memPublisher struct {
	published []Event
	fail      bool
}

func (p *memPublisher) Publish(_ context.Context, evs []Event) error {
	if p.fail {
		return errors.New("bus down")
	}
	p.published = append(p.published, evs...)
	return nil
}

func TestRelay_Drain(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(n int) []Event {
		var out []Event
		for i := range n {
			out = append(out, New(string(rune('a'+i%26))+string(rune('0'+i/26)), "T", at, "", nil))
		}
		return out
	}
	t.Run("publishes everything in order then deletes it", func(t *testing.T) {
		src, pub := &memPending{events: mk(60)}, &memPublisher{}
		n, err := NewRelay(src, pub).Drain(context.Background())
		if err != nil || n != 60 || len(pub.published) != 60 || len(src.deleted) != 60 {
			t.Fatalf("n=%d err=%v published=%d deleted=%d", n, err, len(pub.published), len(src.deleted))
		}
	})
	t.Run("keeps events when publishing fails", func(t *testing.T) {
		src, pub := &memPending{events: mk(3)}, &memPublisher{fail: true}
		if _, err := NewRelay(src, pub).Drain(context.Background()); err == nil {
			t.Fatal("want error")
		}
		if len(src.deleted) != 0 || len(src.events) != 3 {
			t.Fatal("unpublished events must stay pending")
		}
	})
}
