package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	hdfs "github.com/colinmarc/hdfs/v2"
	"github.com/floe-yarn/floe/yarnrpc"
	krbclient "github.com/jcmturner/gokrb5/v8/client"
	"github.com/rs/zerolog"
)

// hdfsFS serves the paths of one NameNode (or HA nameservice) over a
// colinmarc client. colinmarc takes no context, so every call runs under a
// watcher: when the context ends first, all of the client's connections
// are closed (the blocked call returns at once) and the client is dropped;
// the next call builds a fresh one. Metadata calls are serialised, as
// colinmarc serialises them on its single NameNode connection anyway, so
// that the exception the sniffer saw belongs to the call that failed.
type hdfsFS struct {
	authority     string
	addrs         []string
	user          string
	dialTimeout   time.Duration
	callTimeout   time.Duration
	useDNHostname bool
	protection    string
	krb           *krbclient.Client // nil: SIMPLE, or token when token is set
	token         *yarnrpc.Token    // an HDFS delegation token (DIGEST-MD5)
	qop           []string          // SASL QOP of token connections
	spn           string            // the NameNode's service principal, e.g. nn/host
	log           zerolog.Logger

	remote remoteLog
	// callSem serialises metadata calls and dialSem dials; both are taken
	// under the caller's context so a hung call cannot block another
	// caller past its deadline.
	callSem chan struct{}
	dialSem chan struct{}

	mu      sync.Mutex // guards the fields below; never held while blocking
	client  *hdfs.Client
	conns   *connSet
	closed  bool
	closing sync.WaitGroup // clients being closed after an abort
}

// clientFor returns the current client, dialing a NameNode under ctx first
// when there is none, so that a NameNode that is down fails within ctx and
// DialTimeout.
func (b *hdfsFS) clientFor(ctx context.Context) (*hdfs.Client, error) {
	if c, err := b.current(); c != nil || err != nil {
		return c, err
	}
	if err := acquire(ctx, b.dialSem); err != nil {
		return nil, fmt.Errorf("wait to dial namenode %s: %w", b.authority, err)
	}
	defer func() { <-b.dialSem }()
	if c, err := b.current(); c != nil || err != nil {
		return c, err // another caller connected meanwhile
	}
	set := newConnSet()
	var first net.Conn
	var firstAddr string
	var errs []string
	for _, addr := range b.addrs {
		dctx, cancel := context.WithTimeout(ctx, b.dialTimeout)
		c, err := (&net.Dialer{}).DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil && b.token != nil {
			raw := c
			if c, err = yarnrpc.TokenConn(raw, *b.token, b.qop, b.dialTimeout); err != nil {
				_ = raw.Close() // failed handshake; the error is reported
				return nil, fmt.Errorf("%w: namenode %s: %w", fs.ErrPermission, addr, err)
			}
		}
		if err == nil {
			first, firstAddr = c, addr
			break
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: dial namenode %s: %w", ErrUnavailable, addr, ctx.Err())
		}
		errs = append(errs, err.Error())
	}
	if first == nil {
		return nil, fmt.Errorf("%w: no NameNode of %s answers (%s); start the NameNode or fix fs.defaultFS in core-site.xml",
			ErrUnavailable, b.authority, strings.Join(errs, "; "))
	}
	tracked, err := set.track(first, &b.remote)
	if err != nil {
		return nil, err
	}
	// colinmarc tries addresses in order: put the one that answered first
	// and hand it the connection already made.
	addrs := append([]string{firstAddr}, without(b.addrs, firstAddr)...)
	nnDial := set.dialer(b.dialTimeout, &b.remote)
	if b.token != nil {
		nnDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: b.dialTimeout}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc, err := yarnrpc.TokenConn(c, *b.token, b.qop, b.dialTimeout)
			if err != nil {
				_ = c.Close() // failed handshake; the error is reported
				return nil, err
			}
			return set.track(tc, &b.remote)
		}
	}
	var once sync.Once
	opts := hdfs.ClientOptions{
		Addresses: addrs,
		User:      b.user,
		NamenodeDialFunc: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var c net.Conn
			if addr == firstAddr {
				once.Do(func() { c = tracked })
			}
			if c != nil {
				return c, nil
			}
			return nnDial(ctx, network, addr)
		},
		DatanodeDialFunc:       set.dialer(b.dialTimeout, nil),
		UseDatanodeHostname:    b.useDNHostname,
		DataTransferProtection: b.protection,
	}
	if b.krb != nil {
		opts.User = ""
		opts.KerberosClient, opts.KerberosServicePrincipleName = b.krb, b.spn
	} else if b.token != nil {
		// The connection context must name the token's owner (or nobody).
		if owner, err := yarnrpc.TokenOwner(*b.token); err == nil {
			opts.User = owner
		}
	}
	client, err := hdfs.NewClient(opts)
	if err != nil {
		set.closeAll()
		return nil, fmt.Errorf("%w: namenode %s: %v", ErrUnavailable, firstAddr, err)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		set.closeAll()
		_ = client.Close() // never used; ErrClosed is the answer
		return nil, ErrClosed
	}
	b.client, b.conns = client, set
	b.mu.Unlock()
	b.log.Debug().Str("namenode", firstAddr).Str("user", b.user).Msg("connected")
	return client, nil
}

