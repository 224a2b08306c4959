package state

import (
	"context"
	"errors"
)

// NewPebble is not built yet.
func NewPebble(ctx context.Context, opts Options) (KeyedBackend, error) {
	return nil, errors.New("state backend pebble: not built yet")
}
