package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/urfave/cli/v2"
)

// fsCommand is `floe fs`: the few HDFS operations the demo, the benchmarks
// and users need without a Hadoop installation (put, cat, ls, rm, mkdir).
func fsCommand() *cli.Command {
	return &cli.Command{
		Name:  "fs",
		Usage: "small HDFS client: put, cat, ls, rm, mkdir, qualify (uses HADOOP_CONF_DIR)",
		Subcommands: []*cli.Command{
			{Name: "put", ArgsUsage: "LOCAL DEST", Usage: "upload a local file or folder (DEST must not exist)", Action: fsAction(2, func(ctx context.Context, c *cli.Context, st *hdfsstore.Store) error {
				return st.Upload(ctx, c.Args().Get(0), c.Args().Get(1), nil)
			})},
			{Name: "cat", ArgsUsage: "PATH…", Usage: "print files; a folder prints every file in it", Action: fsAction(1, func(ctx context.Context, c *cli.Context, st *hdfsstore.Store) error {
				for _, p := range c.Args().Slice() {
					if err := fsCat(ctx, st, p, c.App.Writer); err != nil {
						return err
					}
				}
				return nil
			})},
			{Name: "ls", ArgsUsage: "PATH", Usage: "list a folder", Action: fsAction(1, func(ctx context.Context, c *cli.Context, st *hdfsstore.Store) error {
				fis, err := st.List(ctx, c.Args().First())
				if err != nil {
					return err
				}
				for _, fi := range fis {
					fmt.Fprintf(c.App.Writer, "%v %10d %s %s\n", fi.Mode, fi.Size, fi.ModTime.UTC().Format(time.RFC3339), fi.Path)
				}
				return nil
			})},
			{Name: "rm", ArgsUsage: "PATH…", Usage: "remove files or folders recursively", Action: fsAction(1, func(ctx context.Context, c *cli.Context, st *hdfsstore.Store) error {
				for _, p := range c.Args().Slice() {
					if err := st.RemoveAll(ctx, p); err != nil {
						return err
					}
				}
				return nil
			})},
			{Name: "qualify", ArgsUsage: "PATH", Usage: "print the fully qualified form (hdfs://host:port/…)", Action: fsAction(1, func(ctx context.Context, c *cli.Context, st *hdfsstore.Store) error {
				q, err := st.Qualify(c.Args().First())
				if err != nil {
					return err
				}
				fmt.Fprintln(c.App.Writer, q)
				return nil
			})},
			{Name: "mkdir", ArgsUsage: "PATH", Usage: "make a folder and its parents", Action: fsAction(1, func(ctx context.Context, c *cli.Context, st *hdfsstore.Store) error {
				return st.MkdirAll(ctx, c.Args().First(), 0o755)
			})},
		},
	}
}

func fsAction(minArgs int, f func(context.Context, *cli.Context, *hdfsstore.Store) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() < minArgs {
			return fmt.Errorf("fs %s: want %s", c.Command.Name, c.Command.ArgsUsage)
		}
		h, err := conf.LoadHadoop("")
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(c.Context, 10*time.Minute)
		defer cancel()
		o := hdfsstore.Options{Hadoop: h}
		// Kerberos: the ticket cache, or a keytab in FLOE_CONF_DIR's config.
		krb, err := kerberosLogin(conf.New(), h)
		if err != nil {
			return err
		}
		if krb != nil {
			o.Kerberos = krb.Client
		}
		st, err := hdfsstore.New(ctx, o)
		if err != nil {
			return err
		}
		defer func() { _ = st.Close() }() // drops connections; files are closed by their commands
		return f(ctx, c, st)
	}
}

func fsCat(ctx context.Context, st *hdfsstore.Store, p string, w io.Writer) error {
	fi, err := st.Stat(ctx, p)
	if err != nil {
		return err
	}
	if fi.IsDir {
		fis, err := st.List(ctx, p)
		if err != nil {
			return err
		}
		for _, e := range fis {
			if e.IsDir || path.Base(e.Path)[0] == '.' || path.Base(e.Path)[0] == '_' {
				continue
			}
			if err := fsCat(ctx, st, e.Path, w); err != nil {
				return err
			}
		}
		return nil
	}
	r, err := st.Open(ctx, p)
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }() // read-only
	if _, err := io.Copy(w, r); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("cat %s: %w", p, err)
	}
	return nil
}
