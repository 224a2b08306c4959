package state

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
)

// Pebble is the keyed backend on disk (state.backend.type: pebble): one
// Pebble LSM per slot in a local directory, so state may be far larger than
// memory (only Pebble's block cache and memtables are held). Every entry is
// one Pebble key:
//
//	+------------+------------+----------------+-----------------+----------------------+
//	| key group  | state id   | lp(record key) | lp(namespace)   | user key (map state) |
//	| u16 BE     | u16 BE     |                |                 |                      |
//	+------------+------------+----------------+-----------------+----------------------+
//
// so a key-group range is one contiguous scan. States are declared under
// the reserved key group 0xFFFF ("meta": name → id, kind, TTL), which lives
// in the same checkpoint files.
//
// Checkpoints are Pebble checkpoints (Checkpoint): the memtable is flushed
// and the immutable SST files hard-linked into a directory; with an
// uploaded set they report which files are new, for incremental
// checkpoints. The WAL is off: what survives a failure is what a
// checkpoint holds, as in Flink's RocksDB backend.
type Pebble struct {
	*keyedCore
	ps   *pebbleStore
	dir  string // ours: removed on Close
	uid  string // names this DB's shared files uniquely
	seq  int
	opts Options
	// known maps restored shared files to the names they were uploaded
	// under (Options.PebbleRestoreShared).
	known map[string]string
}

type pebbleStore struct {
	db  *pebble.DB
	key []byte
}

var (
	metaPrefix = []byte{0xFF, 0xFF, 's'}
	maxPKey    = []byte{0xFF, 0xFF, 'p'}
)

// quietLogger drops Pebble's informational logs; errors still go out.
type quietLogger struct{ pebble.Logger }

func (quietLogger) Infof(string, ...any) {}

func pebbleOptions() *pebble.Options {
	o := &pebble.Options{DisableWAL: true, MemTableSize: 32 << 20, Logger: quietLogger{pebble.DefaultLogger}}
	return o
}

// NewPebble opens a Pebble backend in a fresh directory under opts.Dir,
// restoring opts.PebbleRestore (key groups outside opts.Range dropped).
func NewPebble(ctx context.Context, opts Options) (*Pebble, error) {
	opts.Type = TypePebble
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("open pebble state backend: no local directory (Options.Dir)")
	}
	dir, err := os.MkdirTemp(opts.Dir, "floe-pebble-")
	if err != nil {
		return nil, fmt.Errorf("open pebble state backend: %w", err)
	}
	uid := make([]byte, 8)
	_, _ = rand.Read(uid)
	p := &Pebble{dir: dir, uid: hex.EncodeToString(uid), opts: opts, known: opts.PebbleRestoreShared}
	if err := p.open(ctx); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Pebble) dbDir() string { return filepath.Join(p.dir, "db") }

func (p *Pebble) open(ctx context.Context) error {
	if len(p.opts.PebbleRestore) > 0 {
		if err := linkDir(p.opts.PebbleRestore[0], p.dbDir()); err != nil {
			return fmt.Errorf("restore pebble checkpoint %s: %w", p.opts.PebbleRestore[0], err)
		}
	}
	db, err := pebble.Open(p.dbDir(), pebbleOptions())
	if err != nil {
		return fmt.Errorf("open pebble in %s: %w", p.dbDir(), err)
	}
	p.ps = &pebbleStore{db: db}
	p.keyedCore = newCore(p.opts, p.ps)
	if len(p.opts.PebbleRestore) == 0 {
		return db.Set(maxPKey, binary.BigEndian.AppendUint16(nil, uint16(p.maxP)), pebble.NoSync)
	}
	if err := checkMaxP(db, p.maxP); err != nil {
		return fmt.Errorf("restore pebble checkpoint %s: %w", p.opts.PebbleRestore[0], err)
	}
	saved, err := readMeta(db)
	if err != nil {
		return fmt.Errorf("restore pebble checkpoint %s: %w", p.opts.PebbleRestore[0], err)
	}
	for _, s := range saved {
		if err := p.adopt(s); err != nil {
			return err
		}
	}
	// Drop the key groups outside the range (a rescale): a range deletion
	// each side, compacted away by Pebble later.
	rng := p.rng
	if rng.Start > 0 {
		if err := db.DeleteRange(kgPrefix(0), kgPrefix(rng.Start), pebble.NoSync); err != nil {
			return fmt.Errorf("restore: drop key groups below %v: %w", rng, err)
		}
	}
	if rng.End < p.maxP-1 {
		if err := db.DeleteRange(kgPrefix(rng.End+1), []byte{0xFF, 0xFF}, pebble.NoSync); err != nil {
			return fmt.Errorf("restore: drop key groups above %v: %w", rng, err)
		}
	}
	for _, other := range p.opts.PebbleRestore[1:] {
		if err := p.merge(ctx, other); err != nil {
			return fmt.Errorf("restore pebble checkpoint %s: %w", other, err)
		}
	}
	return nil
}

func kgPrefix(kg int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(kg)) }