func (b *hdfsFS) current() (*hdfs.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	return b.client, nil
}

// acquire takes a one-slot semaphore unless ctx ends first.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func without(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// abort breaks every call of client c and drops it; the next call dials a
// new client.
func (b *hdfsFS) abort(c *hdfs.Client) {
	b.mu.Lock()
	if b.client != c {
		b.mu.Unlock()
		return
	}
	set := b.conns
	b.client, b.conns = nil, nil
	b.closing.Add(1)
	b.mu.Unlock()
	set.closeAll()
	// Close waits for colinmarc's lease renewer, which returns now that its
	// connection is closed and new dials are refused.
	go func() {
		defer b.closing.Done()
		_ = c.Close() // its connections are already closed; it can only report that
	}()
}

func (b *hdfsFS) close() error {
	b.mu.Lock()
	b.closed = true
	c := b.client
	b.mu.Unlock()
	if c != nil {
		b.abort(c)
	}
	b.closing.Wait()
	return nil
}

// call runs one metadata operation under ctx and CallTimeout.
func (b *hdfsFS) call(ctx context.Context, op string, l location, f func(c *hdfs.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, b.callTimeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return &fs.PathError{Op: op, Path: l.String(), Err: err}
	}
	c, err := b.clientFor(ctx)
	if err != nil {
		return &fs.PathError{Op: op, Path: l.String(), Err: err}
	}
	if err := acquire(ctx, b.callSem); err != nil {
		return b.mapErr(ctx, c, op, l, err, 0)
	}
	defer func() { <-b.callSem }()
	mark := b.remote.mark()
	stop := context.AfterFunc(ctx, func() { b.abort(c) })
	err = f(c)
	stop()
	if err == nil {
		return nil
	}
	return b.mapErr(ctx, c, op, l, err, mark)
}

// mapErr turns a colinmarc error into a *fs.PathError whose Err is a
// RemoteError (class and message kept, unwrapping to an fs sentinel), a
// timeout or an unavailability naming the NameNode, or the plain sentinel.
func (b *hdfsFS) mapErr(ctx context.Context, c *hdfs.Client, op string, l location, err error, mark uint64) error {
	inner := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		inner = pe.Err
	}
	var out error
	var remote hdfs.Error
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		out = fmt.Errorf("%w: hdfs://%s did not answer in time: %w", ErrUnavailable, b.authority, ctx.Err())
	case ctx.Err() != nil:
		out = ctx.Err()
	case errors.As(inner, &remote):
		out = &RemoteError{Class: remote.Exception(), Message: remote.Message(), Err: mapClass(remote.Exception())}
	case isNetError(inner):
		b.abort(c) // colinmarc would back off this NameNode for 5 s
		out = fmt.Errorf("%w: namenode %s: %v; check that the NameNode runs and fs.defaultFS names it", ErrUnavailable, b.authority, inner)
	default:
		out = inner
		if e, ok := b.remote.since(mark, l.path); ok {
			sentinel := mapClass(e.class)
			if sentinel == nil || errors.Is(inner, sentinel) {
				if sentinel == nil {
					sentinel = inner
				}
				out = &RemoteError{Class: e.class, Message: e.message, Err: sentinel}
			}
		}
	}
	return &fs.PathError{Op: op, Path: l.String(), Err: out}
}

