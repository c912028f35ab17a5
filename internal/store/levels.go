package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/levels"
)

type ladderItem struct {
	base
	Version int64  `dynamodbav:"version"`
	Levels  string `dynamodbav:"levels"` // JSON array of levels.Level
}

const configLadder = "LEVELS"

// Ladder returns the stored level ladder, or the default one if none was
// ever stored.
func (s *Store) Ladder(ctx context.Context) (levels.Ladder, error) {
	var it ladderItem
	found, err := s.get(ctx, configKey(configLadder), &it)
	if err != nil {
		return levels.Ladder{}, err
	}
	if !found {
		return levels.Default(), nil
	}
	l := levels.Ladder{Version: it.Version}
	if err := json.Unmarshal([]byte(it.Levels), &l.Levels); err != nil {
		return levels.Ladder{}, apperr.Internal(fmt.Errorf("store: stored ladder: %w", err))
	}
	return l, nil
}

// EnsureLadder stores l unless a ladder is stored already; it reports
// whether it stored it.
func (s *Store) EnsureLadder(ctx context.Context, l levels.Ladder) (bool, error) {
	raw, err := json.Marshal(l.Levels)
	if err != nil {
		return false, apperr.Internal(err)
	}
	err = s.putNew(ctx, ladderItem{base: baseOf(configKey(configLadder), kindConfig), Version: l.Version, Levels: string(raw)}, errExists)
	if err == errExists {
		return false, nil
	}
	return err == nil, err
}

var errExists = apperr.Conflict("exists")
