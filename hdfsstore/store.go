package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
	krbclient "github.com/jcmturner/gokrb5/v8/client"
	"github.com/rs/zerolog"
)

// Options configures a Store.
type Options struct {
	// Hadoop is the cluster configuration: fs.defaultFS, NameNode
	// addresses, DataNode options. Nil means Hadoop's defaults, where
	// fs.defaultFS is file:/// and every plain path is local.
	Hadoop *conf.Hadoop
	// User is the HDFS user to act as. Empty means $HADOOP_USER_NAME, then
	// the OS user.
	User string
	// Logger receives debug events; the zero Logger discards them.
	Logger zerolog.Logger
	// DialTimeout bounds each TCP connect to a NameNode or DataNode.
	// Zero means 10 s.
	DialTimeout time.Duration
	// CallTimeout bounds each metadata call (stat, list, rename, …) on top
	// of the caller's context, so that a NameNode that accepts connections
	// but never answers cannot hang a caller without a deadline. Zero means
	// 60 s. File streams are bounded by the context given to Open/Create.
	CallTimeout time.Duration
	// Kerberos is the logged-in Kerberos client used when
	// hadoop.security.authentication is kerberos (yarnrpc.KerberosLogin
	// makes one from a keytab or the ticket cache). The user is then the
	// principal's first component unless User is set.
	Kerberos *krbclient.Client
	// Tokens holds HDFS delegation tokens (a container's credentials), used
	// on a Kerberos cluster when Kerberos is nil: the token whose service is
	// the NameNode's ip:port, else the first HDFS_DELEGATION_TOKEN. The user
	// is then the token owner's short name unless User is set.
	Tokens *yarnrpc.Credentials
}

// backend is one file system: local disk, or the NameNode(s) of one
// hdfs:// authority.
type backend interface {
	stat(ctx context.Context, l location) (FileInfo, error)
	list(ctx context.Context, l location) ([]FileInfo, error)
	open(ctx context.Context, l location) (File, error)
	create(ctx context.Context, l location, perm fs.FileMode) (io.WriteCloser, error)
	rename(ctx context.Context, from, to location) error
	removeAll(ctx context.Context, l location) error
	mkdirAll(ctx context.Context, l location, perm fs.FileMode) error
	close() error
}

// Store reads and writes files on HDFS and on local disk through one API.
// It is safe for concurrent use; it connects to a NameNode on first use.
type Store struct {
	opts     Options
	user     string
	resolver resolver

	mu     sync.Mutex
	hdfs   map[string]*hdfsFS // by authority
	closed bool
}

// New validates opts, fills defaults and returns a Store. It does not
// connect; the first call on an hdfs:// path does, under that call's ctx.
func New(ctx context.Context, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Hadoop == nil {
		opts.Hadoop = conf.HadoopDefaults()
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 60 * time.Second
	}
	if opts.User == "" && opts.Kerberos != nil && opts.Kerberos.Credentials != nil {
		opts.User = opts.Kerberos.Credentials.CName().NameString[0]
	}
	if opts.Kerberos == nil && opts.Tokens == nil && opts.Hadoop.Authentication() == "kerberos" {
		// In a YARN container: the shipped keytab when there is one (it
		// outlives every token), else, like Hadoop's UserGroupInformation,
		// the tokens the NodeManager wrote for it.
		opts.Kerberos = containerKeytabLogin(opts.Logger)
	}
	if opts.Kerberos == nil && opts.Tokens == nil && opts.Hadoop.Authentication() == "kerberos" {
		if f := os.Getenv(yarnrpc.EnvTokenFile); f != "" {
			if c, err := yarnrpc.ReadCredentialsFile(f); err == nil {
				opts.Tokens = c
			}
		}
	}
	if opts.User == "" && opts.Kerberos == nil && opts.Tokens != nil {
		if t, ok := opts.Tokens.TokenByKind(yarnrpc.KindHDFSDelegate); ok {
			if owner, err := yarnrpc.TokenOwner(t); err == nil {
				opts.User = shortName(owner)
			}
		}
	}
	if opts.User == "" {
		opts.User = os.Getenv(contract.EnvHadoopUserName)
	}
	if opts.User == "" {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("hdfsstore: find the OS user: %w; set %s", err, contract.EnvHadoopUserName)
		}
		opts.User = u.Username
	}
	r, err := newResolver(opts.Hadoop.DefaultFS(), opts.User)
	if err != nil {
		return nil, fmt.Errorf("hdfsstore: %w", err)
	}
	return &Store{
		opts:     opts,
		user:     opts.User,
		resolver: r,
		hdfs:     map[string]*hdfsFS{},
	}, nil
}

// User returns the user the Store acts as on HDFS.
func (s *Store) User() string { return s.user }

// Qualify resolves p to its fully qualified form (hdfs://host:port/p or
// file:///p), as a YARN LocalResource URL needs.
func (s *Store) Qualify(p string) (string, error) {
	l, err := s.resolver.resolve("qualify", p)
	if err != nil {
		return "", err
	}
	return l.String(), nil
}

// Close ends every connection. Open files fail afterwards.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	backends := make([]*hdfsFS, 0, len(s.hdfs))
	for _, b := range s.hdfs {
		backends = append(backends, b)
	}
	s.mu.Unlock()
	var errs []error
	for _, b := range backends {
		errs = append(errs, b.close())
	}
	return errors.Join(errs...)
}