func hdfsInfo(l location, fi os.FileInfo) FileInfo {
	info := FileInfo{
		Path:    l.String(),
		Size:    fi.Size(),
		ModTime: fi.ModTime(),
		IsDir:   fi.IsDir(),
		Mode:    fi.Mode() & (fs.ModePerm | fs.ModeDir),
	}
	if h, ok := fi.(*hdfs.FileInfo); ok {
		info.Owner, info.Group = h.Owner(), h.OwnerGroup()
		// Take the NameNode's milliseconds verbatim.
		info.ModTime = time.UnixMilli(int64(h.Sys().(*hdfs.FileStatus).GetModificationTime()))
	}
	return info
}

func (b *hdfsFS) stat(ctx context.Context, l location) (FileInfo, error) {
	var info FileInfo
	err := b.call(ctx, "stat", l, func(c *hdfs.Client) error {
		fi, err := c.Stat(l.path)
		if err == nil {
			info = hdfsInfo(l, fi)
		}
		return err
	})
	return info, err
}

func (b *hdfsFS) list(ctx context.Context, l location) ([]FileInfo, error) {
	var out []FileInfo
	err := b.call(ctx, "list", l, func(c *hdfs.Client) error {
		fis, err := c.ReadDir(l.path)
		if err != nil {
			return err
		}
		out = make([]FileInfo, 0, len(fis))
		for _, fi := range fis {
			out = append(out, hdfsInfo(l.join(fi.Name()), fi))
		}
		return nil
	})
	return out, err
}

func (b *hdfsFS) rename(ctx context.Context, from, to location) error {
	return b.call(ctx, "rename", from, func(c *hdfs.Client) error {
		return c.Rename(from.path, to.path)
	})
}

func (b *hdfsFS) removeAll(ctx context.Context, l location) error {
	return b.call(ctx, "remove", l, func(c *hdfs.Client) error {
		return c.RemoveAll(l.path)
	})
}

func (b *hdfsFS) mkdirAll(ctx context.Context, l location, perm fs.FileMode) error {
	return b.call(ctx, "mkdir", l, func(c *hdfs.Client) error {
		return c.MkdirAll(l.path, perm&fs.ModePerm)
	})
}

// open opens a file for reading; ctx bounds the whole stream, until Close.
func (b *hdfsFS) open(ctx context.Context, l location) (File, error) {
	var r *hdfs.FileReader
	var client *hdfs.Client
	err := b.call(ctx, "open", l, func(c *hdfs.Client) error {
		f, err := c.Open(l.path)
		if err != nil {
			return err
		}
		if f.Stat().IsDir() {
			_ = f.Close() // read-only, and the open fails anyway
			return fmt.Errorf("%w: is a folder", fs.ErrInvalid)
		}
		r, client = f, c
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := &stream{b: b, c: client, l: l, ctx: ctx, op: "read"}
	s.start()
	if d, ok := ctx.Deadline(); ok {
		// Before the first read there is no block connection: colinmarc
		// stores the deadline and cannot fail.
		_ = r.SetDeadline(d)
	}
	return &reader{stream: s, r: r}, nil
}

// create makes parent folders and creates a new file with exactly perm;
// it fails with fs.ErrExist when the file exists. ctx bounds the whole
// stream, until Close.
func (b *hdfsFS) create(ctx context.Context, l location, perm fs.FileMode) (io.WriteCloser, error) {
	var w *hdfs.FileWriter
	var client *hdfs.Client
	err := b.call(ctx, "create", l, func(c *hdfs.Client) error {
		if err := c.MkdirAll(path.Dir(l.path), 0o755); err != nil {
			return err
		}
		def, err := c.ServerDefaults()
		if err != nil {
			return err
		}
		f, err := c.CreateFile(l.path, def.Replication, def.BlockSize, perm&fs.ModePerm)
		if err != nil {
			return err
		}
		w, client = f, c
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := &stream{b: b, c: client, l: l, ctx: ctx, op: "write"}
	s.start()
	if d, ok := ctx.Deadline(); ok {
		// Before the first write there is no block connection: colinmarc
		// stores the deadline and cannot fail.
		_ = w.SetDeadline(d)
	}
	return &writer{stream: s, w: w}, nil
}
