package levels

import (
	"context"
	"sync"
	"time"

	"github.com/arkmember/arkmember/internal/clock"
)

// Source gives the current ladder.
type Source interface {
	Ladder(ctx context.Context) (Ladder, error)
}

// Cache keeps the ladder for a short time per function instance, so hot
// paths read it from memory (it replaces the Redis cache of a classic
// design); a change reaches every instance within the TTL.
type Cache struct {
	src   Source
	ttl   time.Duration
	clock clock.Clock

	mu     sync.Mutex
	ladder Ladder
	at     time.Time
	valid  bool
}

// NewCache wraps src with a cache of the given TTL.
func NewCache(src Source, ttl time.Duration, c clock.Clock) *Cache {
	return &Cache{src: src, ttl: ttl, clock: c}
}

// Ladder returns the cached ladder, reading it again once the TTL passed.
func (c *Cache) Ladder(ctx context.Context) (Ladder, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if c.valid && !now.Before(c.at) && now.Sub(c.at) < c.ttl {
		return c.ladder, nil
	}
	l, err := c.src.Ladder(ctx)
	if err != nil {
		return Ladder{}, err
	}
	c.ladder, c.at, c.valid = l, now, true
	return l, nil
}

// Invalidate drops the cached ladder, e.g. after this instance changed it.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.valid = false
}