func (s *Store) backend(op, p string) (backend, location, error) {
	l, err := s.resolver.resolve(op, p)
	if err != nil {
		return nil, l, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, l, &fs.PathError{Op: op, Path: l.String(), Err: ErrClosed}
	}
	if l.scheme == SchemeFile {
		return localFS{}, l, nil
	}
	if b, ok := s.hdfs[l.authority]; ok {
		return b, l, nil
	}
	h := s.opts.Hadoop
	addrs := h.NameNodeAddresses(l.authority)
	spn := ""
	var token *yarnrpc.Token
	var qop []string
	if h.Authentication() == "kerberos" && s.opts.Kerberos == nil && s.opts.Tokens != nil {
		token = hdfsToken(s.opts.Tokens, addrs)
		qop, _ = yarnrpc.QOPFromProtection([]string{h.RPCProtection()})
	}
	if h.Authentication() == "kerberos" && token == nil {
		if s.opts.Kerberos == nil {
			return nil, l, &fs.PathError{Op: op, Path: l.String(),
				Err: fmt.Errorf("%w: hadoop.security.authentication is kerberos but there is no Kerberos login: run kinit, or set security.kerberos.login.keytab and security.kerberos.login.principal", fs.ErrPermission)}
		}
		if spn, err = namenodeSPN(h, addrs); err != nil {
			return nil, l, &fs.PathError{Op: op, Path: l.String(), Err: err}
		}
	}
	protection := ""
	for _, p := range strings.Split(strings.ToLower(h.Get("dfs.data.transfer.protection")), ",") {
		if p = strings.TrimSpace(p); p > protection { // authentication < integrity < privacy
			protection = p
		}
	}
	if strings.EqualFold(h.Get("dfs.encrypt.data.transfer"), "true") {
		protection = "privacy"
	}
	b := &hdfsFS{
		authority:     l.authority,
		addrs:         addrs,
		krb:           s.opts.Kerberos,
		token:         token,
		qop:           qop,
		spn:           spn,
		user:          s.user,
		dialTimeout:   s.opts.DialTimeout,
		callTimeout:   s.opts.CallTimeout,
		useDNHostname: strings.EqualFold(h.Get("dfs.client.use.datanode.hostname"), "true"),
		protection:    protection,
		callSem:       make(chan struct{}, 1),
		dialSem:       make(chan struct{}, 1),
		log:           s.opts.Logger.With().Str("component", "hdfsstore").Str("namenode", l.authority).Logger(),
	}
	s.hdfs[l.authority] = b
	return b, l, nil
}

// Stat returns what the file system reports about path. On HDFS, Size and
// ModTime are exactly the NameNode's (see FileInfo.ModTimeMillis).
func (s *Store) Stat(ctx context.Context, path string) (FileInfo, error) {
	b, l, err := s.backend("stat", path)
	if err != nil {
		return FileInfo{}, err
	}
	return b.stat(ctx, l)
}

// List returns the entries of folder dir, sorted by name.
func (s *Store) List(ctx context.Context, dir string) ([]FileInfo, error) {
	b, l, err := s.backend("list", dir)
	if err != nil {
		return nil, err
	}
	return b.list(ctx, l)
}

// Open opens a file for reading. The File seeks and reads at offsets
// without reading the bytes before them (on HDFS, only the blocks that hold
// the range are fetched). ctx bounds the whole stream: when it ends, reads
// fail (and, on HDFS, the Store's connections to that NameNode are reset).
func (s *Store) Open(ctx context.Context, path string) (File, error) {
	b, l, err := s.backend("open", path)
	if err != nil {
		return nil, err
	}
	return b.open(ctx, l)
}

// Create creates a new file with exactly the permission bits perm (no
// umask), making missing parent folders with 0755. It fails with
// fs.ErrExist when the file exists. The data is durable once Close returns
// nil; ctx bounds the whole stream.
func (s *Store) Create(ctx context.Context, path string, perm fs.FileMode) (io.WriteCloser, error) {
	b, l, err := s.backend("create", path)
	if err != nil {
		return nil, err
	}
	return b.create(ctx, l, perm)
}

// Rename atomically moves from to to on the same file system, replacing a
// file at to.
func (s *Store) Rename(ctx context.Context, from, to string) error {
	b, lf, err := s.backend("rename", from)
	if err != nil {
		return err
	}
	lt, err := s.resolver.resolve("rename", to)
	if err != nil {
		return err
	}
	if lf.scheme != lt.scheme || lf.authority != lt.authority {
		return &fs.PathError{Op: "rename", Path: lf.String(), Err: fmt.Errorf("%w: to %s", ErrCrossFS, lt)}
	}
	return b.rename(ctx, lf, lt)
}

// RemoveAll removes path and everything under it; a missing path is not an
// error.
func (s *Store) RemoveAll(ctx context.Context, path string) error {
	b, l, err := s.backend("remove", path)
	if err != nil {
		return err
	}
	return b.removeAll(ctx, l)
}

// MkdirAll makes folder path and its missing parents with perm.
func (s *Store) MkdirAll(ctx context.Context, path string, perm fs.FileMode) error {
	b, l, err := s.backend("mkdir", path)
	if err != nil {
		return err
	}
	return b.mkdirAll(ctx, l, perm)
}
