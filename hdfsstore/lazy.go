package hdfsstore

import (
	"context"
	"sync"
)

// Lazy is a Store opened at its first use: for holders that usually never
// touch a file (a JobManager whose jobs never checkpoint, a subtask that
// takes no savepoint), since opening one can mean loading the Hadoop
// configuration and a Kerberos login. Safe for concurrent use.
type Lazy struct {
	open func(ctx context.Context) (*Store, error)
	mu   sync.Mutex
	s    *Store
}

// NewLazy returns a Lazy that opens its Store with open.
func NewLazy(open func(ctx context.Context) (*Store, error)) *Lazy { return &Lazy{open: open} }

// Get returns the Store, opening it on the first call; a failed open is
// tried again on the next call.
func (l *Lazy) Get(ctx context.Context) (*Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s == nil {
		s, err := l.open(ctx)
		if err != nil {
			return nil, err
		}
		l.s = s
	}
	return l.s, nil
}

// Close closes the Store if it was opened.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s == nil {
		return nil
	}
	return l.s.Close()
}