func metaKey(name string) []byte { return append(append([]byte(nil), metaPrefix...), name...) }

// readMeta lists the states declared in db.
func readMeta(db *pebble.DB) ([]*stateMeta, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: metaPrefix, UpperBound: []byte{0xFF, 0xFF, 's' + 1}})
	if err != nil {
		return nil, err
	}
	defer func() { _ = it.Close() }() // its error is it.Error(), checked after the loop
	var out []*stateMeta
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		if len(v) < 4 {
			return nil, fmt.Errorf("%w: state declaration of %d bytes", ErrCorrupt, len(v))
		}
		ttl, n := binary.Uvarint(v[4:])
		if n <= 0 {
			return nil, fmt.Errorf("%w: state declaration TTL", ErrCorrupt)
		}
		out = append(out, &stateMeta{
			id: binary.BigEndian.Uint16(v), kind: Kind(v[2]), upd: TTLUpdate(v[3]),
			name: string(it.Key()[len(metaPrefix):]), ttl: msDuration(int64(ttl)),
		})
	}
	return out, it.Error()
}

func (ps *pebbleStore) addState(s *stateMeta) error {
	v := binary.BigEndian.AppendUint16(nil, s.id)
	v = append(v, byte(s.kind), byte(s.upd))
	v = binary.AppendUvarint(v, uint64(s.ttl.Milliseconds()))
	return ps.db.Set(metaKey(s.name), v, pebble.NoSync)
}

func (ps *pebbleStore) keyOf(s *stateMeta, kg int, kn, uk []byte) []byte {
	k := binary.BigEndian.AppendUint16(ps.key[:0], uint16(kg))
	k = binary.BigEndian.AppendUint16(k, s.id)
	k = append(append(k, kn...), uk...)
	ps.key = k
	return k
}

func (ps *pebbleStore) get(s *stateMeta, kg int, kn, uk []byte) ([]byte, bool, error) {
	v, closer, err := ps.db.Get(ps.keyOf(s, kg, kn, uk))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pebble get in state %q: %w", s.name, err)
	}
	out := append([]byte(nil), v...)
	return out, true, closer.Close()
}

func (ps *pebbleStore) put(s *stateMeta, kg int, kn, uk, v []byte) error {
	if err := ps.db.Set(ps.keyOf(s, kg, kn, uk), v, pebble.NoSync); err != nil {
		return fmt.Errorf("pebble set in state %q: %w", s.name, err)
	}
	return nil
}

func (ps *pebbleStore) del(s *stateMeta, kg int, kn, uk []byte) error {
	if err := ps.db.Delete(ps.keyOf(s, kg, kn, uk), pebble.NoSync); err != nil {
		return fmt.Errorf("pebble delete in state %q: %w", s.name, err)
	}
	return nil
}

// prefixEnd is the least key above every key starting with p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func (ps *pebbleStore) scan(s *stateMeta, kg int, kn []byte, fn func(uk, v []byte) error) error {
	lo := append([]byte(nil), ps.keyOf(s, kg, kn, nil)...)
	it, err := ps.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key()[len(lo):], v)
		}
		if err != nil {
			_ = it.Close() // err is the one to report
			return err
		}
	}
	if err := it.Error(); err != nil {
		_ = it.Close() // it.Error() is what Close would return
		return err
	}
	return it.Close()
}

// PurgeExpired deletes expired values of states with a TTL (Pebble has
// no compaction filter to do it as it compacts).
func (p *Pebble) PurgeExpired(ctx context.Context) (int, error) {
	ttl := map[uint16]*stateMeta{}
	for _, s := range p.byID {
		if s != nil && s.ttl > 0 {
			ttl[s.id] = s
		}
	}
	if len(ttl) == 0 {
		return 0, nil
	}
	now := p.nowMs()
	it, err := p.ps.db.NewIter(&pebble.IterOptions{LowerBound: kgPrefix(p.rng.Start), UpperBound: kgPrefix(p.rng.End + 1)})
	if err != nil {
		return 0, err
	}
	defer func() { _ = it.Close() }() // its error is it.Error(), checked after the loop
	b := p.ps.db.NewBatch()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) < 4 {
			continue
		}
		s := ttl[binary.BigEndian.Uint16(k[2:])]
		if s == nil {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return n, err
		}
		if live(s, v, now) {
			continue
		}
		if err := b.Delete(k, nil); err != nil {
			return n, err
		}
		n++
		if b.Len() > 1<<20 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			if err := b.Commit(pebble.NoSync); err != nil {
				return n, err
			}
			b = p.ps.db.NewBatch()
		}
	}
	if err := it.Error(); err != nil {
		return n, err
	}
	return n, b.Commit(pebble.NoSync)
}

// Close closes the DB and removes every local file of the backend,
// checkpoints not yet released included.
func (p *Pebble) Close() error {
	var err error
	if p.ps != nil && p.ps.db != nil {
		err = p.ps.db.Close()
		p.ps.db = nil
	}
	if rerr := os.RemoveAll(p.dir); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("close pebble state backend in %s: %w", p.dir, err)
	}
	return nil
}
